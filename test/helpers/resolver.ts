/**
 * Shared pieces for the resolver tests (not a test file itself): query builders, a reply sink
 * that collects answers, a scripted in-process upstream group, and a small recursive chain
 * (resolver stages + responder) to drive end to end without sockets.
 */
import dnsPacket from 'dns-packet';
import { AnswerSource, QueryContext, TransportKind, type ReplySink } from '../../src/pipeline/context.js';
import { Responder } from '../../src/pipeline/responder.js';
import { chain, type Stage } from '../../src/pipeline/stage.js';
import { QueryStats } from '../../src/observability/query-stats.js';
import type { AnswerCache } from '../../src/resolver/cache/answer-cache.js';
import { ManualClock } from '../../src/resolver/clock.js';
import type { AnswerFilter, UpstreamQuerier } from '../../src/resolver/forwarder.js';
import { Resolver, type ResolverOptions } from '../../src/resolver/resolver.js';
import { UpstreamError, type UpstreamQuestion, type UpstreamResult } from '../../src/resolver/upstream/index.js';

export interface QueryOpts {
  id?: number;
  rd?: boolean;
  edns?: boolean;
  do?: boolean;
  cd?: boolean;
  klass?: number;
}

/** A client query in wire form (dns-packet, an independent codec). */
export function query(name: string, type: string, o: QueryOpts = {}): Buffer {
  let flags = o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED;
  if (o.cd) flags |= dnsPacket.CHECKING_DISABLED;
  return dnsPacket.encode({
    type: 'query', id: o.id ?? 0x1234, flags,
    questions: [{ type: type as 'A', name, class: (o.klass === 3 ? 'CH' : 'IN') }],
    additionals: o.edns === false ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: o.do ? dnsPacket.DNSSEC_OK : 0 } as never],
  });
}

export type Rec = dnsPacket.Answer;

export interface Reply {
  wire: Buffer;
  msg: dnsPacket.DecodedPacket;
  rcode: number;
  source: number;
  ede: number;
  ms: number;
}

/** The TTL of a decoded record (dns-packet's OPT type has none). */
export const ttlOf = (rr: dnsPacket.Answer | undefined): number => (rr as { ttl: number }).ttl;

/** The EDE info code in a decoded reply's OPT record, or -1. */
export function edeOf(msg: dnsPacket.DecodedPacket): number {
  for (const a of msg.additionals ?? []) {
    if (a.type !== 'OPT') continue;
    for (const o of (a as dnsPacket.OptAnswer).options as unknown as { code: number; data?: Buffer }[]) {
      if (o.code === 15 && o.data) return o.data.readUInt16BE(0);
    }
  }
  return -1;
}

/** Collects replies; `next(id)` resolves with the reply for a query ID. */
export class CollectSink implements ReplySink {
  readonly replies: Reply[] = [];
  droppedCount = 0;
  readonly #waiting = new Map<number, (r: Reply) => void>();

  reply(ctx: QueryContext, wire: Buffer): void {
    const msg = dnsPacket.decode(wire);
    const r: Reply = { wire, msg, rcode: wire[3]! & 0xf, source: ctx.source, ede: edeOf(msg), ms: performance.now() - ctx.start };
    this.replies.push(r);
    const id = wire.readUInt16BE(0);
    const w = this.#waiting.get(id);
    if (w) {
      this.#waiting.delete(id);
      w(r);
    }
  }

  dropped(_ctx: QueryContext): void {
    this.droppedCount++;
  }

  expect(id: number): Promise<Reply> {
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }
}

/** What the scripted upstream does for one question. */
export type Script =
  | { answers?: Rec[]; authorities?: Rec[]; additionals?: Rec[]; rcode?: number; tc?: boolean; delayMs?: number }
  | { fail: 'timeout' | 'failed' }
  | { hang: true };

/**
 * An in-process upstream group: answers each question by calling `script`, encodes the answer
 * with dns-packet (with an OPT record, like a real upstream) and honours the query budget.
 */
export class ScriptedUpstream implements UpstreamQuerier {
  readonly asked: UpstreamQuestion[] = [];
  closed = false;
  constructor(public script: (q: UpstreamQuestion) => Script) {}

