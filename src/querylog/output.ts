import type { DestinationStream, Logger } from 'pino';
import type { QueryLogConfig, QueryLogSinkConfig } from '../config/types.js';
import type { MetricsSink, MetricsSource } from '../observability/metrics.js';
import { createLogger } from '../observability/log.js';
import { join } from 'node:path';
import { LiveStats } from './live-stats.js';
import { SinkQueue } from './queue.js';
import { BatchWriter, type Batch, type RecordSource } from './record.js';
import type { QueryLogSink, SinkEnv, SinkHost } from './sinks/sink.js';
import { SqliteSink, type SqliteSinkOptions } from './sinks/sqlite.js';
import { PostgresSink, type PostgresSinkOptions } from './sinks/postgres.js';
import { StdoutSink } from './sinks/stdout.js';

/**
 * Owns the query log for the life of the Server: the batch writer the answer path appends to,
 * the sinks, and one bounded queue per sink. Each configuration (reload) gets its own QueryLog
 * (view filter and sampling) through forConfig(); sinks whose settings did not change keep
 * running across reloads.
 *
 * Nothing here waits on a sink: a sealed batch is pushed to every sink's queue and the sink is
 * fed when it is free. A sink that is slow or down makes its queue fill; past `queueSize` rows
 * the oldest are dropped and counted (horizond_query_log_dropped_total{sink}).
 */

export interface QueryLogOutputOptions {
  log?: Logger;
  /** Where the stdout sink writes instead of stdout / queryLog.file (tests). */
  destination?: DestinationStream;
  /** Sampling draws (tests); defaults to Math.random. */
  random?: () => number;
  /** How often a partly filled batch is handed to the sinks, ms (default 200). */
  flushMs?: number;
  /** Wall-clock ms of performance.now() = 0 (tests); defaults to performance.timeOrigin. */
  timeOrigin?: number;
  /** SQLite sink timings (tests). */
  sqlite?: SqliteSinkOptions;
  /** PostgreSQL sink timings (tests). */
  postgres?: PostgresSinkOptions;
}

interface Counters {
  written: number;
  dropped: number;
  errors: number;
  up: number;
  queued: number;
}

class Slot implements SinkHost {
  readonly key: string;
  readonly type: string;
  readonly queue: SinkQueue;
  readonly counters: Counters;
  sink!: QueryLogSink;
  busy = false;
  retiring = false;
  closed = false;
  readonly #owner: QueryLogOutput;
  readonly #log: Logger;
  #lastError = '';

  constructor(owner: QueryLogOutput, key: string, type: string, queueSize: number, counters: Counters, log: Logger) {
    this.#owner = owner;
    this.key = key;
    this.type = type;
    this.queue = new SinkQueue(queueSize);
    this.counters = counters;
    this.#log = log;
  }

  done(written: number, lost: number): void {
    this.busy = false;
    this.counters.written += written;
    this.counters.dropped += lost;
    this.#owner.pump(this);
  }

  report(written: number, lost: number): void {
    this.counters.written += written;
    this.counters.dropped += lost;
  }

