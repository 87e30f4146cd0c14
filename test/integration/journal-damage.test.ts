/**
 * Finding 1 of issue 13 against the real daemon: a journal with one byte flipped in the middle
 * must never be cut silently. The daemon refuses the zone (not served, metric, /readyz 503),
 * leaves the file byte for byte as it was and keeps a copy; `horizond journal check` shows the
 * damage and what a repair drops; after `horizond journal repair` (or with
 * `journal.onCorrupt: truncate`) the zone is served again with a serial above every serial it
 * ever served. An interrupted final append (a torn tail) is still cut without fuss.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dig } from '../helpers/dig.js';
import { MAIN, ROOT, startDaemon, type Daemon } from '../helpers/daemon.js';

const run = promisify(execFile);
const SECRET = 'am91cm5hbCBkYW1hZ2UgdGVzdCBrZXkgZm9yIGhvcml6b25k';
const H = '127.0.0.1';
const N = 100;

function config(onCorrupt: string | null): string {
  return `server: { listen: [ { address: ${H}, port: 0, protocols: [udp, tcp] } ], dataDir: data }
metrics: { listen: "127.0.0.1:0" }
keys: [ { name: ddns., secret: "${SECRET}" } ]
zones:
  - name: home.lan.
    file: home.lan.zone
    allowTransfer: { networks: [127.0.0.1] }
    update: { keys: [ddns.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [A, ANY] } ] }
${onCorrupt ? `    journal: { onCorrupt: ${onCorrupt} }\n` : ''}`;
}

function nsupdate(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('nsupdate', ['-y', `hmac-sha256:ddns.:${SECRET}`], { timeout: 60_000 });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`nsupdate exited ${code}: ${out}`))));
    c.stdin.end([`server ${H} ${port}`, 'zone home.lan.', ...lines, ''].join('\n'));
  });
}

async function serial(d: Daemon): Promise<{ status: string; serial: number | null }> {
  const r = await dig(H, d.port, 'home.lan.', 'SOA');
  const soa = r.answer.find((l) => / SOA /.test(l));
  return { status: r.status, serial: soa ? Number(soa.split(' ')[6]) : null };
}

async function http(d: Daemon, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${d.metrics!.address}:${d.metrics!.port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** How many of the N updated names are served (one dig process asks for all of them). */
async function present(d: Daemon): Promise<number> {
  const names = Array.from({ length: N }, (_, i) => [`dyn${i}.home.lan.`, 'A']).flat();
  const { stdout } = await run('dig', [`@${H}`, '-p', String(d.port), '+short', '+tries=2', '+time=3', '+nocookie', ...names], { timeout: 120_000 });
  return stdout.split('\n').filter((l) => l.startsWith('10.9.')).length;
}

function cli(dir: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, [MAIN, ...args, '--config', join(dir, 'horizond.yaml')], { cwd: dir, timeout: 60_000 })
    .then((r) => ({ code: 0, out: r.stdout + r.stderr }))
    .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));
}

/** A daemon with N acknowledged updates, stopped; returns its directory and the serial it served last. */
async function populated(onCorrupt: string | null): Promise<{ dir: string; last: number; journal: string }> {
  const d = await startDaemon({
    config: config(onCorrupt), keepDir: true,
    files: { 'home.lan.zone': readFileSync(join(ROOT, 'zones/home.lan.zone'), 'utf8') },
  });
  t.teardown(() => run('rm', ['-rf', d.dir])); // the file's own teardown: after every subtest
  const lines: string[] = [];
  for (let i = 0; i < N; i++) lines.push(`update add dyn${i}.home.lan. 300 A 10.9.${i >> 8}.${i & 255}`, 'send');
  await nsupdate(d.port, lines);
  const served = await present(d);
  if (served !== N) throw new Error(`only ${served} of ${N} acknowledged updates served before the damage`);
  const last = (await serial(d)).serial!;
  await d.stop();
  return { dir: d.dir, last, journal: join(d.dir, 'data', 'home.lan.journal') };
}

t.test('one flipped byte in the middle: zone refused, file untouched, copy kept, not ready; repair keeps the serial going forward', async (t) => {
  const { dir, last, journal } = await populated(null);
  const original = readFileSync(journal);
  t.ok(original.length > 5000, `journal of ${original.length} bytes`);
  const flipped = Buffer.from(original);
  flipped[120]! ^= 0x5a;
  writeFileSync(journal, flipped);

  const d = await startDaemon({ dir });
  t.teardown(() => d.stop());
  const err = await d.waitLog((r) => typeof r.msg === 'string' && /journal .* is damaged/.test(r.msg), 60_000);
  t.match(err.msg, /checksum mismatch|bad length|running over/, 'the log says what is wrong');
  t.match(err.msg, /not served/);
  const q = await serial(d);
  t.not(q.status, 'NOERROR', `the zone is not served (${q.status})`);
  t.equal(q.serial, null, 'no SOA with a serial from before the damage');
  t.same(readFileSync(journal), flipped, 'the journal is left byte for byte as it was');
  t.equal(statSync(journal).size, original.length, 'not truncated');
  const copies = readdirSync(join(dir, 'data')).filter((f) => f.startsWith('home.lan.journal.corrupt-'));
  t.equal(copies.length, 1, 'a copy is kept');
  t.same(readFileSync(join(dir, 'data', copies[0]!)), flipped);
  const ready = await http(d, '/readyz');
  t.equal(ready.status, 503, '/readyz is not ready');
  t.match(ready.body, /journal of home\.lan\. is damaged/);
  const metrics = await http(d, '/metrics');
  t.match(metrics.body, /horizond_update_journal_damaged\{zone="home\.lan\."\} 1/);
  t.match(metrics.body, /horizond_zone_load_failed\{zone="home\.lan\."\} 1/);

  const check = await cli(dir, 'journal', 'check', 'home.lan.');
  t.equal(check.code, 1, 'journal check exits 1 on damage');
  t.match(check.out, /DAMAGED/);
  t.match(check.out, new RegExp(`the damaged record and ${N - 2} readable acknowledged record\\(s\\) after it`), 'it shows what a repair would drop');

  const busy = await cli(dir, 'journal', 'repair', 'home.lan.');
  t.not(busy.code, 0, 'no repair while the server runs');
  t.same(readFileSync(journal), flipped, 'still untouched');
  await d.stop();

  const repair = await cli(dir, 'journal', 'repair', 'home.lan.');
  t.equal(repair.code, 0, repair.out);
  t.match(repair.out, /copy: .*home\.lan\.journal\.corrupt-/);
  const again = await startDaemon({ dir });
  t.teardown(() => again.stop());
  const after = await serial(again);
  t.equal(after.status, 'NOERROR');
  t.ok(after.serial! > last, `serial ${after.serial} is above the last one served before the damage (${last})`);
  t.ok(await present(again) < N, 'the dropped updates are gone, as the check said');
  t.equal((await http(again, '/readyz')).status, 200, 'ready again');
  t.match((await http(again, '/metrics')).body, /horizond_update_journal_damaged\{zone="home\.lan\."\} 0/);
});

