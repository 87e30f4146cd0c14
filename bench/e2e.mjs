// The end-to-end benchmark (bench/run.sh calls this after installing and building): a local NSD
// upstream, horizond, the ceiling and each peer started in turn on core 0, dnsperf on core 1,
// rounds interleaved, medians reported. See bench/README.md.
//   node bench/e2e.mjs [--quick] [--rounds N] [--seconds S] [--only a,b] [--scenarios hits,auth]
//                      [--profile] [--no-write] [--keep] [--trace-gc]
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chart } from './chart.mjs';
import { FWD_ZONE, NAMES, NX_EVERY, hostName, writeQueryFiles, writeZones } from './lib/data.mjs';
import { LOAD_CORE } from './lib/dnsperf.mjs';
import { freePort, startPinned, stop, stopAllNow, waitReady } from './lib/proc.mjs';
import { profileSummary } from './lib/profile.mjs';
import { markdown } from './lib/report.mjs';
import { runSession } from './lib/session.mjs';
import { EXTRA_TARGETS, TARGETS, horizond, nsdConfig } from './lib/targets.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bench = join(root, 'bench');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

const quick = flag('--quick');
const profile = flag('--profile');
const seconds = Number(value('--seconds') ?? (quick ? 3 : 4));
const durations = {
  seconds,
  latencySeconds: quick ? 1 : Math.max(2, seconds - 1),
  coldSeconds: quick ? 2 : 8,
  coldNames: 100_000,
  /** Cap of the top-up to 100,000 cold names in the last round (none in quick runs). */
  fillSeconds: quick ? 0 : 30,
};
const rounds = Number(value('--rounds') ?? (quick || profile ? 1 : 3));
const only = value('--only')?.split(',') ?? (profile ? ['horizond'] : null);
const scenarios = value('--scenarios')?.split(',') ?? null;
const write = !flag('--no-write') && !profile && !only && !scenarios;

process.on('exit', stopAllNow);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAllNow(); process.exit(130); });

const say = (text) => process.stderr.write(`${text}\n`);