  state(up: boolean, error?: { code: string; message: string }): void {
    this.counters.up = up ? 1 : 0;
    if (!up) {
      this.counters.errors++;
      const msg = error?.message ?? 'unavailable';
      if (msg !== this.#lastError) this.#log.warn({ sink: this.type, code: error?.code }, `query log: ${msg}; DNS keeps answering, records wait in a bounded queue`);
      this.#lastError = msg;
    } else {
      if (this.#lastError !== '') this.#log.info({ sink: this.type }, 'query log: sink is writing again');
      this.#lastError = '';
      this.#owner.pump(this);
    }
  }
}

export class QueryLogOutput {
  readonly #opts: QueryLogOutputOptions;
  readonly #log: Logger;
  readonly #writer = new BatchWriter();
  readonly #slots = new Map<string, Slot>();
  readonly #retired = new Set<Slot>();
  readonly #counters = new Map<string, Counters>();
  readonly #timeOrigin: number;
  #timer: NodeJS.Timeout | null = null;
  #closing: Promise<void> | null = null;
  #live: LiveStats | null = null;
  #liveFile: string | null = null;
  /** Records taken on the answer path. */
  recorded = 0;

  constructor(opts: QueryLogOutputOptions = {}) {
    this.#opts = opts;
    this.#log = (opts.log ?? createLogger('silent')).child({ component: 'querylog' });
    this.#timeOrigin = opts.timeOrigin ?? performance.timeOrigin;
  }

  /**
   * The query log for one configuration, or null when it is off (then every sink is closed).
   * `viewNames` are the views in config order (View.index); `viewStageInChain` is false when
   * one view serves everyone and queries then carry no view of their own.
   */
  forConfig(cfg: QueryLogConfig, viewNames: readonly string[], viewStageInChain: boolean, dataDir = '.'): QueryLog | null {
    this.#configure(cfg.enabled && this.#closing === null ? cfg : null, dataDir);
    if (cfg.enabled && cfg.liveStats && this.#live === null && this.#closing === null) {
      this.#liveFile = join(dataDir, 'querylog-live.json');
      this.#live = LiveStats.load(this.#liveFile);
      this.#startTimer();
    }
    if (!cfg.enabled || (this.#slots.size === 0 && !(cfg.liveStats && this.#live !== null))) return null;
    return new QueryLog(this, cfg, viewNames, viewStageInChain, this.#opts.random ?? Math.random);
  }

  /** One answer (called by QueryLog after its filter): appended to the current batch. */
  record(ctx: RecordSource, view: string | null, wire: Buffer, rcode: number, nowMs: number, seconds: number): void {
    const w = this.#writer;
    if (w.full) this.flush();
    w.append(ctx, view, wire, rcode, this.#timeOrigin + nowMs, Math.round(seconds * 1e6));
    this.recorded++;
  }

  /** Hands the rows written so far to every sink's queue and feeds the free sinks. */
  flush(): void {
    const batch = this.#writer.seal();
    if (batch === null) return;
    this.#live?.addBatch(batch.buf);
    for (const slot of this.#slots.values()) {
      slot.queue.push(batch);
      this.pump(slot);
    }
  }

  /** Feeds a sink its next batch if it is up and free; closes retired sinks once drained. */
  pump(slot: Slot): void {
    if (slot.closed) return;
    if (!slot.busy && slot.sink.up) {
      const batch = slot.queue.shift();
      if (batch !== undefined) {
        slot.busy = true;
        this.#write(slot, batch);
      }
    }
    slot.counters.queued = slot.queue.rows;
    slot.counters.dropped += slot.queue.dropped;
    slot.queue.dropped = 0;
    if (slot.retiring && !slot.busy && (slot.queue.empty || this.#closing !== null)) void this.#closeSlot(slot);
  }

  #write(slot: Slot, batch: Batch): void {
    try {
      slot.sink.write(batch);
    } catch (err) {
      slot.busy = false;
      slot.counters.dropped += batch.rows;
      slot.state(false, { code: 'write', message: `${slot.type}: ${(err as Error).message}` });
    }
  }

  async #closeSlot(slot: Slot): Promise<void> {
    if (slot.closed) return;
    slot.closed = true;
    slot.counters.dropped += slot.queue.clear();
    slot.counters.queued = 0;
    slot.counters.up = 0;
    try {
      await slot.sink.close();
    } catch (err) {
      this.#log.warn({ sink: slot.type, err: (err as Error).message }, 'query log: closing a sink failed');
    }
    this.#retired.delete(slot);
  }

  #configure(cfg: QueryLogConfig | null, dataDir: string): void {
    const wanted = new Map<string, QueryLogSinkConfig>();
    for (const s of cfg?.sinks ?? []) wanted.set(sinkKey(s, cfg!, dataDir), s);
    for (const [key, slot] of this.#slots) {
      if (wanted.has(key)) continue;
      this.flush();
      this.#slots.delete(key);
      slot.retiring = true;
      this.#retired.add(slot);
      this.pump(slot);
    }
    for (const [key, s] of wanted) {
      if (this.#slots.has(key)) continue;
      let counters = this.#counters.get(s.type);
      if (counters === undefined) this.#counters.set(s.type, (counters = { written: 0, dropped: 0, errors: 0, up: 0, queued: 0 }));
      const slot = new Slot(this, key, s.type, cfg!.queueSize, counters, this.#log);
      const env: SinkEnv = { host: slot, log: this.#log, dataDir, retention: cfg!.retention, file: cfg!.file };
      slot.sink = this.#create(s, env);
      counters.up = slot.sink.up ? 1 : 0;
      this.#slots.set(key, slot);
    }
    if (this.#slots.size > 0) this.#startTimer();
  }

  #startTimer(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.flush(), this.#opts.flushMs ?? 200);
    this.#timer.unref();
  }

  /** The live statistics (null when `queryLog.liveStats` is off): for the console. */
  get liveStats(): LiveStats | null {
    return this.#live;
  }

  #create(s: QueryLogSinkConfig, env: SinkEnv): QueryLogSink {
    switch (s.type) {
      case 'stdout': return new StdoutSink(env, this.#opts.destination);
      case 'sqlite': return new SqliteSink(s, env, this.#opts.sqlite);
      case 'postgres': return new PostgresSink(s, env, this.#opts.postgres);
    }
  }

  /** Writes out what is queued (each sink finishes what it can) and closes the sinks. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#timer = null;
      this.flush();
      const slots = [...this.#slots.values(), ...this.#retired];
      this.#slots.clear();
      await Promise.all(slots.map((slot) => this.#drainAndClose(slot)));
      if (this.#live !== null && this.#liveFile !== null) {
        try {
          this.#live.save(this.#liveFile);
        } catch (err) {
          this.#log.warn({ file: this.#liveFile, err: (err as Error).message }, 'query log: could not save the live statistics');
        }
      }
    })();
    return this.#closing;
  }

  async #drainAndClose(slot: Slot): Promise<void> {
    // A sink that is up gets what is queued; one that is down gets at most a moment.
    const deadline = Date.now() + 3000;
    while (!slot.closed && (slot.busy || (!slot.queue.empty && slot.sink.up)) && Date.now() < deadline) {
      this.pump(slot);
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.#closeSlot(slot);
  }

  /** The metrics of every sink that ran, labelled by sink type. */
  metricsSource(): MetricsSource {
    return {
      collect: (sink: MetricsSink): void => {
        sink.value('horizond_query_log_records_total', null, this.recorded);
        for (const [type, c] of this.#counters) {
          const labels = { sink: type };
          sink.value('horizond_query_log_written_total', labels, c.written);
          sink.value('horizond_query_log_dropped_total', labels, c.dropped);
          sink.value('horizond_query_log_sink_errors_total', labels, c.errors);
          sink.value('horizond_query_log_sink_up', labels, c.up);
          sink.value('horizond_query_log_queued_rows', labels, c.queued);
        }
        for (const slot of this.#slots.values()) slot.sink.collect?.(sink);
      },
    };
  }
}

function sinkKey(s: QueryLogSinkConfig, cfg: QueryLogConfig, dataDir: string): string {
  switch (s.type) {
    case 'stdout': return JSON.stringify([s, cfg.file]);
    case 'sqlite': return JSON.stringify([s, dataDir, cfg.retention, cfg.queueSize]);
    case 'postgres': return JSON.stringify([s, cfg.retention, cfg.queueSize]);
  }
}

/** One configuration's query log: view filter and sampling in front of the output. */
export class QueryLog {
  readonly #out: QueryLogOutput;
  readonly #rate: number;
  readonly #random: () => number;
  /** By View.index: the view's name when that view is logged, else null. */
  readonly #enabled: (string | null)[];
  /** For queries without a view: the view they belong to (one view for everyone) or null. */
  readonly #implicitView: string | null;
  readonly #implicitEnabled: boolean;

  constructor(out: QueryLogOutput, cfg: QueryLogConfig, viewNames: readonly string[], viewStageInChain: boolean, random: () => number) {
    this.#out = out;
    this.#rate = cfg.sampleRate;
    this.#random = random;
    const all = cfg.views.length === 0;
    this.#enabled = viewNames.map((n) => (all || cfg.views.includes(n) ? n : null));
    this.#implicitView = !viewStageInChain && viewNames.length > 0 ? viewNames[0]! : null;
    this.#implicitEnabled = this.#implicitView === null ? all : this.#enabled[0] !== null;
  }

  /**
   * Records one answer if its view is enabled and it is sampled. `wire` is the response as
   * sent; `nowMs` is performance.now() at sending, `seconds` the time it took.
   */
  log(ctx: RecordSource & { readonly view: { readonly index: number } | null }, wire: Buffer, rcode: number, nowMs: number, seconds: number): void {
    const view = ctx.view;
    let name: string | null;
    if (view === null) {
      if (!this.#implicitEnabled) return;
      name = this.#implicitView;
    } else {
      name = this.#enabled[view.index] ?? null;
      if (name === null) return;
    }
    if (this.#rate < 1 && this.#random() >= this.#rate) return;
    this.#out.record(ctx, name, wire, rcode, nowMs, seconds);
  }
}
