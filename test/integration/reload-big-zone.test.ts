/**
 * Finding 4 of issue 13 against the real daemon: a SIGHUP with a large unchanged zone under
 * query load. The unchanged zone is not read again (size, mtime, inode; a touched file with the
 * same bytes is recognised by its hash), a changed small zone is, and every query is answered
 * throughout. This asserts answers, not speed.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { appendFileSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { startDaemon } from '../helpers/daemon.js';

const RECORDS = 200_000;
let big = '$ORIGIN big.test.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n';
const lines: string[] = [];
for (let i = 0; i < RECORDS; i++) lines.push(`h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
big += lines.join('\n') + '\n';
const SMALL = '$ORIGIN small.test.\n@ 300 SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n';

t.test('SIGHUP with a 200k-record unchanged zone under query load: not re-read, every query answered', async (t) => {
  const d = await startDaemon({
    readyTimeoutMs: 240_000,
    config: `server: { listen: [ { address: 127.0.0.1, port: 0 } ] }
zones:
  - { name: big.test., file: big.zone }
  - { name: small.test., file: small.zone }
`,
    files: { 'big.zone': big, 'small.zone': SMALL },
  });
  t.teardown(() => d.stop());
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  let id = 0;
  const ask = (name: string): Promise<string[] | null> => new Promise((resolve) => {
    const qid = ++id & 0xffff;
    const onMsg = (m: Buffer): void => {
      const r = dnsPacket.decode(m);
      if (r.id !== qid) return;
      sock.off('message', onMsg);
      clearTimeout(timer);
      resolve((r.answers ?? []).flatMap((a) => (a.type === 'A' ? [String(a.data)] : [])));
    };
    const timer = setTimeout(() => { sock.off('message', onMsg); resolve(null); }, 5000);
    sock.on('message', onMsg);
    sock.send(dnsPacket.encode({ type: 'query', id: qid, questions: [{ type: 'A', name }] }), d.port, '127.0.0.1');
  });
  let answered = 0;
  let unanswered = 0;
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const r = await ask(i % 2 === 0 ? 'www.small.test' : `h${i % RECORDS}.big.test`);
      if (r !== null && r.length === 1) answered++;
      else unanswered++;
    }
  })();

  const reloads = (): number => d.logs.filter((r) => r.msg === 'reloaded').length;
  appendFileSync(join(d.dir, 'small.zone'), 'added A 192.0.2.81\n');
  const n = reloads();
  d.proc.kill('SIGHUP');
  await d.waitLog(() => reloads() > n, 120_000);
  const note = d.logs.filter((r) => typeof r.msg === 'string' && /unchanged, not read again/.test(r.msg)).at(-1)!;
  t.same(note.unchanged, ['big.test.'], 'the big zone was not read again; the changed small one was');
  t.same(await ask('added.small.test'), ['192.0.2.81'], 'the change is served');

  // Touched (new mtime), same bytes: recognised by its hash.
  const later = new Date(Date.now() + 5000);
  utimesSync(join(d.dir, 'big.zone'), later, later);
  const m = reloads();
  d.proc.kill('SIGHUP');
  await d.waitLog(() => reloads() > m, 120_000);
  t.same(d.logs.filter((r) => typeof r.msg === 'string' && /unchanged, not read again/.test(r.msg)).at(-1)!.unchanged, ['big.test.', 'small.test.'], 'a touched file with the same content is not parsed');
  t.equal(readFileSync(join(d.dir, 'big.zone'), 'utf8').length, big.length);

  stop = true;
  await load;
  t.ok(answered > 0, `${answered} queries answered across the reloads`);
  t.equal(unanswered, 0, 'no query went unanswered or came back empty');
});
