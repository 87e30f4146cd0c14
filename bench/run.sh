#!/usr/bin/env bash
# End-to-end benchmark of horizond against the resolvers users would pick instead (see
# bench/README.md). Installs what is missing from Debian packages, builds, then runs
# bench/e2e.mjs, which starts every server itself on 127.0.0.1 (high ports, config in a temp
# dir) and stops them at the end.
#
#   bench/run.sh            full run: 3 interleaved rounds, about 13 minutes
#   bench/run.sh --quick    smoke run: 1 round, 3 s runs, under 3 minutes
#   bench/run.sh --profile [--scenarios hits]   horizond alone under node --cpu-prof
# Other options (--rounds N, --seconds S, --only a,b, --scenarios a,b, --no-write, --keep) are
# passed on to bench/e2e.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."

# dnsperf and taskset drive the run, NSD is the upstream; the rest are the peers (skipped with
# a note in the results when their package is not available).
REQUIRED=(dnsperf nsd util-linux)
PEERS=(unbound dnsdist pdns-recursor dnsmasq-base knot-resolver bind9)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed'; }
available() { apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; }

missing=()
for p in "${REQUIRED[@]}" "${PEERS[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: missing packages: ${missing[*]} (run as root once, or: sudo apt-get install ${missing[*]})" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    for p in "${missing[@]}"; do
      if available "$p"; then
        echo "bench: installing $p"
        apt-get install -y -qq --no-install-recommends "$p" >/dev/null || echo "bench: could not install $p" >&2
      else
        echo "bench: $p has no installable candidate here: skipped" >&2
      fi
    done
  fi
fi
for p in "${REQUIRED[@]}"; do
  installed "$p" || { echo "bench: $p is required" >&2; exit 1; }
done
# Debian starts a packaged service on install (on port 53, so no clash with the bench's ports).
# The bench never stops what it did not start: it says so, since such a process shares the CPU.
for s in unbound named nsd pdns_recursor kresd dnsdist dnsmasq; do
  if pgrep -x "$s" >/dev/null 2>&1; then
    echo "bench: note: a '$s' process not started by the bench is running and competes for the CPU" >&2
  fi
done

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
exec node bench/e2e.mjs "$@"
