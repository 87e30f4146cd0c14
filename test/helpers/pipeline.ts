/**
 * The real request path built from config text, in process and without sockets: the same
 * parseConfig → buildRuntime → buildPipeline the daemon runs, with real update and replication
 * managers over a temp data directory. Fixtures and tests use this instead of assembling
 * chains by hand, so they always exercise the chain build.ts declares. Hooks for the
 * forwarding side (clock, upstream groups, budget) are the only things a test replaces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import { createLogger, type Logger } from '../../src/observability/log.js';
import { QueryStats } from '../../src/observability/query-stats.js';
import { QueryContext, TransportKind, type ReplySink } from '../../src/pipeline/context.js';
import type { BuiltPipeline, PipelineDeps } from '../../src/pipeline/build.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { keyringFromConfig } from '../../src/tsig/signer.js';
import type { Relay } from '../../src/pipeline/stages/relay.js';
import { buildRuntime, type Runtime } from '../../src/runtime.js';
import { UpdateManager } from '../../src/update/manager.js';
import { BlockingManager } from '../../src/blocking/manager.js';
import { ReplicationManager } from '../../src/xfr/manager.js';

export interface PipelineFromYamlOptions {
  /** Where relative paths in the config resolve (zone files); default a new temp directory. */
  baseDir?: string;
  /** Forwarding hooks: an injected clock, scripted upstream groups, the resolution budget. */
  resolver?: PipelineDeps['resolver'];
  /** The pipeline this one replaces (a reload: the cache is kept). */
  previous?: TestPipeline | null;
  log?: Logger;
  /** Build it as a query worker's (UPDATE and NOTIFY relayed to the owner through this). */
  relay?: Relay;
}

export interface Answer {
  wire: Buffer;
  /** The context the answer went out on (source, view, upstream...). */
  ctx: QueryContext;
}

export interface SendOptions {
  tcp?: boolean;
  port?: number;
}

export interface TestPipeline {
  config: Config;
  runtime: Runtime;
  pipeline: BuiltPipeline;
  dispatcher: Dispatcher;
  stats: QueryStats;
  updates: UpdateManager;
  replication: ReplicationManager;
  blocking: BlockingManager;
  /**
   * Runs one message from `address` over UDP (or TCP) through the pipeline, as a listener
   * would; resolves with the answer, or null when the message is dropped.
   */
  send(msg: Buffer, address?: string, o?: SendOptions): Promise<Answer | null>;
  /** Runs one message with the answer going to `sink` (synchronously when the pipeline answers at once). */
  handle(msg: Buffer, address: string, sink: ReplySink, o?: SendOptions): void;
  close(): Promise<void>;
}

/** Builds the daemon's pipeline for `yaml`. Close it (or its replacement) when done. */
export async function pipelineFromYaml(yaml: string, o: PipelineFromYamlOptions = {}): Promise<TestPipeline> {
  const own = o.baseDir === undefined && o.previous == null ? mkdtempSync(join(tmpdir(), 'horizond-pipeline-')) : null;
  const baseDir = o.baseDir ?? o.previous?.config.baseDir ?? own!;
  const config = parseConfig(yaml, 'test.yaml', baseDir);
  const log = o.log ?? createLogger('silent');
  const prev = o.previous ?? null;
  const stats = prev?.stats ?? new QueryStats();
  const updates = prev?.updates ?? new UpdateManager({ dataDir: config.server.dataDir, log });
  const replication = prev?.replication ?? new ReplicationManager({ keyring: keyringFromConfig(config.keys), log });
  // Blocklists rebuilt inline (no worker thread from TypeScript sources), nothing downloaded.
  const blocking = prev?.blocking ?? new BlockingManager({ dataDir: config.server.dataDir, log, inline: true, offline: true });
  if (prev === null) updates.attach(replication.feed);
  const runtime = await buildRuntime(config, {
    log, stats, updates, replication, blocking, previous: prev?.runtime ?? null, relay: o.relay ?? null,
    ...(o.resolver ? { resolver: o.resolver } : {}),
  });
  await blocking.settled();
  const dispatcher = new Dispatcher(runtime.pipeline, log);
  let closed: Promise<void> | null = null;
  const handle = (msg: Buffer, address: string, sink: ReplySink, so: SendOptions = {}): void => {
    const ctx = new QueryContext();
    const family = address.includes(':') ? 6 : 4;
    ctx.reset(msg, address, so.port ?? 40000, family, so.tcp ? TransportKind.Tcp : TransportKind.Udp, sink, null, performance.now());
    dispatcher.handle(ctx);
  };
  return {
    config, runtime, pipeline: runtime.pipeline, dispatcher, stats, updates, replication, blocking, handle,
    send(msg, address = '127.0.0.1', so = {}) {
      return new Promise((resolve) => {
        handle(msg, address, { reply: (c, wire) => resolve({ wire, ctx: c }), dropped: () => resolve(null) }, so);
      });
    },
    close() {
      closed ??= (async () => {
        await runtime.close();
        // A reload's pipeline shares the managers with the one it replaced: the last one closes them.
        if (prev === null || prev.updates !== updates) {
          await updates.close();
          await replication.close();
          await blocking.close();
        }
        if (own !== null) rmSync(own, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
