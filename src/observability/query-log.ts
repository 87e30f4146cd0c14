import { pino, type DestinationStream, type Logger } from 'pino';
import type { QueryLogConfig } from '../config/types.js';
import { answerSourceNames, transportNames } from '../pipeline/context.js';
import { rcodeToString, typeToString } from '../wire/constants.js';
import { readName } from '../wire/name.js';
import { stdoutDestination } from './log.js';

/**
 * The query log: one JSON line per (sampled) answer, written by its own pino instance to an
 * asynchronous destination (stdout, shared with the main log, or `queryLog.file`), so it never
 * blocks the answer path. Off by default; when off the Responder holds null and pays one check.
 *
 *   {"level":"info","time":"…","service":"horizond","kind":"query","client":"192.168.1.10",
 *    "port":53211,"transport":"udp","view":"lan","qname":"nas.home.lan.","qtype":"A","rcode":"NOERROR","source":"authoritative",
 *    "upstream":null,"durationMs":0.142,"translated":false}
 */

/** What the query log reads of a query (QueryContext fits; `upstream`/`translated` when it has them). */
export interface QueryLogContext {
  readonly msg: Buffer;
  readonly q: { readonly qtype: number; readonly qdcount: number; readonly qnameEnd: number };
  readonly address: string;
  readonly port: number;
  /** TransportKind: 0 UDP, 1 TCP, 2 DoT, 3 DoH. */
  readonly transport: number;
  /** AnswerSource. */
  readonly source: number;
  /** The query's view (an object with `name`), or null. */
  readonly view: unknown;
  /** Display name of the upstream that answered, when the answer was forwarded. */
  readonly upstream?: string | null;
  /** Whether split-horizon translation rewrote an address in the answer. */
  readonly translated?: boolean;
}

export interface QueryLogOutputOptions {
  /** Where lines go instead of stdout / the configured file (tests). */
  destination?: DestinationStream;
  /** Sampling draws (tests); defaults to Math.random. */
  random?: () => number;
}

/**
 * Owns the query log's destinations for the life of the Server; each configuration (reload)
 * gets its own QueryLog with its sampling rate and view filter through forConfig().
 */
export class QueryLogOutput {
  readonly #opts: QueryLogOutputOptions;
  readonly #loggers = new Map<string, Logger>();
  readonly #files: DestinationStream[] = [];

  constructor(opts: QueryLogOutputOptions = {}) {
    this.#opts = opts;
  }

  /**
   * The query log for one configuration, or null when it is off. `viewNames` are the views in
   * config order (View.index); `viewStageInChain` is false when one view serves everyone and
   * queries then carry no view of their own.
   */
  forConfig(cfg: QueryLogConfig, viewNames: readonly string[], viewStageInChain: boolean): QueryLog | null {
    if (!cfg.enabled) return null;
    return new QueryLog(this.#logger(cfg.file), cfg, viewNames, viewStageInChain, this.#opts.random ?? Math.random);
  }

  /** Writes out what is buffered and closes the files (the shared stdout stays open). */
  async close(): Promise<void> {
    for (const l of this.#loggers.values()) l.flush();
    await Promise.all(this.#files.map((d) => new Promise<void>((resolve) => {
      const boom = d as DestinationStream & { end(): void; once(ev: string, cb: () => void): void };
      boom.once('close', resolve);
      boom.end();
    })));
    this.#files.length = 0;
    this.#loggers.clear();
  }

  #logger(file: string | null): Logger {
    const key = this.#opts.destination !== undefined ? '' : file ?? '-';
    let logger = this.#loggers.get(key);
    if (logger !== undefined) return logger;
    let dest = this.#opts.destination;
    if (dest === undefined && file !== null) {
      dest = pino.destination({ dest: file, sync: false, mkdir: true, append: true });
      this.#files.push(dest);
    }
    logger = pino(
      {
        level: 'info',
        base: { service: 'horizond', kind: 'query' },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      dest ?? stdoutDestination(),
    );
    this.#loggers.set(key, logger);
    return logger;
  }
}

/** One configuration's query log: view filter, sampling, and the record it writes. */
export class QueryLog {
  readonly #logger: Logger;
  readonly #rate: number;
  readonly #random: () => number;
  /** By View.index: 1 when that view is logged. */
  readonly #enabled: Uint8Array;
  /** For queries without a view: the view they belong to (one view for everyone) or null. */
  readonly #implicitView: string | null;
  readonly #implicitEnabled: boolean;

  constructor(logger: Logger, cfg: QueryLogConfig, viewNames: readonly string[], viewStageInChain: boolean, random: () => number) {
    this.#logger = logger;
    this.#rate = cfg.sampleRate;
    this.#random = random;
    const all = cfg.views.length === 0;
    this.#enabled = Uint8Array.from(viewNames, (n) => (all || cfg.views.includes(n) ? 1 : 0));
    this.#implicitView = !viewStageInChain && viewNames.length > 0 ? viewNames[0]! : null;
    this.#implicitEnabled = this.#implicitView === null ? all : this.#enabled[0] === 1;
  }

  /** Logs one answer if its view is enabled and it is sampled. */
  log(ctx: QueryLogContext, rcode: number, seconds: number): void {
    const view = ctx.view as { readonly name: string; readonly index: number } | null;
    if (view === null ? !this.#implicitEnabled : this.#enabled[view.index] !== 1) return;
    if (this.#rate < 1 && this.#random() >= this.#rate) return;
    this.#logger.info({
      client: ctx.address,
      port: ctx.port,
      transport: transportNames[ctx.transport] ?? 'udp',
      view: view === null ? this.#implicitView : view.name,
      qname: qnameOf(ctx),
      qtype: ctx.q.qnameEnd > 12 ? typeToString(ctx.q.qtype) : null,
      rcode: rcodeToString(rcode),
      source: answerSourceNames[ctx.source] ?? String(ctx.source),
      upstream: ctx.upstream ?? null,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      translated: ctx.translated === true,
    });
  }
}

/** The question name as the client sent it, or null when the message had none readable. */
function qnameOf(ctx: QueryLogContext): string | null {
  if (ctx.q.qdcount === 0 || ctx.q.qnameEnd <= 12) return null;
  try {
    return readName(ctx.msg, 12, ctx.q.qnameEnd).name;
  } catch {
    return null;
  }
}
