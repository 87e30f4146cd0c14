// Synthetic zones and dnsperf query files for the end-to-end benchmark. Every name is numbered,
// so a file of N names is N distinct cache keys and nothing depends on randomness.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Names in each zone (the "10,000 names"). */
export const NAMES = 10_000;
/** Negative names in the NXDOMAIN mix: one query in ten. */
export const NX_EVERY = 10;
/** The zone the upstream (NSD) serves and every forwarder caches. */
export const FWD_ZONE = 'fwd.bench.';
/** The zone served authoritatively by the targets of scenario 3. */
export const AUTH_ZONE = 'auth.bench.';
/** Addresses in answers: 198.18.0.0/15 (RFC 2544 benchmarking), not private, so rebinding
 * protection keeps them; the translating view maps this prefix to 10.18.0.0/15. */
export const EXTERNAL_PREFIX = '198.18.0.0/15';
export const INTERNAL_PREFIX = '10.18.0.0/15';
/** TTL long enough that nothing expires during a run. */
const TTL = 86_400;

const pad = (i) => String(i).padStart(5, '0');
/** The i-th positive name of `zone` (`n00042.fwd.bench.`). */
export const hostName = (i, zone) => `n${pad(i)}.${zone}`;
/** The i-th name that does not exist in the forwarded zone. */
export const missingName = (i) => `x${pad(i)}.${FWD_ZONE}`;
const address = (i) => `198.18.${i >> 8}.${i & 255}`;

/** RFC 1035 master file for `zone` with NAMES A records; `wildcard` adds `*.cold.<zone>`. */
export function zoneText(zone, { wildcard = false } = {}) {
  const lines = [
    `$ORIGIN ${zone}`,
    `$TTL ${TTL}`,
    `@ IN SOA ns1.${zone} hostmaster.${zone} 1 3600 900 1209600 ${TTL}`,
    '@ IN NS ns1',
    'ns1 IN A 198.18.255.254',
  ];
  for (let i = 0; i < NAMES; i++) lines.push(`n${pad(i)} IN A ${address(i)}`);
  if (wildcard) lines.push('*.cold IN A 198.18.255.1');
  return lines.join('\n') + '\n';
}

function writeQueries(file, names) {
  writeFileSync(file, names.map((n) => `${n} A`).join('\n') + '\n');
  return file;
}

/** Query files shared by every round; returns their paths. */
export function writeQueryFiles(dir) {
  const hits = [];
  const mix = [];
  const auth = [];
  for (let i = 0; i < NAMES; i++) {
    hits.push(hostName(i, FWD_ZONE));
    auth.push(hostName(i, AUTH_ZONE));
    // Every NX_EVERY-th query of the mix asks for a name that does not exist.
    mix.push(i % NX_EVERY === NX_EVERY - 1 ? missingName(i / NX_EVERY | 0) : hostName(i, FWD_ZONE));
  }
  return {
    hits: writeQueries(join(dir, 'hits.txt'), hits),
    mix: writeQueries(join(dir, 'mix.txt'), mix),
    auth: writeQueries(join(dir, 'auth.txt'), auth),
  };
}

/** `count` names never asked before, under the upstream's wildcard (scenario 5, cold cache). */
export function writeColdQueries(file, tag, count) {
  const names = new Array(count);
  for (let i = 0; i < count; i++) names[i] = `u${i}-${tag}.cold.${FWD_ZONE}`;
  return writeQueries(file, names);
}

/** Writes both zone files into `dir`; returns their paths. */
export function writeZones(dir) {
  const fwd = join(dir, 'fwd.bench.zone');
  const auth = join(dir, 'auth.bench.zone');
  writeFileSync(fwd, zoneText(FWD_ZONE, { wildcard: true }));
  writeFileSync(auth, zoneText(AUTH_ZONE));
  return { fwd, auth };
}
