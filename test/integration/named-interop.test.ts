/**
 * Replication with BIND 9 (named, started here on loopback and stopped at the end):
 * - named as a secondary of a horizond primary: AXFR, then IXFR after a NOTIFY, signed with TSIG;
 * - horizond as a secondary of a named primary: AXFR, then IXFR from named's journal after an
 *   nsupdate, by NOTIFY, signed with TSIG.
 */
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsigKey } from '../../src/tsig/keyring.js';
import { buildUpdate, rec, sendUpdate } from '../fixtures/kea/update-client.js';
import { freePort, startReplica } from '../fixtures/xfr/replica.js';
import { stopChild } from '../helpers/process.js';

const XFR = 'bmFtZWQgeGZyIGtleSBmb3IgaG9yaXpvbmQgdGVzdHM=';
const KEA = 'bmFtZWQga2VhIGtleSBmb3IgaG9yaXpvbmQgdGVzdHM=';
const kea = new TsigKey({ name: 'kea.', algorithm: 'hmac-sha256', secret: KEA });
const KEYS = `keys:\n  - { name: xfr., secret: "${XFR}" }\n  - { name: kea., secret: "${KEA}" }\n`;
const NAMED_KEYS = `key "xfr." { algorithm hmac-sha256; secret "${XFR}"; };\nkey "kea." { algorithm hmac-sha256; secret "${KEA}"; };`;

interface Named { proc: ChildProcess; log: () => string; waitLog(re: RegExp, ms?: number): Promise<string> }