  query(q: UpstreamQuestion, budgetMs: number): Promise<UpstreamResult> {
    this.asked.push(q);
    const s = this.script(q);
    return new Promise((resolve, reject) => {
      const budget = setTimeout(() => reject(new UpstreamError('HZ_ERR_UPSTREAM_TIMEOUT', 'budget spent')), budgetMs);
      if ('fail' in s) {
        clearTimeout(budget);
        reject(new UpstreamError(s.fail === 'timeout' ? 'HZ_ERR_UPSTREAM_TIMEOUT' : 'HZ_ERR_UPSTREAM_FAILED', 'scripted'));
        return;
      }
      if ('hang' in s) return;
      const send = (): void => {
        clearTimeout(budget);
        resolve({ wire: answerWire(q, s), upstream: 'scripted', rttMs: s.delayMs ?? 0 });
      };
      if (s.delayMs) setTimeout(send, s.delayMs);
      else queueMicrotask(send);
    });
  }

  /** Questions asked for a name (case-insensitive). */
  count(name?: string): number {
    return name === undefined ? this.asked.length : this.asked.filter((q) => q.qname.toLowerCase() === name.toLowerCase()).length;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

export function answerWire(q: UpstreamQuestion, s: { answers?: Rec[]; authorities?: Rec[]; additionals?: Rec[]; rcode?: number; tc?: boolean }): Buffer {
  let flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (s.rcode ?? 0);
  if (s.tc) flags |= dnsPacket.TRUNCATED_RESPONSE;
  return dnsPacket.encode({
    type: 'response', id: 0x5555, flags,
    questions: [{ name: q.qname.replace(/\.$/, ''), type: qtypeName(q.qtype) as 'A', class: 'IN' }],
    answers: s.answers ?? [], authorities: s.authorities ?? [],
    additionals: [...(s.additionals ?? []), { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: q.do ? dnsPacket.DNSSEC_OK : 0 } as never],
  });
}

function qtypeName(t: number): string {
  return ({ 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 15: 'MX', 16: 'TXT', 28: 'AAAA' } as Record<number, string>)[t] ?? 'A';
}

export const a = (name: string, ip: string, ttl: number): Rec => ({ type: 'A', name, ttl, data: ip });
export const soa = (zone: string, ttl: number, minimum: number): Rec => ({
  type: 'SOA', name: zone, ttl,
  data: { mname: 'ns1.' + zone, rname: 'hostmaster.' + zone, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum },
});

/** A recursive chain over a Resolver, a manual clock and one collecting sink. */
export class Harness {
  readonly clock = new ManualClock(10_000);
  readonly sink = new CollectSink();
  readonly stats = new QueryStats();
  readonly responder = new Responder({ udpPayloadSize: 1232, stats: this.stats });
  readonly resolver: Resolver;
  readonly head: Stage;
  #id = 1;

  /** `groups` maps the first server name of each spec list to a scripted group; null uses real UpstreamGroups. */
  constructor(opts: ResolverOptions, groups: Record<string, ScriptedUpstream> | null, extra: { cache?: AnswerCache; filter?: AnswerFilter } = {}) {
    const byFirstServer = (specs: { name: string }[]): ScriptedUpstream => {
      const g = groups?.[specs[0]!.name];
      if (!g) throw new Error(`no scripted group ${specs[0]!.name}`);
      return g;
    };
    this.resolver = new Resolver(opts, {
      clock: this.clock, cache: extra.cache ?? null, filter: extra.filter ?? null,
      ...(groups !== null ? { createGroup: byFirstServer } : {}),
    });
    this.head = chain(this.resolver.createStages(this.responder));
  }

  /** Sends one query through the chain from `address`; resolves with its reply. */
  ask(name: string, type = 'A', o: QueryOpts & { address?: string } = {}): Promise<Reply> {
    const id = o.id ?? this.#id++;
    const ctx = new QueryContext();
    const msg = query(name, type, { ...o, id });
    ctx.reset(msg, o.address ?? '127.0.0.1', 40000, 4, TransportKind.Udp, this.sink, null, performance.now());
    if (!ctx.q.parse(msg)) throw new Error(`bad test query: ${ctx.q.error}`);
    ctx.maxSize = 1232;
    const p = this.sink.expect(id);
    this.head.handle(ctx);
    return p;
  }

  close(): Promise<void> {
    return this.resolver.close();
  }
}

/** A spec list naming a scripted group (the harness picks groups by the first server's name). */
export const servers = (name: string) => [{ name, address: '127.0.0.1', port: 53, protocol: 'udp' as const }];

export { AnswerSource };
