import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = join(ROOT, 'dist', 'main.js');

export interface Bound { protocol: string; address: string; port: number }

export interface Daemon {
  proc: ChildProcess;
  dir: string;
  port: number;
  bound: Bound[];
  logs: Record<string, unknown>[];
  /** Resolves with the first log record matching, waiting up to ms. */
  waitLog(pred: (r: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface DaemonOptions {
  /** YAML config text; `{{dir}}` is replaced by the temp directory. */
  config: string;
  /** Extra files to write into the temp dir (relative path → content). */
  files?: Record<string, string>;
  /** Copy the repository's zones/ folder into the temp dir. */
  copyZones?: boolean;
  args?: string[];
  env?: Record<string, string>;
}

/**
 * Starts the compiled daemon (dist/main.js) on ephemeral loopback ports with a config written to a
 * fresh temp dir, and waits for its "ready" log line, which lists the bound listeners.
 */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-test-'));
  if (opts.copyZones) cpSync(join(ROOT, 'zones'), join(dir, 'zones'), { recursive: true });
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  writeFileSync(join(dir, 'horizond.yaml'), opts.config.replaceAll('{{dir}}', dir));
  const proc = spawn(process.execPath, [MAIN, '--config', join(dir, 'horizond.yaml'), ...(opts.args ?? [])], {
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
  const waitLog = (pred: (r: Record<string, unknown>) => boolean, ms = 10000) =>
    new Promise<Record<string, unknown>>((res, rej) => {
      const found = logs.find(pred);
      if (found) return res(found);
      const timer = setTimeout(() => rej(new Error(`log line not seen within ${ms} ms; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`)), ms);
      waiters.push({ pred, done: (r) => { clearTimeout(timer); res(r); } });
      void exited.then((code) => { clearTimeout(timer); rej(new Error(`daemon exited (${code}) before the log line; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`)); });
    });
  const ready = await waitLog((r) => r.msg === 'ready');
  const bound = ready.listeners as Bound[];
  let stopped = false;
  return {
    proc, dir, bound, logs, waitLog,
    port: bound[0]!.port,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!stopped) {
        stopped = true;
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      }
      const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
      const code = await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
      return code;
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
