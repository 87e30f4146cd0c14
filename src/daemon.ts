import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { WorkerChannel } from './cluster/channel.js';
import { asBuffer, RELAY_TIMEOUT_MS, ROLE_ENV, type RelayReply, type RelayRequest, type Role } from './cluster/messages.js';
import { Supervisor } from './cluster/supervisor.js';
import { loadConfig } from './config/index.js';
import { createLogger } from './observability/log.js';
import type { PeerMetrics } from './observability/metrics.js';
import { FileWatcher, watchedFiles } from './reload/watch.js';
import type { Server, ServerOptions } from './server.js';
import type { JournalRecord } from './update/journal-format.js';

/** How long the owner waits for the query workers to apply a committed batch before it answers anyway. */
const COMMIT_TIMEOUT_MS = 1000;

/**
 * `horizond` serving: one process, or with `server.workers` > 1 a supervising primary and its
 * workers (node:cluster). Which of these this process is comes from the cluster module and the
 * role the primary put in the worker's environment.
 */
export async function serve(file: string): Promise<void> {
  if (cluster.isWorker) return serveWorker(file, process.env[ROLE_ENV] === 'owner' ? 'owner' : 'query');
  const config = await loadConfig(file);
  if (config.server.workers > 1) return supervise(file, config.server.workers, createLogger(config.log.level));
  const { Server } = await serverModule();
  return serveOne(file, 'single', await Server.create(file));
}

/** The server module, loaded only where a server runs (the primary of several workers stays small). */
async function serverModule(): Promise<typeof import('./server.js')> {
  return import('./server.js');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Binds, watches the config and zone files (not in query workers: the owner reloads first and
 * then tells them), and stops gracefully on SIGTERM/SIGINT or when the primary goes away.
 */
async function serveOne(file: string, role: Role, server: Server, hooks: { reloaded?: () => void; channel?: WorkerChannel } = {}): Promise<void> {
  const log = server.log;
  const { zoneSummary } = await serverModule();
  const listeners = await server.listen();
  const reload = () => server.reload().then((ok) => {
    if (ok) hooks.reloaded?.();
    watcher?.refresh();
  });
  const watcher = role === 'query' ? null : new FileWatcher({ files: () => watchedFiles(server.config), onChange: () => reload(), log: log.child({ component: 'reload' }) });
  log.info({ ...(role === 'single' ? { role } : {}), listeners: listeners.bound(), metrics: server.metricsAddress, console: server.consoleAddress, zones: role === 'query' ? undefined : zoneSummary(server.runtime), pid: process.pid, version: version() }, 'ready');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    watcher?.close();
    // The channel stays open until the server stopped: updates still queued wait for the query
    // workers, and relayed messages in flight get their answers.
    server.stop().then(
      () => { hooks.channel?.close(); log.info('stopped'); log.flush(); setImmediate(() => process.exit(0)); },
      (err) => { log.error({ err }, 'shutdown failed'); process.exit(1); },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A query worker is told to reload by the owner once the owner's reload worked.
  process.on('SIGHUP', () => { if (role !== 'query') void reload(); });
  if (hooks.channel) {
    hooks.channel.handle('reload', () => { void reload(); });
    // The primary is gone (killed): nobody would stop or restart us, so stop.
    process.on('disconnect', () => stop('primary exited'));
    hooks.channel.post('ready', 'primary');
  }
}

/**
 * A worker. Owner: a complete server that also answers what query workers relay, passes every
 * committed update on to them, and serves /metrics for all. Query: UDP answers from the same
 * config, zones and (read-only) journals.
 */
async function serveWorker(file: string, role: 'owner' | 'query'): Promise<void> {
  const channel = new WorkerChannel();
  const { Server } = await serverModule();
  if (role === 'owner') {
    const server = await Server.create(file, {
      role,
      logFields: { worker: cluster.worker?.id, role },
      // Updates are answered once every query worker serves them too (read-your-writes).
      committed: (zone: string, records: readonly JournalRecord[]) => channel.request<void>('commit', 'primary', { zone, records }, COMMIT_TIMEOUT_MS),
    });
    channel.handle('relay', (body) => {
      const r = body as RelayRequest;
      return server.handleRelayed(asBuffer(r.msg), r.address, r.port, r.family).then((wire): RelayReply => ({ wire }));
    });
    server.metrics.withPeers(() => channel.request<PeerMetrics[]>('gather', 'primary', null, 5000));
    const workers = server.config.server.workers;
    return serveOne(file, role, server, {
      channel,
      reloaded: () => {
        if (server.config.server.workers !== workers) server.log.warn({ running: workers, configured: server.config.server.workers }, 'server.workers changes at the next start; the running workers stay');
        channel.post('reload', 'queries');
      },
    });
  }
  // Commits that arrive while the journals are first read are applied right after.
  const early: { zone: string; records: JournalRecord[] }[] = [];
  let server: Server | null = null;
  channel.handle('commit', (body) => {
    const c = body as { zone: string; records: JournalRecord[] };
    if (server === null) early.push(c);
    else server.updates.applyCommitted(c.zone, c.records);
  });
  const opts: ServerOptions = {
    role,
    logFields: { worker: cluster.worker?.id, role },
    relay: (msg, address, port, family) => channel
      .request<RelayReply>('relay', 'owner', { msg, address, port, family } satisfies RelayRequest, RELAY_TIMEOUT_MS)
      .then((r) => (r.wire === null ? null : asBuffer(r.wire))),
  };
  server = await Server.create(file, opts);
  for (const c of early.splice(0)) server.updates.applyCommitted(c.zone, c.records);
  const s = server;
  channel.handle('metrics', () => s.metrics.json());
  return serveOne(file, role, s, { channel });
}

/** The primary of a multi-worker server. */
async function supervise(file: string, workers: number, log: ReturnType<typeof createLogger>): Promise<void> {
  const sup = new Supervisor({ workers, log });
  process.on('SIGHUP', () => sup.reload());
  process.on('SIGTERM', () => sup.stop());
  process.on('SIGINT', () => sup.stop());
  try {
    await sup.start();
  } catch (err) {
    log.error((err as Error).message);
    sup.stop();
    await sup.finished;
    log.flush();
    process.exit((err as { exitCode?: number }).exitCode ?? 1);
  }
  log.info({ config: file, workers: sup.workers(), pid: process.pid, version: version() }, 'ready');
  const code = await sup.finished;
  log.info('stopped');
  log.flush();
  setImmediate(() => process.exit(code));
}
