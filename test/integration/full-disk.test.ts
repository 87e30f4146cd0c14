/**
 * Finding 2 of issue 13 against the real daemon: start-up needs no free disk, and the data
 * directory lock is the kernel's (it dies with its process), so neither a full data disk nor a
 * lock file naming some other live process stops a restart. A full disk only stops updates
 * (SERVFAIL, counted); they work again once there is room.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dig } from '../helpers/dig.js';
import { ROOT, startDaemon, type Daemon } from '../helpers/daemon.js';

const run = promisify(execFile);
const SECRET = 'ZnVsbCBkaXNrIHRlc3Qga2V5IGZvciBob3Jpem9uZCAyMDI2';
const H = '127.0.0.1';
const ZONE = readFileSync(join(ROOT, 'zones/home.lan.zone'), 'utf8');
const B_ZONE = '$ORIGIN b.test.\n@ 300 SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n';

function config(withB: boolean): string {
  const upd = `update: { keys: [ddns.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [A, ANY] } ] }`;
  return `server: { listen: [ { address: ${H}, port: 0, protocols: [udp, tcp] } ], dataDir: data }
metrics: { listen: "127.0.0.1:0" }
keys: [ { name: ddns., secret: "${SECRET}" } ]
zones:
  - { name: home.lan., file: home.lan.zone, ${upd} }
${withB ? `  - { name: b.test., file: b.zone, ${upd} }\n` : ''}`;
}

/** One update through nsupdate; resolves with its output (nsupdate prints the failing RCODE). */
function nsupdate(port: number, zone: string, line: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn('nsupdate', ['-y', `hmac-sha256:ddns.:${SECRET}`], { timeout: 60_000 });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('close', (code) => resolve({ code, out }));
    c.stdin.end([`server ${H} ${port}`, `zone ${zone}`, line, 'send', ''].join('\n'));
  });
}

async function metric(d: Daemon, name: string): Promise<number> {
  const text = await (await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`)).text();
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Fills the file system holding `dir` until it has no byte left. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'fill'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  try {
    for (;;) writeSync(fd, chunk.subarray(0, 1));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

if (process.getuid?.() !== 0) {
  t.skip('mounting a small tmpfs as the data directory needs root', () => {});
} else {
  t.test('a full data disk: the daemon starts and answers; updates get SERVFAIL (counted) until there is room', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'horizond-fulldisk-'));
    const data = join(dir, 'data');
    mkdirSync(data);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k,nr_inodes=64', 'horizond-test', data]);
    t.teardown(async () => {
      await run('umount', [data]).catch(() => run('umount', ['-l', data]));
      rmSync(dir, { recursive: true, force: true });
    });
    writeFileSync(join(dir, 'b.zone'), B_ZONE);
    let d = await startDaemon({ dir, config: config(false), files: { 'home.lan.zone': ZONE } });
    t.teardown(() => d.stop());
    for (let i = 0; i < 5; i++) t.equal((await nsupdate(d.port, 'home.lan.', `update add d${i}.home.lan. 300 A 10.7.0.${i}`)).code, 0);
    await d.stop();

    fill(data);
    writeFileSync(join(dir, 'horizond.yaml'), config(true)); // b.test. has no journal yet: it cannot be created now
    d = await startDaemon({ dir });
    for (let i = 0; i < 5; i++) t.same((await dig(H, d.port, `d${i}.home.lan.`, 'A')).answer.map((l) => l.split(' ').at(-1)), [`10.7.0.${i}`], `acknowledged update ${i} served after a restart on a full disk`);
    t.equal((await dig(H, d.port, 'ns.b.test.', 'A')).status, 'NOERROR', 'a zone whose journal cannot be created is served');
    t.equal((await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/readyz`)).status, 200, 'ready');
    t.ok(d.logs.some((r) => /journal could not be created/.test(String(r.msg))), 'the log says why updates will fail');

    // Larger than a page: tmpfs may still have room in the journal's last page for a small one.
    const big = Array.from({ length: 150 }, (_, i) => `update add full${i}.home.lan. 300 A 10.7.2.${i}`).join('\n');
    const full = await nsupdate(d.port, 'home.lan.', big);
    t.match(full.out, /SERVFAIL/, 'an update gets SERVFAIL on a full disk');
    t.match((await nsupdate(d.port, 'b.test.', 'update add x.b.test. 300 A 10.7.1.2')).out, /SERVFAIL/, 'a journal that cannot be created: SERVFAIL');
    t.ok(await metric(d, 'horizond_update_journal_write_errors_total') >= 2, 'counted');
    t.ok(await metric(d, 'horizond_update_refusals_total{reason="journal"}') >= 2);
    t.equal((await dig(H, d.port, 'full0.home.lan.', 'A')).status, 'NXDOMAIN', 'nothing half-applied');
    t.equal((await dig(H, d.port, 'host1.home.lan.', 'A')).status, 'NOERROR', 'queries are answered throughout');

    rmSync(join(data, 'fill'));
    t.equal((await nsupdate(d.port, 'home.lan.', 'update add room.home.lan. 300 A 10.7.1.3')).code, 0, 'with room again updates work');
    t.equal((await nsupdate(d.port, 'b.test.', 'update add y.b.test. 300 A 10.7.1.4')).code, 0, 'and the missing journal is created');
    const again = await d.restart();
    d = again;
    t.equal((await dig(H, d.port, 'room.home.lan.', 'A')).answer.length, 1, 'durable');
    t.equal((await dig(H, d.port, 'y.b.test.', 'A')).answer.length, 1, 'durable');
  });
}

t.test('a leftover lock file naming a live unrelated process does not block start-up; a running server still does', async (t) => {
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  t.teardown(() => { sleeper.kill('SIGKILL'); });
  const d = await startDaemon({ config: config(false), files: { 'home.lan.zone': ZONE }, keepDir: true });
  const dir = d.dir;
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await d.stop('SIGKILL');
  writeFileSync(join(dir, 'data', 'horizond.lock'), `${sleeper.pid}\n`);
  const again = await startDaemon({ dir });
  t.teardown(() => again.stop());
  t.equal((await dig(H, again.port, 'host1.home.lan.', 'A')).status, 'NOERROR', `started although the lock file names live pid ${sleeper.pid}`);
  const second = await run(process.execPath, [join(ROOT, 'dist', 'main.js'), '--config', join(dir, 'horizond.yaml')], { cwd: dir, timeout: 30_000 })
    .then(() => ({ code: 0, err: '' }), (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }));
  t.not(second.code, 0, 'a second server on the same data directory exits');
  t.match(second.err, new RegExp(`in use by horizond pid ${again.proc.pid}`), 'naming the pid that holds it');
});
