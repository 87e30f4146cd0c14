import type { RateLimitConfig } from '../../config/types.js';
import type { QueryStats } from '../../observability/query-stats.js';
import { parseIPv4, parseIPv6 } from '../../view/address.js';
import type { PrefixTrie } from '../../view/prefix-trie.js';
import { RCode } from '../../wire/constants.js';
import { AnswerSource, TransportKind, type QueryContext } from '../context.js';
import { errorResponse, type Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';
import { compileAllowList } from './recursion.js';

/** One client prefix's token bucket. */
interface Bucket {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

/** Buckets kept before idle (full) ones are swept out. */
const MAX_BUCKETS = 100_000;

/**
 * Per-client rate limiting (BIND's RRL and Pi-hole's per-client limit are the models): a token
 * bucket per client prefix (IPv4 /24, IPv6 /56 by default) refilled at `queriesPerSecond` up to
 * `burst`. Only UDP is limited: past the limit a query gets an empty TC=1 answer (a real client
 * retries over TCP, which proves its address and is not limited here; a spoofed flood gets
 * nothing bigger than its query), or REFUSED. Exempt: the `exempt` networks (the site's own by
 * default) and any client that showed a valid DNS server cookie (the cookies stage runs first).
 */
export class RateLimitStage extends Stage {
  readonly name = 'rate-limit';
  readonly #out: Responder;
  readonly #stats: QueryStats;
  readonly #exempt: PrefixTrie<true>;
  readonly #buckets = new Map<number | string, Bucket>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #mask4: number;
  readonly #bytes6: number;
  readonly #bits6: number;
  readonly #truncate: boolean;
  readonly #now: () => number;
  readonly #scratch = new Uint8Array(16);

  constructor(out: Responder, config: RateLimitConfig, stats: QueryStats, now: () => number = () => performance.now()) {
    super();
    this.#out = out;
    this.#stats = stats;
    this.#exempt = compileAllowList(config.exempt);
    this.#rate = config.queriesPerSecond / 1000;
    this.#burst = config.burst;
    this.#mask4 = config.ipv4Prefix === 0 ? 0 : (0xffffffff << (32 - config.ipv4Prefix)) >>> 0;
    this.#bytes6 = Math.ceil(config.ipv6Prefix / 8);
    this.#bits6 = config.ipv6Prefix;
    this.#truncate = config.action === 'truncate';
    this.#now = now;
  }

  handle(ctx: QueryContext): Outcome {
    // Only UDP: a TCP client has proven its address (and TCP has its own per-client caps).
    if (ctx.transport !== TransportKind.Udp || ctx.cookieValid || this.#exempt.lookupString(ctx.address) === true) return this.next.handle(ctx);
    const key = this.#key(ctx.address);
    if (key === null) return this.next.handle(ctx);
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#sweep(now);
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    } else {
      const t = b.tokens + (now - b.at) * this.#rate;
      b.tokens = t > this.#burst ? this.#burst : t;
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return this.next.handle(ctx);
    }
    ctx.source = AnswerSource.Refused;
    if (this.#truncate) {
      this.#stats.rateLimitedTruncated++;
      const wire = errorResponse(ctx, RCode.NoError);
      wire[2]! |= 0x02; // TC: ask again over TCP
      this.#out.send(ctx, wire);
    } else {
      this.#stats.rateLimitedRefused++;
      this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
    }
    return Outcome.Answered;
  }

  /** The client prefix: a number for IPv4, a string of the prefix bytes for IPv6. */
  #key(address: string): number | string | null {
    const v4 = parseIPv4(address);
    if (v4 >= 0) return (v4 & this.#mask4) >>> 0;
    const b = this.#scratch;
    if (!parseIPv6(address, b)) return null;
    let s = '';
    for (let i = 0; i < this.#bytes6; i++) {
      let byte = b[i]!;
      const bitsLeft = this.#bits6 - i * 8;
      if (bitsLeft < 8) byte &= (0xff << (8 - bitsLeft)) & 0xff;
      s += String.fromCharCode(byte);
    }
    return s;
  }

  /** Drops buckets that have refilled completely (their clients have been quiet). */
  #sweep(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#rate >= this.#burst) this.#buckets.delete(k);
    }
    if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear(); // a flood of distinct prefixes: start over
  }
}
