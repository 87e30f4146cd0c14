import { pino, type DestinationStream } from 'pino';
import { stdoutDestination } from '../../observability/log.js';
import { rcodeToString, typeToString } from '../../wire/constants.js';
import { decodeBatch, type Batch, type QueryRecord } from '../record.js';
import type { QueryLogSink, SinkEnv, SinkHost } from './sink.js';

/**
 * `stdout`: one JSON line per record on standard output (shared with the daemon's log, for
 * Loki/Vector) or appended to `queryLog.file`:
 *
 *   {"level":"info","time":"…","service":"horizond","kind":"query","client":"192.168.1.10",
 *    "port":53211,"transport":"udp","view":"lan","qname":"nas.home.lan.","qtype":"A",
 *    "rcode":"NOERROR","source":"authoritative","upstream":null,"durationMs":0.142,
 *    "translated":false,"answers":["192.168.1.20"],"blockedBy":null,"ede":null}
 *
 * A batch is formatted at once and written with one call; when the destination pushes back
 * (a slow pipe), the next batch waits for it to drain, and the queue in front takes the rest.
 */
export class StdoutSink implements QueryLogSink {
  readonly type = 'stdout';
  readonly up = true;
  readonly #host: SinkHost;
  readonly #dest: DestinationStream & { once?(ev: string, cb: () => void): unknown; end?(): void; flushSync?(): void };
  readonly #ownsDest: boolean;

  constructor(env: SinkEnv, destination?: DestinationStream) {
    this.#host = env.host;
    if (destination !== undefined) {
      this.#dest = destination;
      this.#ownsDest = false;
    } else if (env.file !== null) {
      this.#dest = pino.destination({ dest: env.file, sync: false, mkdir: true, append: true });
      this.#ownsDest = true;
    } else {
      this.#dest = stdoutDestination();
      this.#ownsDest = false;
    }
  }

  write(batch: Batch): void {
    let text = '';
    const records = decodeBatch(batch.buf);
    for (const r of records) text += formatLine(r);
    const ok = this.#dest.write(text) as unknown;
    if (ok === false && typeof this.#dest.once === 'function') this.#dest.once('drain', () => this.#host.done(records.length, 0));
    else this.#host.done(records.length, 0);
  }

  async close(): Promise<void> {
    if (!this.#ownsDest) return;
    const d = this.#dest as DestinationStream & { once(ev: string, cb: () => void): void; end(): void };
    await new Promise<void>((resolve) => {
      d.once('close', resolve);
      d.end();
    });
  }
}

/** The JSON line of one record (with its newline). */
export function formatLine(r: QueryRecord): string {
  return JSON.stringify({
    level: 'info',
    time: new Date(r.time).toISOString(),
    service: 'horizond',
    kind: 'query',
    client: r.client,
    port: r.port,
    transport: r.protocol,
    view: r.view,
    qname: r.qname,
    qtype: r.qname === null ? null : typeToString(r.qtype),
    rcode: rcodeToString(r.rcode),
    source: r.source,
    upstream: r.upstream,
    durationMs: r.durationMs,
    translated: r.translated,
    answers: r.answers,
    blockedBy: r.blockedBy,
    ede: r.ede,
  }) + '\n';
}