t.test('journal.onCorrupt: truncate serves from the last good record, serial never backwards, copy kept', async (t) => {
  const { dir, last, journal } = await populated('truncate');
  const buf = readFileSync(journal);
  const flipped = Buffer.from(buf);
  flipped[buf.length >> 1]! ^= 0x01; // the midpoint
  writeFileSync(journal, flipped);
  const d = await startDaemon({ dir });
  t.teardown(() => d.stop());
  await d.waitLog((r) => typeof r.msg === 'string' && /is damaged: .*onCorrupt is truncate/.test(r.msg), 60_000);
  const q = await serial(d);
  t.equal(q.status, 'NOERROR', 'served');
  t.ok(q.serial! > last, `serial ${q.serial} > ${last}`);
  const n = await present(d);
  t.ok(n > 0 && n < N, `${n} of ${N} updates before the damage are served`);
  t.ok(readdirSync(join(dir, 'data')).some((f) => f.startsWith('home.lan.journal.corrupt-')), 'copy kept');
  t.equal((await http(d, '/readyz')).status, 200, 'the operator chose this: ready');
  t.match((await http(d, '/metrics')).body, /horizond_update_journal_truncations_total 1/);
  await nsupdate(d.port, ['update add later.home.lan. 300 A 10.9.9.9', 'send']);
  t.ok((await serial(d)).serial! > q.serial!, 'updates go on');
});

t.test('an interrupted final append is cut and nothing acknowledged is lost', async (t) => {
  const { dir, last, journal } = await populated(null);
  const good = statSync(journal).size;
  appendFileSync(journal, Buffer.from([0, 0, 1, 0, 0x12, 0x34, 0x56, 0x78, 0x7b, 0x22])); // a record cut short
  const d = await startDaemon({ dir });
  t.teardown(() => d.stop());
  t.equal((await serial(d)).serial, last);
  t.equal(await present(d), N, 'every acknowledged update is served');
  t.equal(statSync(journal).size, good, 'the torn tail is cut');
  t.equal((await http(d, '/readyz')).status, 200);
});

t.test('IXFR history damaged in the middle: left as it is, copy kept, not ready, the zone keeps serving (AXFR still works)', async (t) => {
  const { dir, last } = await populated(null);
  const path = join(dir, 'data', 'home.lan.ixfr');
  const buf = readFileSync(path);
  const flipped = Buffer.from(buf);
  flipped[buf.length >> 1]! ^= 0x01;
  writeFileSync(path, flipped);
  const d = await startDaemon({ dir });
  t.teardown(() => d.stop());
  await d.waitLog((r) => typeof r.msg === 'string' && /IXFR history .* is damaged/.test(r.msg), 60_000);
  const q = await serial(d);
  t.equal(q.status, 'NOERROR', 'the zone data (zone file + journal) is intact: served');
  t.equal(q.serial, last);
  t.equal(await present(d), N);
  t.same(readFileSync(path), flipped, 'the history file is left as it was');
  t.ok(readdirSync(join(dir, 'data')).some((f) => f.startsWith('home.lan.ixfr.corrupt-')), 'copy kept');
  const ready = await http(d, '/readyz');
  t.equal(ready.status, 503);
  t.match(ready.body, /IXFR history of home\.lan\. is damaged/);
  t.match((await http(d, '/metrics')).body, /horizond_xfr_history_damaged\{zone="home\.lan\."\} 1/);
  const axfr = await dig(H, d.port, 'home.lan.', 'AXFR');
  const rrs = axfr.raw.split('\n').filter((l) => l !== '' && !l.startsWith(';'));
  t.ok(rrs.length > N, `AXFR answers the whole zone (${rrs.length} records)`);
  await nsupdate(d.port, ['update add later.home.lan. 300 A 10.9.9.9', 'send']);
  t.same(readFileSync(path), flipped, 'still untouched after an update');
  const check = await cli(dir, 'journal', 'check', 'home.lan.');
  t.equal(check.code, 1);
  t.match(check.out, /IXFR history .*\n\s+DAMAGED: /);
});
