import t from 'tap';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.js';
import { aRecord, FakeUpstream } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';
import { stopChild } from '../helpers/process.js';
import { prng } from '../helpers/prng.js';
import { query } from '../helpers/resolver.js';
import { until } from '../helpers/transport.js';

/**
 * Differential test: one generated list, loaded into horizond (hosts, plain and AdBlock lines,
 * plus an allowlist) and into Debian's Unbound (`local-zone: name always_null`, allowed names
 * `transparent`), both forwarding everything else to the same fake upstream. A sample of a few
 * thousand names (listed, below listed, allowed, below allowed, parents of listed, unlisted)
 * must get the same verdict from both: 0.0.0.0 (blocked) or the upstream's address.
 */

const SEED = Number(process.env.DIFF_SEED ?? 1208);

function label(rnd: () => number, n = 8): string {
  let s = '';
  for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(rnd() * 36)];
  return s;
}

/** Sends each name (A) to the server and returns the first answer address per name ('' when none). */
async function ask(port: number, names: string[]): Promise<Map<string, string>> {
  const sock = dgram.createSocket('udp4');
  const out = new Map<string, string>();
  const byId = new Map<number, string>();
  sock.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const name = byId.get(id);
    if (name === undefined || out.has(name)) return;
    // First A record in the answer section: find its 4-byte rdata after the question.
    let p = 12;
    while (msg[p] !== 0) p += msg[p]! + 1;
    p += 5;
    let addr = '';
    for (let i = msg.readUInt16BE(6); i > 0 && addr === ''; i--) {
      while (msg[p]! !== 0 && (msg[p]! & 0xc0) !== 0xc0) p += msg[p]! + 1;
      p += msg[p] === 0 ? 1 : 2;
      const type = msg.readUInt16BE(p);
      const len = msg.readUInt16BE(p + 8);
      if (type === 1 && len === 4) addr = [...msg.subarray(p + 10, p + 14)].join('.');
      p += 10 + len;
    }
    out.set(name, addr);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    for (let round = 0; round < 5; round++) {
      const missing = names.filter((n) => !out.has(n));
      if (missing.length === 0) break;
      for (let i = 0; i < missing.length; i += 50) {
        for (const [j, name] of missing.slice(i, i + 50).entries()) {
          const id = (round * 20000 + i + j) & 0xffff;
          byId.set(id, name);
          sock.send(query(name, 'A', { id, edns: false }), port, '127.0.0.1');
        }
        const batch = missing.slice(i, i + 50);
        await until(() => batch.every((n) => out.has(n)), 3000, 'answers').catch(() => undefined);
      }
    }
  } finally {
    sock.close();
  }
  return out;
}

t.test('horizond and Unbound agree on block/allow for every sampled name', async (t) => {
  const rnd = prng(SEED);
  const tlds = ['com', 'net', 'org', 'io', 'example'];
  const listed: string[] = [];
  for (let i = 0; i < 1500; i++) listed.push(`${label(rnd)}.${label(rnd, 5)}.${tlds[i % tlds.length]}`);
  const allowed = listed.slice(0, 300).map((n) => `ok.${n}`);
  const sample = [
    ...listed.slice(0, 600),
    ...listed.slice(600, 1100).map((n) => `${label(rnd, 3)}.${label(rnd, 4)}.${n}`),
    ...allowed.slice(0, 200),
    ...allowed.slice(100, 300).map((n) => `deep.${n}`),
    ...listed.slice(1100, 1400).map((n) => n.split('.').slice(1).join('.')),
    ...Array.from({ length: 700 }, () => `${label(rnd)}.${label(rnd, 6)}.${tlds[Math.floor(rnd() * tlds.length)]}`),
  ];
  t.comment(`seed ${SEED}: ${listed.length} listed, ${allowed.length} allowed, ${sample.length} names asked`);

  const up = await FakeUpstream.start();
  t.teardown(() => up.close());
  up.setDefault((q) => ({ answer: [aRecord(q.qname, '192.0.2.1')] }));

  // The same list in three formats for horizond (a third each).
  const hosts = listed.slice(0, 500).map((n, i) => (i % 2 === 0 ? `0.0.0.0 ${n}` : `127.0.0.1 ${n} # c`)).join('\n');
  const plain = listed.slice(500, 1000).join('\n');
  const adblock = listed.slice(1000).map((n) => `||${n}^`).join('\n');
  const d = await startDaemon({
    config: `server:
  listen: [{ address: 127.0.0.1, port: 0 }]
  dataDir: data
metrics: { enabled: false }
forward:
  upstreams: [{ address: 127.0.0.1, port: ${up.port}, protocol: udp }]
cache: { maxEntries: 100 }
blocking:
  lists:
    gen: [hosts.txt, plain.txt, adblock.txt]
  allow: [allow.txt]
`,
    files: { 'hosts.txt': hosts, 'plain.txt': plain, 'adblock.txt': adblock, 'allow.txt': allowed.join('\n') },
  });
  t.teardown(() => d.stop());

  const dir = mkdtempSync(join(tmpdir(), 'hz-unbound-diff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  writeFileSync(join(dir, 'unbound.conf'), `server:
    verbosity: 0
    num-threads: 1
    directory: "${dir}"
    chroot: ""
    username: ""
    pidfile: "${join(dir, 'unbound.pid')}"
    use-syslog: no
    logfile: ""
    do-ip6: no
    do-not-query-localhost: no
    module-config: "iterator"
    interface: 127.0.0.1@${port}
    access-control: 127.0.0.0/8 allow
    msg-cache-size: 1m
${listed.map((n) => `    local-zone: "${n}." always_null`).join('\n')}
${allowed.map((n) => `    local-zone: "${n}." transparent`).join('\n')}
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@${up.port}
`);
  const unbound = spawn('unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => stopChild(unbound));
  for (let i = 0; i < 100; i++) {
    const r = await ask(port, ['probe.example.com']);
    if (r.get('probe.example.com')) break;
    await new Promise((res) => setTimeout(res, 100));
  }

  const ours = await ask(d.port, sample);
  const theirs = await ask(port, sample);
  const verdict = (a: string | undefined) => (a === '0.0.0.0' ? 'blocked' : a === '192.0.2.1' ? 'allowed' : `no answer (${a})`);
  const mismatches = sample.filter((n) => verdict(ours.get(n)) !== verdict(theirs.get(n)));
  t.same(mismatches.slice(0, 10).map((n) => `${n}: horizond ${verdict(ours.get(n))}, unbound ${verdict(theirs.get(n))}`), [], 'no disagreement');
  t.equal(mismatches.length, 0);
  const blocked = sample.filter((n) => verdict(ours.get(n)) === 'blocked').length;
  t.equal(blocked, 600 + 500, 'listed and below-listed names are blocked');
  t.equal(sample.length - blocked, 200 + 200 + 300 + 700, 'allowed, parents and unlisted are not');
});
