import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/**
 * The repository root: the nearest directory above this file holding package.json. Found by
 * walking up rather than by a fixed '../..' because `npm test` runs the tests compiled into
 * build-test/ (see package.json), one level deeper than the sources.
 */
export const ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above the test helpers');
    dir = up;
  }
  return dir;
})();
export const MAIN = join(ROOT, 'dist', 'main.js');

export interface Bound { protocol: string; address: string; port: number }

export interface Daemon {
  proc: ChildProcess;
  dir: string;
  port: number;
  bound: Bound[];
  /** Where /metrics, /healthz and /readyz listen (the ready line's `metrics`), null when off. */
  metrics: { address: string; port: number } | null;
  logs: Record<string, unknown>[];
  /** Resolves with the first log record matching, waiting up to ms. */
  waitLog(pred: (r: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  /** Stops the process; removes the directory unless it is kept (`keepDir`, or one passed as `dir`). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * Stops the process (SIGTERM) keeping the directory, and starts the daemon again on it as it
   * is now (config, zone files, data directory: nothing is rewritten), with the same args and
   * env. The new Daemon owns the directory as this one did; stop() on this one then leaves it.
   */
  restart(): Promise<Daemon>;
}

export interface DaemonOptions {
  /** YAML config text; `{{dir}}` is replaced by the directory. Optional with `dir`: its horizond.yaml is used as is. */
  config?: string;
  /** Run in this existing directory (a restart on the same data) instead of a fresh temp dir; it is never removed. */
  dir?: string;
  /** Leave the temp directory in place on stop (the caller removes it). */
  keepDir?: boolean;
  /** Extra files to write into the temp dir (relative path → content). */
  files?: Record<string, string>;
  /** Copy the repository's zones/ folder into the temp dir. */
  copyZones?: boolean;
  args?: string[];
  env?: Record<string, string>;
  /** A command the daemon runs under (e.g. `unshare -m sh -c '…; exec "$@"' sh`); node and its arguments follow. */
  wrap?: string[];
  /** How long to wait for the ready line (default 30 s: a loaded machine starts slowly; big zones load longer). */
  readyTimeoutMs?: number;
}

/**
 * Starts the compiled daemon (dist/main.js) on ephemeral loopback ports with a config written to a
 * fresh temp dir (or `opts.dir`), and waits for its "ready" log line, which lists the bound
 * listeners.
 */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  if (opts.dir === undefined && opts.config === undefined) throw new Error('startDaemon: config or dir is required');
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'horizond-test-'));
  return launch(opts, dir, opts.dir === undefined && !opts.keepDir);
}

/** Starts the daemon in `dir`; `owned`: stop() removes the directory. */
async function launch(opts: DaemonOptions, dir: string, owned: boolean): Promise<Daemon> {
  if (opts.copyZones) cpSync(join(ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  if (opts.config !== undefined) writeFileSync(join(dir, 'horizond.yaml'), opts.config.replaceAll('{{dir}}', dir));
  const argv = [process.execPath, MAIN, '--config', join(dir, 'horizond.yaml'), ...(opts.args ?? [])];
  const command = [...(opts.wrap ?? []), ...argv];
  const proc = spawn(command[0]!, command.slice(1), {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { pred: (r: Record<string, unknown>) => boolean; done: (r: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += d; });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let rec: Record<string, unknown>;
    try { rec = JSON.parse(line); } catch { rec = { msg: line, raw: true }; }
    logs.push(rec);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pred(rec)) { waiters[i]!.done(rec); waiters.splice(i, 1); }
    }
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const waitLog = (pred: (r: Record<string, unknown>) => boolean, ms = 30_000) =>
    new Promise<Record<string, unknown>>((res, rej) => {
      const found = logs.find(pred);
      if (found) return res(found);
      const timer = setTimeout(() => rej(new Error(`log line not seen within ${ms} ms; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`)), ms);
      waiters.push({ pred, done: (r) => { clearTimeout(timer); res(r); } });
      void exited.then((code) => { clearTimeout(timer); rej(new Error(`daemon exited (${code}) before the log line; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`)); });
    });
  let ready: Record<string, unknown>;
  try {
    ready = await waitLog((r) => r.msg === 'ready', opts.readyTimeoutMs ?? 30000);
  } catch (err) {
    // never leave a daemon behind that the test will not stop (it would hold the file's process open)
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    if (owned) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const bound = ready.listeners as Bound[];
  let stopped = false;
  let owns = owned;
  const halt = async (signal: NodeJS.Signals, remove: boolean): Promise<number | null> => {
    if (!stopped) {
      stopped = true;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    }
    const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
    const code = await exited;
    clearTimeout(t);
    if (remove) rmSync(dir, { recursive: true, force: true });
    return code;
  };
  return {
    proc, dir, bound, logs, waitLog,
    port: bound[0]!.port,
    metrics: (ready.metrics as { address: string; port: number } | null | undefined) ?? null,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => halt(signal, owns),
    async restart() {
      await halt('SIGTERM', false);
      const again = await launch({ ...opts, config: undefined, files: {}, copyZones: false }, dir, owns);
      owns = false; // the new Daemon removes the directory now
      return again;
    },
  };
}

/** A minimal config serving the repository's example zones on an ephemeral loopback port. */
export function exampleConfig(extra = ''): string {
  return `server:
  listen:
    - { address: 127.0.0.1, port: 0 }
log: { level: info }
metrics: { enabled: false }
zones:
  - { name: home.lan., file: zones/home.lan.zone }
  - { name: 1.168.192.in-addr.arpa., file: zones/1.168.192.in-addr.arpa.zone }
${extra}`;
}
