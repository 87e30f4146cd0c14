/**
 * Finding 3 of issue 13 against the real daemon: updates to a 200,000-record zone that allows
 * transfers (so every update extends the IXFR history) while queries to another, small zone go
 * on. Every query is answered, every update is acknowledged, and the IXFR a secondary would ask
 * for carries exactly the updates (the history is built from the updates' own changes).
 * This asserts answers, not speed; the cost per update is measured in bench/.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { startDaemon } from '../helpers/daemon.js';

const run = promisify(execFile);
const SECRET = 'YmlnIHpvbmUgdXBkYXRlIHRlc3Qga2V5IGZvciBob3Jpem9uZA==';
const RECORDS = 200_000;
const UPDATES = 100;

let big = '$ORIGIN big.test.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n';
const lines: string[] = [];
for (let i = 0; i < RECORDS; i++) lines.push(`h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
big += lines.join('\n') + '\n';

t.test('an update burst to a 200k-record zone: queries to another zone are all answered; IXFR carries the updates', async (t) => {
  const d = await startDaemon({
    readyTimeoutMs: 240_000,
    config: `server: { listen: [ { address: 127.0.0.1, port: 0, protocols: [udp, tcp] } ], dataDir: data }
keys: [ { name: ddns., secret: "${SECRET}" } ]
zones:
  - name: big.test.
    file: big.zone
    allowTransfer: { networks: [127.0.0.1] }
    update: { keys: [ddns.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [A] } ] }
  - { name: small.test., file: small.zone }
`,
    files: { 'big.zone': big, 'small.zone': '$ORIGIN small.test.\n@ 300 SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n' },
  });
  t.teardown(() => d.stop());

  // Queries to small.test. go out one after another for as long as the burst lasts; each must be answered.
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  let id = 0;
  let answered = 0;
  let unanswered = 0;
  let stop = false;
  const ask = (): Promise<boolean> => new Promise((resolve) => {
    const qid = ++id & 0xffff;
    const onMsg = (m: Buffer): void => {
      const r = dnsPacket.decode(m);
      if (r.id !== qid) return;
      sock.off('message', onMsg);
      clearTimeout(timer);
      resolve(((r.flags ?? 0) & 0xf) === 0 && (r.answers ?? []).some((a) => a.type === 'A' && a.data === '192.0.2.80'));
    };
    // Generous: a loaded CI machine may be slow, but a server stalled on one update is not answering at all.
    const timer = setTimeout(() => { sock.off('message', onMsg); resolve(false); }, 5000);
    sock.on('message', onMsg);
    sock.send(dnsPacket.encode({ type: 'query', id: qid, questions: [{ type: 'A', name: 'www.small.test' }] }), d.port, '127.0.0.1');
  });
  const querying = (async () => {
    while (!stop) {
      if (await ask()) answered++;
      else unanswered++;
    }
  })();

  const script = [`server 127.0.0.1 ${d.port}`, 'zone big.test.'];
  for (let i = 0; i < UPDATES; i++) script.push(`update add new${i}.big.test. 300 A 10.200.0.${i}`, 'send');
  const nsupdate = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn('nsupdate', ['-y', `hmac-sha256:ddns.:${SECRET}`], { timeout: 300_000 });
    let out = '';
    c.stdout.on('data', (x) => { out += x; });
    c.stderr.on('data', (x) => { out += x; });
    c.on('close', (code) => resolve({ code, out }));
    c.stdin.end(script.join('\n') + '\n');
  });
  stop = true;
  await querying;
  t.equal(nsupdate.code, 0, `all ${UPDATES} updates acknowledged ${nsupdate.out}`);
  t.ok(answered > 0, `${answered} queries to small.test. answered during the burst`);
  t.equal(unanswered, 0, 'no query to the other zone went unanswered');

  const ixfr = await run('dig', ['@127.0.0.1', '-p', String(d.port), 'big.test.', 'IXFR=1', '+tcp', '+time=30', '+tries=1'], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  const rrs = ixfr.stdout.split('\n').filter((l) => l !== '' && !l.startsWith(';'));
  const added = rrs.filter((l) => /^new\d+\.big\.test\./.test(l));
  t.equal(added.length, UPDATES, 'the IXFR from serial 1 adds exactly the updated names');
  t.ok(rrs.length < 1000, `an incremental transfer (${rrs.length} records), not the whole zone`);
});
