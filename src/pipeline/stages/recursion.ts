import type { Prefix } from '../../config/types.js';
import { PrefixTrie } from '../../view/prefix-trie.js';
import type { ViewSet } from '../../view/views.js';
import type { QueryContext } from '../context.js';
import { Outcome, Stage } from '../stage.js';

/** Compiles the allowed prefixes (config `recursion.allow`, normalised) into a trie, at load. */
export function compileAllowList(prefixes: readonly Prefix[]): PrefixTrie<true> {
  const trie = new PrefixTrie<true>();
  for (const p of prefixes) trie.insert(p.bytes, p.length, true);
  return trie;
}

/**
 * Decides, once per query, whether this client may recurse: its view allows recursion
 * (`views.list[].recursion`) and its address is in `recursion.allow`. The answer goes in
 * `ctx.recursion`, which the authoritative stage reads for RA and the recursion-acl stage
 * enforces, so the two can never disagree. Only in the chain when something is forwarded;
 * without it `ctx.recursion` stays false.
 */
export class RecursionStage extends Stage {
  readonly name = 'recursion';
  readonly #allow: PrefixTrie<true>;
  readonly #views: ViewSet;

  constructor(allow: PrefixTrie<true>, views: ViewSet) {
    super();
    this.#allow = allow;
    this.#views = views;
  }

  handle(ctx: QueryContext): Outcome {
    const view = ctx.view ?? this.#views.views[0]!;
    ctx.recursion = view.recursion && this.#allow.lookupString(ctx.address) === true;
    return this.next.handle(ctx);
  }
}
