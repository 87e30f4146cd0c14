// Full GCs V8 runs in horizond during and after a burst of queries, with each set of node flags:
// the memory reducer (on unless --no-memory-reducer) runs two full mark-compacts about 8 s after
// a major GC; those pauses were horizond's p99.9 latency. Not part of npm test or run.sh.
//
//   npm run build && node bench/gc-after-load.mjs [--seconds 10] [--idle 25] [--qps 5000]
//
// For each UDP backend and flag set: starts horizond with --trace-gc serving the benchmark's
// 10,000-name zone, runs dnsperf at --qps for --seconds, waits --idle seconds, and counts the
// Mark-Compact lines of each phase and the longest pause.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeQueryFiles, writeZones } from './lib/data.mjs';
import { NODE_FLAGS } from './lib/targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const seconds = arg('--seconds', 10);
const idle = arg('--idle', 25);
const qps = arg('--qps', 5000);
const tmp = mkdtempSync(join(tmpdir(), 'horizond-gc-'));
const zones = writeZones(tmp);
const files = writeQueryFiles(tmp);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const variants = { 'memory reducer on': ['--optimize-for-size'], 'launcher flags': NODE_FLAGS };

function fullGcs(text) {
  const lines = text.split('\n').filter((l) => /Mark-Compact/.test(l));
  const pauses = lines.map((l) => Number(/MB, ([\d.]+) \//.exec(l)?.[1] ?? 0));
  return `${lines.length} full GCs${lines.length ? `, longest ${Math.max(...pauses).toFixed(1)} ms` : ''}`;
}

let port = 27000 + Math.floor(Math.random() * 1000);
console.log(`load: ${seconds} s at ${qps} QPS, then ${idle} s idle; load average ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ')[0]}`);
for (const backend of ['native', 'dgram']) {
  for (const [name, flags] of Object.entries(variants)) {
    port++;
    const dir = join(tmp, `${backend}-${port}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const file = join(dir, 'horizond.yaml');
    writeFileSync(file, `server:\n  listen: [{ address: 127.0.0.1, port: ${port}, protocols: [udp] }]\n  udp: { backend: ${backend} }\n  dataDir: ${join(dir, 'data')}\nlog: { level: warn }\nzones: [{ name: auth.bench., file: ${zones.auth} }]\nmetrics: { enabled: false }\n`);
    const log = join(dir, 'gc.log');
    const p = spawn(process.execPath, ['--trace-gc', ...flags, join(root, 'dist/main.js'), '--config', file], { stdio: ['ignore', openSync(log, 'w'), 'inherit'] });
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync('dig', ['+short', '+time=1', '+tries=1', '@127.0.0.1', '-p', String(port), 'n00001.auth.bench']);
        break;
      } catch {
        await sleep(100);
      }
    }
    const a = readFileSync(log).length;
    execFileSync('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', files.auth, '-Q', String(qps), '-l', String(seconds), '-c', '1', '-T', '1'], { stdio: 'ignore' });
    const b = readFileSync(log).length;
    await sleep(idle * 1000);
    p.kill();
    await sleep(300);
    const text = readFileSync(log);
    console.log(`${backend.padEnd(6)} ${name.padEnd(18)} (${flags.join(' ')}): under load ${fullGcs(text.subarray(a, b).toString())}; idle after ${fullGcs(text.subarray(b).toString())}`);
  }
}
rmSync(tmp, { recursive: true, force: true });
