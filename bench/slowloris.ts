// TCP and UDP latency while hostile TCP clients run (issue #15): a slowloris attack (1,000
// connections from 20 loopback addresses, a 0xffff length prefix and then one byte every 4 s)
// and, with `pipeline`, 30 clients pipelining queries without reading their answers. Starts the
// compiled daemon (npm run build) with the default TCP limits, measures a baseline, then the
// same probes with the attack running. Bounded: every phase has a fixed count and duration.
//
//   node --import @tapjs/typescript/import bench/slowloris.ts [seconds=15] [pipeline]
//
// Probes: one TCP query per new connection (as dig +tcp does) 20 times a second, and UDP
// queries 200 times a second; p50/p99/max and how many went unanswered within 2 s.
import dgram from 'node:dgram';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../test/helpers/daemon.js';
import { loopbackSources, Slowloris } from '../test/helpers/slowloris.js';

const seconds = Number(process.argv[2] === 'attacker' ? 0 : process.argv[2] ?? 15);
const withPipeline = process.argv.includes('pipeline');

const QUERY = Buffer.from('abcd0100000100000000000005686f73743104686f6d65036c616e0000010001', 'hex'); // host1.home.lan A

function tcpOnce(port: number): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { s.destroy(); resolve(Infinity); }, 2000);
    s.on('error', () => { clearTimeout(timer); resolve(Infinity); });
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([0, QUERY.length]), QUERY])));
    let got = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= got.readUInt16BE(0) + 2) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
        s.destroy();
      }
    });
  });
}

async function probe(port: number, ms: number): Promise<{ tcp: number[]; udp: number[] }> {
  const tcp: number[] = [];
  const udp: number[] = [];
  const sock = dgram.createSocket('udp4');
  const sent = new Map<number, number>();
  let id = 0;
  sock.on('message', (m) => {
    const t0 = sent.get(m.readUInt16BE(0));
    if (t0 !== undefined) { udp.push(performance.now() - t0); sent.delete(m.readUInt16BE(0)); }
  });
  const end = performance.now() + ms;
  const udpTimer = setInterval(() => {
    const q = Buffer.from(QUERY);
    id = (id + 1) & 0xffff;
    q.writeUInt16BE(id, 0);
    sent.set(id, performance.now());
    sock.send(q, port, '127.0.0.1');
  }, 5);
  const pending: Promise<void>[] = [];
  while (performance.now() < end) {
    pending.push(tcpOnce(port).then((v) => void tcp.push(v)));
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(udpTimer);
  await Promise.all(pending);
  await new Promise((r) => setTimeout(r, 2000));
  for (let i = 0; i < sent.size; i++) udp.push(Infinity);
  sock.close();
  return { tcp, udp };
}

function stats(name: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const lost = s.filter((x) => x === Infinity).length;
  const ok = s.filter((x) => x !== Infinity);
  const q = (p: number) => (ok.length ? ok[Math.min(ok.length - 1, Math.floor(p * ok.length))]!.toFixed(2) : '-');
  return `${name}: n=${s.length} p50=${q(0.5)} ms p99=${q(0.99)} ms max=${ok.length ? ok[ok.length - 1]!.toFixed(1) : '-'} ms unanswered=${lost}`;
}

/** Pipelining clients that never read their answers; they only write while their socket buffer is short. */
function pipeliners(port: number, n: number, ms: number): () => void {
  const burst = Buffer.concat(Array.from({ length: 500 }, () => Buffer.concat([Buffer.from([0, QUERY.length]), QUERY])));
  const socks = Array.from({ length: n }, (_, i) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: `127.0.97.${i + 1}` });
    s.on('error', () => {});
    s.pause(); // never read the answers
    const timer = setInterval(() => { if (s.writable && s.writableLength < 64 * 1024) s.write(burst, () => {}); }, 20);
    return { s, timer };
  });
  const stop = (): void => socks.forEach(({ s, timer }) => { clearInterval(timer); s.destroy(); });
  setTimeout(stop, ms);
  return stop;
}

// The attackers run in a child process so their own work does not delay the probes.
if (process.argv[2] === 'attacker') {
  const port = Number(process.argv[3]);
  const ms = Number(process.argv[4]);
  const attack = new Slowloris({ host: '127.0.0.1', port, connections: 1000, sources: loopbackSources(20), byteEveryMs: 4000, durationMs: ms, reconnectMs: 1000 }).start();
  const stopPipe = process.argv[5] === 'pipeline' ? pipeliners(port, 30, ms) : () => {};
  await attack.done;
  stopPipe();
  console.log(JSON.stringify({ opened: attack.opened, closedByServer: attack.closedByServer }));
  process.exit(0);
}

const d = await startDaemon({
  copyZones: true,
  config: `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
log: { level: info }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
`,
});
try {
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const base = await probe(d.port, seconds * 1000);
  console.log(`baseline (${seconds} s)`);
  console.log('  ' + stats('tcp (new connection per query)', base.tcp));
  console.log('  ' + stats('udp', base.udp));
  const attacker = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'attacker', String(d.port), String((seconds + 5) * 1000), withPipeline ? 'pipeline' : ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  let report = '';
  attacker.stdout!.on('data', (c) => (report += c));
  const exited = new Promise((r) => attacker.on('exit', r));
  await new Promise((r) => setTimeout(r, 3000));
  const hit = await probe(d.port, seconds * 1000);
  await exited;
  console.log(`under attack (${seconds} s): slowloris 1000 connections from 20 addresses, a byte every 4 s, reconnecting 1 s after being closed${withPipeline ? ', + 30 clients pipelining without reading' : ''}; attacker ${report.trim()}`);
  console.log('  ' + stats('tcp (new connection per query)', hit.tcp));
  console.log('  ' + stats('udp', hit.udp));
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await d.stop();
}
