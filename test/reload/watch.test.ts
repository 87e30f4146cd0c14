import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { FileWatcher, watchedFiles } from '../../src/reload/watch.js';
import { sleep, until } from '../helpers/transport.js';

const DEBOUNCE = 60;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-watch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A watcher on `files` recording each onChange call. */
function watcher(t: Test, files: () => string[], onChange: (changed: string[]) => unknown = () => {}) {
  const calls: string[][] = [];
  const w = new FileWatcher({ files, debounceMs: DEBOUNCE, onChange: (c) => { calls.push(c); return onChange(c); } });
  t.teardown(() => w.close());
  return { w, calls };
}

t.test('writes in place: one call after the burst settles', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'horizond.yaml');
  writeFileSync(f, 'a: 1\n');
  const { calls } = watcher(t, () => [f]);
  for (let i = 0; i < 5; i++) {
    writeFileSync(f, `a: ${i + 2}\n`);
    await sleep(10);
  }
  t.same(calls, [], 'nothing before the debounce time has passed');
  await until(() => calls.length > 0, 2000, 'onChange');
  await sleep(DEBOUNCE * 3);
  t.same(calls, [[f]], 'one call for five writes');
});

t.test('an editor\'s rename-replace, twice: the watch survives it', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'home.lan.zone');
  writeFileSync(f, 'v1\n');
  const { calls } = watcher(t, () => [f]);
  for (const v of ['v2', 'v3']) {
    writeFileSync(join(dir, '.home.lan.zone.swp'), `${v}\n`);
    renameSync(join(dir, '.home.lan.zone.swp'), f);
    await until(() => calls.length === (v === 'v2' ? 1 : 2), 2000, `change ${v}`);
  }
  t.same(calls, [[f], [f]]);
});

t.test('a Kubernetes ConfigMap update (..data symlink swap)', async (t) => {
  const dir = tempDir(t);
  const version = (n: number, content: string): void => {
    mkdirSync(join(dir, `..2024_0${n}`));
    writeFileSync(join(dir, `..2024_0${n}`, 'horizond.yaml'), content);
  };
  version(1, 'v1\n');
  symlinkSync('..2024_01', join(dir, '..data'));
  symlinkSync('..data/horizond.yaml', join(dir, 'horizond.yaml'));
  const f = join(dir, 'horizond.yaml');
  const { calls } = watcher(t, () => [f]);
  for (let n = 2; n <= 3; n++) {
    // What the kubelet does: new directory, new ..data_tmp link, atomic rename, old directory removed.
    version(n, `v${n}\n`);
    symlinkSync(`..2024_0${n}`, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, `..2024_0${n - 1}`), { recursive: true });
    await until(() => calls.length === n - 1, 2000, `update ${n}`);
  }
  t.same(calls, [[f], [f]]);
});

t.test('other files in the directory and unchanged rewrites are ignored', async (t) => {
  const dir = tempDir(t);
  const zone = join(dir, 'home.lan.zone');
  writeFileSync(zone, 'same\n');
  const { calls } = watcher(t, () => [zone]);
  writeFileSync(join(dir, 'home.lan.zone.jnl'), 'journal\n');
  writeFileSync(join(dir, 'notes.txt'), 'x\n');
  await sleep(DEBOUNCE * 4);
  t.same(calls, [], 'a journal next to the zone does not reload');
});

t.test('a deleted then recreated file, and a file appearing later', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'a.zone');
  const later = join(dir, 'sub', 'b.zone');
  writeFileSync(f, '1\n');
  const { calls } = watcher(t, () => [f, later]);
  unlinkSync(f);
  await until(() => calls.length === 1, 2000, 'deletion');
  writeFileSync(f, '2\n');
  await until(() => calls.length === 2, 2000, 'recreation');
  t.same(calls, [[f], [f]]);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(later, 'b\n');
  // sub/ did not exist when watching began; a change in the watched parent re-arms the watch.
  writeFileSync(f, '3\n');
  await until(() => calls.length === 3, 2000, 'parent change');
  writeFileSync(later, 'b2\n');
  await until(() => calls.length === 4, 2000, 'the new directory is watched');
  t.same(calls.at(-1), [later]);
});

t.test('a change during a slow reload is not lost, and calls never overlap', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'horizond.yaml');
  writeFileSync(f, '1\n');
  let running = 0;
  let overlapped = false;
  const { calls } = watcher(t, () => [f], async () => {
    running++;
    if (running > 1) overlapped = true;
    await sleep(DEBOUNCE * 4);
    running--;
  });
  writeFileSync(f, '2\n');
  await until(() => calls.length === 1, 2000, 'first');
  writeFileSync(f, '3\n'); // while the first onChange is still running
  await until(() => calls.length === 2, 3000, 'second');
  t.notOk(overlapped);
});

t.test('refresh() follows a new file list; close() stops everything', async (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'a.zone');
  const b = join(dir, 'b.zone');
  writeFileSync(a, 'a\n');
  writeFileSync(b, 'b\n');
  let files = [a];
  const { w, calls } = watcher(t, () => files);
  writeFileSync(b, 'b2\n');
  await sleep(DEBOUNCE * 4);
  t.same(calls, [], 'b is not watched yet');
  files = [a, b];
  w.refresh();
  t.same(w.files, [a, b]);
  writeFileSync(b, 'b3\n');
  await until(() => calls.length === 1, 2000, 'b after refresh');
  w.close();
  writeFileSync(a, 'a2\n');
  await sleep(DEBOUNCE * 4);
  t.equal(calls.length, 1, 'nothing after close');
});

t.test('watchedFiles: the config file and every zone file, views included', async (t) => {
  const dir = tempDir(t);
  for (const f of ['a.zone', 'b.zone', 'lan-b.zone']) writeFileSync(join(dir, f), '');
  const config = parseConfig(`
zones:
  - { name: a.lan., file: a.zone }
  - { name: b.lan., file: b.zone }
views:
  list:
    - name: lan
      match: [192.168.0.0/16]
      zones: [ { name: b.lan., file: lan-b.zone } ]
    - name: default
`, join(dir, 'horizond.yaml'), dir);
  t.same(watchedFiles(config).sort(), [join(dir, 'a.zone'), join(dir, 'b.zone'), join(dir, 'horizond.yaml'), join(dir, 'lan-b.zone')]);
});