/** Starts named in the foreground with `zones` (named.conf text) in its own temp dir. */
async function startNamed(port: number, zones: string, files: Record<string, string>): Promise<Named> {
  const dir = mkdtempSync(join(tmpdir(), 'hz-named-'));
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c);
  writeFileSync(join(dir, 'named.conf'), `
options {
  directory "${dir}"; pid-file "${dir}/named.pid"; session-keyfile "${dir}/session.key";
  listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; notify-source 127.0.0.1; transfer-source 127.0.0.1;
  min-refresh-time 1; min-retry-time 1;
};
controls { };
${NAMED_KEYS}
${zones}
`);
  const proc = spawn('named', ['-g', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const waiters: { re: RegExp; done: (m: string) => void }[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = waiters[i]!.re.exec(log);
      if (m) waiters.splice(i, 1)[0]!.done(m[0]);
    }
  });
  t.teardown(async () => {
    // named writes its files until it has exited: wait for that before removing them.
    await stopChild(proc);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  const waitLog = (re: RegExp, ms = 10_000): Promise<string> => new Promise((resolve, reject) => {
    const m = re.exec(log);
    if (m) return resolve(m[0]);
    const timer = setTimeout(() => reject(new Error(`named did not log ${re} within ${ms} ms:\n${log.slice(-3000)}`)), ms);
    waiters.push({ re, done: (s) => { clearTimeout(timer); resolve(s); } });
  });
  proc.on('exit', (code) => { if (code) log += `\nnamed exited ${code}`; });
  await waitLog(/running\n/);
  return { proc, log: () => log, waitLog };
}

function dig(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', ...args], { timeout: 10_000 }, (_e, out, err) => resolve(out + err)));
}

function nsupdate(script: string): Promise<string> {
  return new Promise((resolve) => {
    const p = execFile('nsupdate', ['-y', `hmac-sha256:kea.:${KEA}`], { timeout: 10_000 }, (_e, out, err) => resolve(out + err));
    p.stdin!.end(script);
  });
}

t.test('named as a secondary of a horizond primary: AXFR, then IXFR by NOTIFY, with TSIG', async (t) => {
  const [hPort, nPort] = [await freePort(), await freePort()];
  const primary = await startReplica({
    yaml: `server: { listen: [ { address: 127.0.0.1, port: ${hPort} } ], dataDir: data }
${KEYS}zones:
  - name: interop.test.
    file: interop.test.zone
    update: { preset: kea, keys: [kea.], networks: [loopback] }
    notify: [ { address: 127.0.0.1, port: ${nPort}, key: xfr. } ]
    allowTransfer: { keys: [xfr.] }
`,
    files: { 'interop.test.zone': '$ORIGIN interop.test.\n$TTL 300\n@ SOA ns hostmaster 7 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nnas A 192.168.1.9\n' },
  });
  t.teardown(() => primary.dispose());
  const named = await startNamed(nPort, `zone "interop.test" { type secondary; notify no; file "interop.test.bk";
    primaries { 127.0.0.1 port ${hPort} key "xfr."; }; };`, {});
  await named.waitLog(/transfer of 'interop\.test\/IN' from 127\.0\.0\.1#\d+: Transfer completed/);
  t.match(named.log(), /zone interop\.test\/IN: transferred serial 7: TSIG 'xfr'/);
  t.match(await dig(nPort, 'nas.interop.test', 'A'), /nas\.interop\.test\.\s+300\s+IN\s+A\s+192\.168\.1\.9/, 'named serves the transferred zone');
  t.equal(primary.replication.counters.served.get('interop.test.', 'axfr'), 1);

  const r = await sendUpdate(hPort, buildUpdate('interop.test.', [], [rec('tv.interop.test. 60 IN A 192.168.1.77')]), kea);
  t.equal(r.rcode, 0);
  await named.waitLog(/zone interop\.test\/IN: transferred serial 8: TSIG 'xfr'/);
  t.match(named.log(), /zone interop\.test\/IN: notify from 127\.0\.0\.1#\d+: serial 8/, 'named took our NOTIFY');
  t.match(await dig(nPort, 'tv.interop.test', 'A'), /tv\.interop\.test\.\s+60\s+IN\s+A\s+192\.168\.1\.77/);
  t.equal(primary.replication.counters.served.get('interop.test.', 'ixfr'), 1, 'named asked for IXFR and got the difference');
  t.match(named.log(), /'interop\.test\/IN' from 127\.0\.0\.1#\d+: Transfer completed: 1 messages, 5 records/, 'SOA 8, SOA 7, SOA 8, tv, SOA 8: an incremental transfer');
  t.equal(primary.replication.counters.notifyOut.get('interop.test.', 'ok') >= 1, true, 'named acknowledged the NOTIFY (signed)');
});

t.test('horizond as a secondary of a named primary: AXFR, then IXFR from named\'s journal after an nsupdate', async (t) => {
  const [hPort, nPort] = [await freePort(), await freePort()];
  const named = await startNamed(nPort, `zone "bind.test" { type primary; file "bind.test.zone"; allow-transfer { key "xfr."; };
    allow-update { key "kea."; }; notify explicit; notify-delay 0; also-notify { 127.0.0.1 port ${hPort} key "xfr."; }; };`, {
    'bind.test.zone': '$ORIGIN bind.test.\n$TTL 300\n@ SOA ns hostmaster 2024010100 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.80\n',
  });
  const secondary = await startReplica({
    yaml: `server: { listen: [ { address: 127.0.0.1, port: ${hPort} } ], dataDir: data }
${KEYS}zones:
  - { name: bind.test., type: secondary, primaries: [ { address: 127.0.0.1, port: ${nPort}, key: xfr. } ] }
`,
  });
  t.teardown(() => secondary.dispose());
  const first = await secondary.waitLog((l) => l.msg === 'zone transferred' && l.zone === 'bind.test.', 10_000);
  t.equal(first.type, 'axfr');
  t.equal(first.serial, 2024010100);
  t.match(await dig(hPort, 'www.bind.test', 'A'), /www\.bind\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.80/);
  t.match(await dig(hPort, 'www.bind.test', 'A'), /flags: qr aa/, 'authoritative for the transferred zone');

  t.equal(await nsupdate(`server 127.0.0.1 ${nPort}\nzone bind.test.\nupdate add cam.bind.test. 60 A 192.0.2.33\nsend\n`), '');
  const second = await secondary.waitLog((l) => l.msg === 'zone transferred' && l.zone === 'bind.test.' && l.serial === 2024010101, 10_000);
  t.equal(second.type, 'ixfr', 'named answered from its journal');
  t.match(await dig(hPort, 'cam.bind.test', 'A'), /cam\.bind\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.33/);
  t.equal(secondary.replication.counters.notifyIn.get('bind.test.', 'accepted') >= 1, true, 'named\'s NOTIFY was taken');
  t.match(named.log(), /zone bind\.test\/IN: sending notifies \(serial 2024010101\)/);
});
