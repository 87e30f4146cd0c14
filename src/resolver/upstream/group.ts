import { MAX_PEM_BYTES, readRegularFile } from '../../util/regular-file.js';
import ipaddr from 'ipaddr.js';
import { RCode } from '../../wire/constants.js';
import { UpstreamError } from './errors.js';
import { Exchange, type ExchangeHost } from './exchange.js';
import { DohTransport } from './https.js';
import { Pending, PendingQueries, type Transport, type Waiter } from './pending.js';
import { buildQuery, copyQuery, questionEnd, rcodeOf } from './query.js';
import { type HealthPolicy, orderServers, ServerState } from './server.js';
import { StreamTransport } from './stream.js';
import type { UpstreamGroupOptions, UpstreamQuestion, UpstreamResult, UpstreamSpec, UpstreamStats } from './types.js';
import { UdpTransport } from './udp.js';

/** Resolution of the shared timeout sweep: deadlines are late by at most this much. */
const MAX_TICK_MS = 25;
const DEFAULTS = { downAfter: 3, backoffMs: 2000, maxBackoffMs: 60000, idleMs: 10000 };

/**
 * A set of upstream servers asked as one: health-tracked, lowest smoothed RTT first, failover
 * within the caller's budget (see Exchange for the exact outcome semantics).
 */
export class UpstreamGroup implements ExchangeHost {
  readonly pending: PendingQueries;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly #servers: ServerState[];
  readonly #now: () => number;
  readonly #idleMs: number;
  readonly #probes: ServerState[] = [];
  readonly #prober: Waiter;
  #closed = false;