/** What `argv` prints on stdout and stderr (version banners go to either). */
function output(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

function versionOf(target) {
  const text = output(target.version);
  return /\d+\.\d+(\.\d+)?/.exec(text)?.[0] ?? 'unknown';
}

function horizondVersion() {
  const v = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const rev = output(['git', '-C', root, 'rev-parse', '--short', 'HEAD']).trim();
  const dirty = output(['git', '--no-optional-locks', '-C', root, 'status', '--porcelain', '--', 'src']).trim() !== '';
  return `${v} (git ${rev}${dirty ? ', with uncommitted changes in src/' : ''})`;
}

/** Whether the built daemon can run more than one worker (it imports cluster or worker_threads). */
function workersImplemented() {
  const dist = join(root, 'dist');
  const files = readdirSync(dist, { recursive: true }).filter((f) => String(f).endsWith('.js'));
  return files.some((f) => /from ['"]node:(cluster|worker_threads)['"]/.test(readFileSync(join(dist, String(f)), 'utf8')));
}

function machine() {
  const debian = existsSync('/etc/debian_version') ? `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}` : 'Linux';
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${debian}, kernel ${release()}`;
}

function brief(session) {
  const parts = Object.entries(session.scenarios).map(([id, s]) => {
    if (s.error || s.tp?.error) return `${id} ✗ (${s.error ?? s.tp.error})`;
    const gc = s.lat?.gc ? ` [${s.lat.gc.markCompacts} full GCs, longest ${s.lat.gc.maxMarkCompactMs.toFixed(1)} ms]` : '';
    return `${id} ${(s.tp.qps / 1000).toFixed(1)}k${s.lat ? `/${s.lat.avgMs.toFixed(2)}ms p99 ${s.lat.p99Ms?.toFixed(2)} p99.9 ${s.lat.p999Ms?.toFixed(2)}ms` : ''}${gc}`;
  });
  const rss = session.rssIdle == null ? '' : ` rss ${session.rssIdle.toFixed(0)}→${session.rssFilled?.toFixed(0) ?? '–'} MiB`;
  return `${parts.join('  ')}${rss}${session.error ? `  ERROR ${session.error}` : ''}`;
}

async function main() {
  const multi = workersImplemented();
  const candidates = [...TARGETS, ...(multi ? [horizond(2)] : []), ...EXTRA_TARGETS.filter((t) => only?.includes(t.name))];
  const skipped = [];
  const active = [];
  for (const t of candidates) {
    if (only && !only.includes(t.name)) continue;
    if (!existsSync(t.binary)) skipped.push({ name: t.label, why: `${t.binary} not installed` });
    else active.push(t);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'horizond-bench-'));
  const zones = writeZones(tmp);
  const files = writeQueryFiles(tmp);
  mkdirSync(join(tmp, 'upstream'));
  const upstream = await freePort();
  // The upstream shares the load core: after warm-up it only works in the cold scenario.
  const nsd = startPinned(LOAD_CORE, ['/usr/sbin/nsd', '-d', '-c', nsdConfig(join(tmp, 'upstream'), upstream, FWD_ZONE, zones.fwd)], join(tmp, 'upstream', 'log'));
  await waitReady(nsd, upstream, hostName(0, FWD_ZONE));
  say(`upstream NSD on 127.0.0.1:${upstream}, work dir ${tmp}`);

  const versions = { nsd: versionOf({ version: ['/usr/sbin/nsd', '-v'] }), dnsperf: versionOf({ version: ['dnsperf', '-h'] }), node: process.versions.node };
  for (const t of active) {
    if (t.version) versions[t.name] = versionOf(t);
    else if (t.name.startsWith('horizond')) versions[t.name] = horizondVersion();
  }
  const results = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), mode: profile ? 'profile' : quick ? 'quick' : 'full',
    rounds, durations, machine: machine(), cores: cpus().length, versions,
    labels: Object.fromEntries([...candidates.map((t) => [t.name, t.label]), ['nsd', 'NSD'], ['dnsperf', 'dnsperf'], ['node', 'Node']]),
    targets: active.map((t) => t.name), skipped, runs: [],
    workers2: multi ? null : 'not implemented in this build',
  };
  const env = {
    root, tmp, zones, files, upstream, durations, scenarios, warmNames: NAMES + NAMES / NX_EVERY,
    profileDir: profile ? join(tmp, 'profiles') : null,
    traceGc: flag('--trace-gc'),
  };
  const t0 = Date.now();
  for (let round = 0; round < rounds; round++) {
    // Round-robin with a different first target each round, so no target always runs first.
    const order = active.map((_, i) => active[(i + round) % active.length]);
    for (const target of order) {
      const last = round === rounds - 1;
      const session = await runSession(target, { ...env, round, fillSeconds: last ? durations.fillSeconds : 0 });
      say(`[round ${round + 1}/${rounds}, ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(1)}] ${target.name.padEnd(14)} ${brief(session)}`);
      appendFileSync(join(tmp, 'dnsperf.log'), `### ${target.name} round ${round + 1}\n${session.log.join('\n')}\n`);
      delete session.log;
      results.runs.push({ target: target.name, round, session });
    }
  }
  await stop(nsd);
  const md = markdown(results);
  process.stdout.write(`\n${md}`);
  if (profile) for (const t of active.filter((x) => x.binary === process.execPath)) process.stdout.write(`\n${t.name}: ${profileSummary(join(tmp, 'profiles', t.name), root)}`);
  if (write) {
    writeFileSync(join(bench, 'results.json'), JSON.stringify(results, null, 1) + '\n');
    appendFileSync(join(bench, 'results.md'), `\n${md}`);
    writeFileSync(join(bench, 'results.svg'), chart(results));
    say(`appended to bench/results.md, wrote bench/results.json and bench/results.svg (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  if (flag('--keep') || profile) say(`kept ${tmp} (server logs, dnsperf output${profile ? ', .cpuprofile files' : ''})`);
  else rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  say(`bench: ${err.stack ?? err}`);
  stopAllNow();
  process.exit(1);
});
