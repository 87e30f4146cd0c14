import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { HzError } from '../errors/index.js';

/**
 * An exclusive claim on a data directory: two servers appending to the same journals would
 * corrupt them. The lock file holds the owner's pid; a lock whose pid no longer runs (a crash,
 * `kill -9`) or is our own (a container restarted with the same pid) is taken over.
 */
export class PidLock {
  private constructor(readonly file: string) {}

  static acquire(dir: string): PidLock {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'horizond.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o644);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new PidLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new HzError('HZ_ERR_DATADIR_LOCKED', `data directory ${dir} is in use by horizond pid ${owner} (${file}); two servers must not share journals`);
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
    throw new HzError('HZ_ERR_DATADIR_LOCK', `cannot lock the data directory ${dir}`);
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