  constructor(specs: UpstreamSpec[], opts: UpstreamGroupOptions) {
    if (specs.length === 0) throw configError('no upstream servers');
    if (!(opts.timeoutMs > 0)) throw configError('timeoutMs must be > 0');
    if (!(opts.attempts >= 1)) throw configError('attempts must be >= 1');
    this.timeoutMs = opts.timeoutMs;
    this.attempts = Math.floor(opts.attempts);
    this.#now = opts.now ?? (() => performance.now());
    this.#idleMs = opts.idleMs ?? DEFAULTS.idleMs;
    this.pending = new PendingQueries(Math.min(MAX_TICK_MS, Math.max(5, Math.round(opts.timeoutMs / 20))));
    const policy: HealthPolicy = {
      downAfter: opts.downAfter ?? DEFAULTS.downAfter,
      backoffMs: opts.backoffMs ?? DEFAULTS.backoffMs,
      maxBackoffMs: opts.maxBackoffMs ?? DEFAULTS.maxBackoffMs,
      penaltyMs: opts.timeoutMs,
      logger: opts.logger,
    };
    const names = new Set<string>();
    this.#servers = specs.map((spec) => {
      if (names.has(spec.name)) throw configError(`duplicate upstream name "${spec.name}"`);
      names.add(spec.name);
      const s = new ServerState(normalize(spec), policy);
      s.transport = this.#transport(s);
      return s;
    });
    this.#prober = new Prober(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  policyNow(): number {
    return this.#now();
  }

  /** Resolves one question within budgetMs; failover across servers; rejects with UpstreamError. */
  query(q: UpstreamQuestion, budgetMs: number): Promise<UpstreamResult> {
    if (this.#closed) return Promise.reject(new UpstreamError('HZ_ERR_UPSTREAM_CLOSED', 'upstream group closed'));
    let template: Buffer;
    try {
      template = buildQuery(q);
    } catch (err) {
      return Promise.reject(new UpstreamError('HZ_ERR_UPSTREAM_FAILED', `bad question: ${(err as Error).message}`));
    }
    const qEnd = questionEnd(template);
    const probes = this.#probes;
    const order = orderServers(this.#servers, this.#now(), probes);
    for (let i = 0; i < probes.length; i++) this.#probe(probes[i]!, template, qEnd);
    probes.length = 0;
    return new Exchange(this, template, qEnd, order, budgetMs).promise;
  }

  /** Per-upstream counters in configuration order (plain integers, for metrics). */
  stats(): UpstreamStats[] {
    return this.#servers.map((s) => s.stats());
  }

  /** Fails pending queries with HZ_ERR_UPSTREAM_CLOSED and closes every socket and session. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.pending.failAll('group closed');
    const waits: Promise<void>[] = [];
    for (const s of this.#servers) {
      waits.push(s.transport.close());
      if (s.tcp !== null) waits.push(s.tcp.close());
    }
    await Promise.all(waits);
  }

  tcpFor(s: ServerState): Transport {
    return (s.tcp ??= new StreamTransport(s, this.pending, null, this.#idleMs));
  }

  /** Background probe of a down server whose back-off expired (not on the client's time). */
  #probe(s: ServerState, template: Buffer, qEnd: number): void {
    s.probing = true;
    const p = new Pending(this.#prober, s, s.transport, copyQuery(template), qEnd);
    p.sentAt = performance.now();
    p.deadline = p.sentAt + this.timeoutMs;
    s.queries++;
    this.pending.start(p);
  }

  #transport(s: ServerState): Transport {
    const spec = s.spec;
    switch (spec.protocol) {
      case 'udp': return new UdpTransport(s, this.pending);
      case 'tcp': return new StreamTransport(s, this.pending, null, this.#idleMs);
      case 'tls':
        return new StreamTransport(s, this.pending, { serverName: spec.serverName, ca: trustedCa(spec) }, this.#idleMs);
      case 'https': {
        const url = new URL(spec.url!);
        const serverName = spec.serverName ?? url.hostname.replace(/^\[|\]$/g, '');
        return new DohTransport(s, this.pending, {
          host: spec.address ?? serverName, port: url.port !== '' ? Number(url.port) : spec.port, serverName,
          path: url.pathname + url.search, method: spec.method ?? 'POST', ca: trustedCa(spec),
        }, this.#idleMs);
      }
    }
  }
}

/** Health bookkeeping for background probes: a usable answer marks the server up again. */
class Prober implements Waiter {
  constructor(readonly group: UpstreamGroup) {}

  onAnswer(p: Pending, wire: Buffer): void {
    const s = p.server;
    s.probing = false;
    const rcode = rcodeOf(wire);
    if (rcode === RCode.ServFail || rcode === RCode.Refused || rcode === RCode.NotImp || rcode === RCode.FormErr) {
      s.failures++;
      s.onFailure(this.group.policyNow());
    } else {
      s.onAnswer(performance.now() - p.sentAt, true);
    }
  }

  onFailure(p: Pending, timeout: boolean): void {
    const s = p.server;
    s.probing = false;
    if (this.group.closed) return;
    if (timeout) s.timeouts++;
    else s.failures++;
    s.onFailure(this.group.policyNow());
  }
}

function configError(msg: string): UpstreamError {
  return new UpstreamError('HZ_ERR_UPSTREAM_CONFIG', msg);
}

/** Checks a spec and puts its address in the form the kernel reports (for source checks). */
function normalize(spec: UpstreamSpec): UpstreamSpec {
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
    throw configError(`${spec.name}: bad port ${spec.port}`);
  }
  if (spec.protocol === 'https') {
    if (spec.url === undefined || !URL.canParse(spec.url) || new URL(spec.url).protocol !== 'https:') {
      throw configError(`${spec.name}: https needs an https:// url`);
    }
    return spec;
  }
  if (spec.address === undefined || !ipaddr.isValid(spec.address)) {
    throw configError(`${spec.name}: ${spec.protocol} needs an IP address`);
  }
  return { ...spec, address: ipaddr.parse(spec.address).toString() };
}

function trustedCa(spec: UpstreamSpec): Buffer | undefined {
  if (spec.ca !== undefined) return spec.ca;
  if (spec.caFile !== undefined) return readRegularFile(spec.caFile, MAX_PEM_BYTES);
  return undefined;
}
