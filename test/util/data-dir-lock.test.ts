import t from 'tap';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLock } from '../../src/util/data-dir-lock.js';

t.test('one holder per directory; the holder is named; release frees it; no file is written', async (t) => {
  const root = t.testdir(); // once: it is recreated on every call
  const dir = join(root, 'data');
  mkdirSync(dir);
  writeFileSync(join(dir, 'horizond.lock'), '1\n'); // left by an older version: means nothing
  const a = await DataDirLock.acquire(dir);
  t.notOk(existsSync(join(dir, 'horizond.lock')), 'the old pid file is removed, none written');
  await t.rejects(DataDirLock.acquire(dir), { code: 'HZ_ERR_DATADIR_LOCKED', message: new RegExp(`in use by horizond pid ${process.pid}`) });
  await t.rejects(DataDirLock.acquire(`${dir}/./`), { code: 'HZ_ERR_DATADIR_LOCKED' }, 'the same directory by another path');
  const other = join(root, 'other');
  const b = await DataDirLock.acquire(other);
  t.ok(b, 'another directory is free');
  await a.release();
  const c = await DataDirLock.acquire(dir);
  t.ok(c, 'free again after release');
  await c.release();
  await b.release();
});
