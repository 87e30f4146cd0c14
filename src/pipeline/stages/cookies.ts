import { CookieJar } from '../../cookies/server-cookie.js';
import type { CookiesConfig } from '../../config/types.js';
import type { QueryStats } from '../../observability/query-stats.js';
import { EdnsOption, RCode } from '../../wire/constants.js';
import { TransportKind, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * DNS cookies (RFC 7873, server cookies per RFC 9018), as BIND handles them:
 * - a query with a client cookie only is answered normally, with our server cookie added;
 * - a valid server cookie (ours, current or previous secret, under an hour old) marks the
 *   client as having proved its address (`ctx.cookieValid`: rate limits let it through);
 * - a well-formed but bad or expired server cookie over UDP gets BADCOOKIE with a fresh cookie
 *   and no answer, so the client retries with it (over TCP the address is proven anyway);
 * - with `requireServerCookie`, UDP queries without a valid server cookie get BADCOOKIE too.
 * The Responder writes the cookie into every answer to a query that had one. The length rules
 * (8, 16..40 bytes) are checked earlier by QueryView (FORMERR).
 */
export class CookiesStage extends Stage {
  readonly name = 'cookies';
  readonly #out: Responder;
  readonly #jar: CookieJar;
  readonly #stats: QueryStats;
  readonly #require: boolean;

  constructor(out: Responder, config: CookiesConfig, stats: QueryStats, now?: () => number) {
    super();
    this.#out = out;
    this.#jar = new CookieJar(config.secret, config.previousSecret, now);
    this.#stats = stats;
    this.#require = config.requireServerCookie;
    out.useCookies(this.#jar);
  }

  handle(ctx: QueryContext): Outcome {
    const q = ctx.q;
    const at = q.hasEdns ? q.findOption(EdnsOption.Cookie) : -1;
    const udp = ctx.transport === TransportKind.Udp;
    if (at < 0) {
      if (this.#require && udp && q.hasEdns) return this.#bad(ctx);
      return this.next.handle(ctx);
    }
    const len = q.optionLen;
    q.buf.copy(ctx.cookie, 0, at, at + 8);
    ctx.hasCookie = true;
    if (len === 8) {
      this.#stats.cookiesClientOnly++;
      if (this.#require && udp) return this.#bad(ctx);
      return this.next.handle(ctx);
    }
    if (this.#jar.valid(q.buf, at, at + 8, len - 8, ctx.address)) {
      this.#stats.cookiesValid++;
      ctx.cookieValid = true;
      return this.next.handle(ctx);
    }
    this.#stats.cookiesInvalid++;
    if (udp) return this.#bad(ctx);
    return this.next.handle(ctx);
  }

  #bad(ctx: QueryContext): Outcome {
    this.#out.error(ctx, RCode.BadCookie);
    return Outcome.Answered;
  }
}
