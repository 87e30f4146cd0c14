import { EdeCode, RCode } from '../../wire/constants.js';
import { parseAddress } from '../../view/address.js';
import { PrefixTrie } from '../../view/prefix-trie.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';
import { HzError } from '../../errors/index.js';

/** A prefix allowed recursion: CIDR text (`10.0.0.0/8`) or network bytes and length (config `Prefix`). */
export type AllowPrefix = string | { readonly bytes: ArrayLike<number>; readonly length: number };

/** Loopback, RFC 1918, RFC 6598 shared space, link-local and ULA: the site's own clients. */
export const DEFAULT_RECURSION_ALLOW: readonly string[] = Object.freeze([
  '127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10',
  '169.254.0.0/16', 'fe80::/10', 'fc00::/7',
]);

/** Compiles allowed prefixes into a trie (load time). Throws on a malformed prefix. */
export function compileAllowList(prefixes: readonly AllowPrefix[]): PrefixTrie<true> {
  const trie = new PrefixTrie<true>();
  for (const p of prefixes) {
    if (typeof p === 'string') {
      const slash = p.indexOf('/');
      const bytes = new Uint8Array(16);
      const family = slash > 0 ? parseAddress(p.slice(0, slash), bytes) : 0;
      const length = Number(p.slice(slash + 1));
      if (family === 0 || !/^\d{1,3}$/.test(p.slice(slash + 1)) || length > (family === 4 ? 32 : 128)) {
        throw new HzError('HZ_ERR_INVALID_ARGUMENT', `recursion.allow: not a prefix: ${p}`);
      }
      trie.insert(bytes.subarray(0, family === 4 ? 4 : 16), length, true);
    } else {
      trie.insert(p.bytes, p.length, true);
    }
  }
  return trie;
}

/** The part of a split-horizon view this stage reads from `ctx.view`. */
interface ViewRecursion {
  recursion: boolean;
}

/**
 * Refuses recursion (cache and forwarding) to clients outside the allowed prefixes, so horizond
 * is never an open resolver. It sits after `authoritative`, so zone data stays public. A view
 * with `recursion: false` refuses everyone it matches; `true` still applies the allow list.
 */
export class RecursionAclStage extends Stage {
  readonly name = 'recursion-acl';
  readonly #out: Responder;
  readonly #allow: PrefixTrie<true>;

  constructor(out: Responder, allow: readonly AllowPrefix[] | PrefixTrie<true> = DEFAULT_RECURSION_ALLOW) {
    super();
    this.#out = out;
    this.#allow = allow instanceof PrefixTrie ? allow : compileAllowList(allow);
  }

  handle(ctx: QueryContext): Outcome {
    const v = ctx.view;
    const viewSays = v !== null && typeof v === 'object' && typeof (v as ViewRecursion).recursion === 'boolean'
      ? (v as ViewRecursion).recursion
      : true;
    if (viewSays && this.#allow.lookupString(ctx.address) === true) return this.next.handle(ctx);
    ctx.ede = EdeCode.Prohibited;
    this.#out.error(ctx, RCode.Refused, AnswerSource.Refused);
    return Outcome.Answered;
  }
}
