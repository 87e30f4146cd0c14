/**
 * The one stage-test helper (Blocky's resolver tests, CoreDNS's dnstest recorder): runs a query
 * through one stage with a recording `next` behind it and tells what happened — the reply the
 * stage sent (if it answered at once), whether the query went on to the next stage, and the
 * outcome. Answers sent later (asynchronous stages) arrive in `sink`.
 */
import { QueryContext, TransportKind } from '../../src/pipeline/context.js';
import { Outcome, Stage } from '../../src/pipeline/stage.js';
import { CollectSink, query, type QueryOpts, type Reply } from './resolver.js';

/** Stands in for the rest of the chain: records every query that reaches it. */
export class NextProbe extends Stage {
  readonly name = 'next';
  readonly seen: QueryContext[] = [];
  handle(ctx: QueryContext): Outcome {
    this.seen.push(ctx);
    return Outcome.Answered;
  }
}

export interface StageRun {
  outcome: Outcome;
  /** The query reached the next stage. */
  passed: boolean;
  /** What the stage answered synchronously, decoded; null when it sent nothing (yet). */
  reply: Reply | null;
  ctx: QueryContext;
}

export interface ClientOptions extends QueryOpts {
  /** Client address; default 127.0.0.1. */
  address?: string;
  tcp?: boolean;
  /** Called on the context before the stage runs (set ctx.view, ctx.recursion...). */
  prepare?: (ctx: QueryContext) => void;
}

/** A parsed query context for `name`/`type` from a client, answering into `sink`. */
export function clientContext(msg: Buffer, sink: CollectSink, o: ClientOptions = {}): QueryContext {
  const address = o.address ?? '127.0.0.1';
  const ctx = new QueryContext();
  ctx.reset(msg, address, 40000, address.includes(':') ? 6 : 4, o.tcp ? TransportKind.Tcp : TransportKind.Udp, sink, null, performance.now());
  if (!ctx.q.parse(msg)) throw new Error(`bad test query: ${ctx.q.error}`);
  ctx.maxSize = o.tcp ? 65535 : 1232;
  return ctx;
}

export interface StageHarness {
  next: NextProbe;
  sink: CollectSink;
  /** Runs one query for `name`/`type` (or a ready message) through the stage. */
  run(name: string | Buffer, type?: string, o?: ClientOptions): StageRun;
}

/** Puts `stage` in front of a NextProbe; `run` sends queries through it. */
export function stageHarness(stage: Stage, sink = new CollectSink()): StageHarness {
  const next = new NextProbe();
  stage.next = next;
  let id = 1;
  return {
    next,
    sink,
    run(name, type = 'A', o = {}) {
      const msg = typeof name === 'string' ? query(name, type, { ...o, id: o.id ?? id++ }) : name;
      const ctx = clientContext(msg, sink, o);
      o.prepare?.(ctx);
      const replies = sink.replies.length;
      const seen = next.seen.length;
      const outcome = stage.handle(ctx);
      return { outcome, passed: next.seen.length > seen, reply: sink.replies.length > replies ? sink.replies.at(-1)! : null, ctx };
    },
  };
}
