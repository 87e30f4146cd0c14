/**
 * Shared pieces for the resolver tests (not a test file itself): query builders, a reply sink
 * that collects answers, a scripted in-process upstream group, and a harness that drives the
 * daemon's real pipeline for a config without sockets.
 */
import dnsPacket from 'dns-packet';
import { stringify } from 'yaml';
import { AnswerSource, type QueryContext, type ReplySink } from '../../src/pipeline/context.js';
import { ManualClock } from '../../src/resolver/clock.js';
import type { UpstreamQuerier } from '../../src/resolver/forwarder.js';
import type { Resolver } from '../../src/resolver/resolver.js';
import { UpstreamError, type UpstreamQuestion, type UpstreamResult } from '../../src/resolver/upstream/index.js';
import { pipelineFromYaml, type TestPipeline } from './pipeline.js';

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

/** Addresses the scripted groups are configured at (the harness picks a group by its first server). */
const SCRIPTED: Record<string, string> = {};
let nextScripted = 1;

/** A config upstream list naming a scripted group (`servers('main')` in a Harness config). */
export function servers(name: string): { address: string }[] {
  SCRIPTED[name] ??= `192.0.2.${nextScripted++}`;
  return [{ address: SCRIPTED[name] }];
}

/** Config as a test writes it: the YAML sections as an object (stringified for the real loader). */
export type HarnessConfig = Record<string, unknown>;

/**
 * The daemon's real pipeline (test/helpers/pipeline.ts) for a config, over a manual clock and
 * one collecting sink; queries come in as the UDP listener hands them over.
 */
export class Harness {
  readonly clock = new ManualClock(10_000);
  readonly sink = new CollectSink();
  #p!: TestPipeline;
  #id = 1;

  private constructor() {}

  /**
   * `config` is the YAML config as an object; `groups` maps the names given to `servers()` to
   * scripted groups (null: real upstream clients). `extra.previous` is the harness being
   * reloaded (its cache is kept); `resolutionTimeout` is the upstream budget in seconds.
   */
  static async create(config: HarnessConfig, groups: Record<string, ScriptedUpstream> | null, extra: { previous?: Harness; resolutionTimeout?: number } = {}): Promise<Harness> {
    const h = new Harness();
    const byFirstServer = (specs: { address?: string }[]): ScriptedUpstream => {
      const name = Object.keys(SCRIPTED).find((n) => SCRIPTED[n] === specs[0]!.address);
      const g = name === undefined ? undefined : groups?.[name];
      if (!g) throw new Error(`no scripted group at ${specs[0]!.address}`);
      return g;
    };
    h.#p = await pipelineFromYaml(stringify(config), {
      previous: extra.previous ? extra.previous.#p : null,
      resolver: {
        clock: h.clock,
        ...(groups !== null ? { createGroup: byFirstServer } : {}),
        ...(extra.resolutionTimeout !== undefined ? { resolutionTimeout: extra.resolutionTimeout } : {}),
      },
    });
    return h;
  }

  /** The forwarding side of the pipeline (the config forwards something). */
  get resolver(): Resolver {
    const r = this.#p.pipeline.resolver;
    if (r === null) throw new Error('nothing is forwarded in this config');
    return r;
  }

  get pipeline(): TestPipeline {
    return this.#p;
  }

  /** Sends one query through the pipeline from `address`; resolves with its reply. */
  ask(name: string, type = 'A', o: QueryOpts & { address?: string } = {}): Promise<Reply> {
    const id = o.id ?? this.#id++;
    const msg = query(name, type, { ...o, id });
    const p = this.sink.expect(id);
    this.#p.handle(msg, o.address ?? '127.0.0.1', this.sink);
    return p;
  }

  close(): Promise<void> {
    return this.#p.close();
  }
}

export { AnswerSource };
