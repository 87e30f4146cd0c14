import { HzError } from '../errors/index.js';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * An exclusive claim on a data directory: two servers appending to the same journals would
 * corrupt them. The claim is a Unix socket bound in Linux's abstract namespace under a name made
 * from the directory's device and inode numbers: a kernel object that needs no disk space (a
 * full data disk must not stop a restart) and that the kernel releases when the process dies in
 * any way (`kill -9`, OOM), so there is no stale lock to judge and no pid that another process
 * could reuse after a reboot. Whoever holds it answers a connection with its pid, for the error
 * message; no pid file is written.
 *
 * Why not flock(2): Node has no binding for it, and a native addon for one call would make every
 * install build C code. What the socket does not cover: abstract sockets belong to a network
 * namespace, so two processes in *different* network namespaces (two pods, two containers without
 * a shared network) sharing one volume do not see each other's claim; give each server its own
 * volume (a StatefulSet's ReadWriteOnce claim per pod, as deploy/ does).
 */
export class DataDirLock {
  private constructor(readonly dir: string, readonly name: string, private readonly server: Server) {}

  static async acquire(dir: string): Promise<DataDirLock> {
    const abs = resolve(dir);
    try {
      mkdirSync(abs, { recursive: true });
    } catch {
      // a full disk cannot create it: the name below then comes from the path
    }
    const name = lockName(abs);
    const server = createServer((sock) => { sock.on('error', () => undefined); sock.end(`${process.pid}\n`); });
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen({ path: name, exclusive: true }, () => { server.off('error', fail); ok(); });
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new HzError('HZ_ERR_DATADIR_LOCK', `cannot lock the data directory ${abs}: ${(err as Error).message}`);
      const owner = await holder(name);
      throw new HzError('HZ_ERR_DATADIR_LOCKED', `data directory ${abs} is in use by horizond${owner ? ` pid ${owner}` : ''}; two servers must not share journals`);
    }
    server.unref();
    // Versions before this lock left a pid file; it means nothing now.
    rmSync(join(abs, 'horizond.lock'), { force: true });
    return new DataDirLock(abs, name, server);
  }

  release(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

/** `\0horizond-datadir:<dev>:<inode>` (the path itself when the directory cannot be read). */
function lockName(abs: string): string {
  try {
    const st = statSync(abs, { bigint: true });
    return `\0horizond-datadir:${st.dev}:${st.ino}`;
  } catch {
    return `\0horizond-datadir:${abs}`.slice(0, 107);
  }
}

/** The pid the holder answers with (null when it does not answer within a second). */
function holder(name: string): Promise<number | null> {
  return new Promise((done) => {
    let text = '';
    const sock = createConnection({ path: name });
    const timer = setTimeout(() => { sock.destroy(); done(null); }, 1000);
    sock.on('data', (d) => { text += d; });
    sock.on('end', () => { clearTimeout(timer); const pid = Number.parseInt(text, 10); done(Number.isInteger(pid) ? pid : null); });
    sock.on('error', () => { clearTimeout(timer); done(null); });
  });
}
