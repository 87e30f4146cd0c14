import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';
import { stopChild } from './process.js';

/**
 * A real PostgreSQL 15 (Debian's package) for a test: initdb in a temporary directory as the
 * unprivileged user `nobody` (tests run as root, which PostgreSQL refuses), the server on a free
 * loopback port with password (SCRAM) login over TCP, started and stopped by its own PID.
 */

const BIN = '/usr/lib/postgresql/15/bin';
const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];

export interface Postgres {
  readonly dir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** postgres://user@127.0.0.1:port/postgres (no password: it comes from passwordFile). */
  readonly url: string;
  /** A file holding the password (readable by the test's daemons). */
  readonly passwordFile: string;
  proc: ChildProcess;
  /** Starts the server again on the same data (after stop or kill). */
  start(): Promise<void>;
  /** SIGKILL: a crash, no shutdown. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** Runs SQL as the superuser. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  /** Stops the server and removes the directory. */
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const password = 'pw-' + Math.random().toString(36).slice(2);
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`);
  chownSync(dir, 65534, 65534);
  chownSync(pwfile, 65534, 65534);
  execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), `${BIN}/initdb`, '-D', data, '-U', 'horizond', '--pwfile', pwfile,
    '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'], { stdio: 'ignore', timeout: 120_000 });
  const port = await freePort();
  let proc!: ChildProcess;
  const client = (): pg.Client => new pg.Client({ host: '127.0.0.1', port, user: 'horizond', password, database: 'postgres' });
  const start = async (): Promise<void> => {
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        await startOnce();
        return;
      } catch (err) {
        // After a SIGKILL the old backends may still hold the shared memory for a moment.
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  const startOnce = async (): Promise<void> => {
    proc = spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), `${BIN}/postgres`, '-D', data, '-p', String(port), '-k', dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'], { stdio: 'ignore' });
    pgHandle.proc = proc;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = client();
      try {
        await c.connect();
        await c.end();
        return;
      } catch (err) {
        await c.end().catch(() => {});
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`postgres did not start: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const pgHandle: Postgres = {
    dir, port, user: 'horizond', password, url: `postgres://horizond@127.0.0.1:${port}/postgres`, passwordFile: pwfile,
    proc: undefined as unknown as ChildProcess,
    start,
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
      // Its children notice the postmaster is gone and exit; start() waits for them if needed.
    },
    async stop() {
      await stopChild(proc, 10_000);
    },
    async query(sql, params) {
      const c = client();
      await c.connect();
      try {
        return await c.query(sql, params as unknown[]);
      } finally {
        await c.end();
      }
    },
    async destroy() {
      await stopChild(proc, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await start();
  return pgHandle;
}
