import type { Prefix, UpdatePolicy, UpdateRule } from '../config/types.js';
import { RClass, RCode, RRType, typeToString } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import { PrefixTrie } from '../view/prefix-trie.js';
import type { UpdateRR } from './message.js';
import { fail, type Failure } from './outcome.js';

/**
 * Who may change a zone (config `zones[].update`), compiled once per config load. The default is
 * deny: a request needs a key of the policy AND a source address in its networks (`admit`),
 * then every update record needs a rule that lists that key, covers the source address, matches
 * the owner name and lists the type (`permit`). Type ANY in a rule permits only "delete all
 * RRsets at a name"; a rule with `types: ["*"]` (anyType) permits every type, delete-all included.
 */
export class UpdateGuard {
  readonly policy: UpdatePolicy;
  readonly #keys: ReadonlySet<string>;
  readonly #tokens: ReadonlySet<string>;
  readonly #networks: PrefixTrie<true>;
  readonly #rules: readonly CompiledRule[];

  constructor(policy: UpdatePolicy) {
    this.policy = policy;
    this.#keys = new Set(policy.keys.map(canonicalName));
    this.#tokens = new Set(policy.tokens);
    this.#networks = trie(policy.networks);
    this.#rules = policy.rules.map((r, i) => new CompiledRule(r, i));
  }

  get protectStatic(): boolean {
    return this.policy.protectStatic;
  }

  /**
   * The request-level check: signed with one of the keys (or, over the HTTP API, carrying one of
   * the console tokens) and sent from one of the networks.
   */
  admit(key: string | null, address: string, token: string | null = null): Failure | null {
    if (token !== null) {
      if (!this.#tokens.has(token)) return fail(RCode.Refused, 'key', `token ${token} may not update this zone`);
      if (this.#networks.lookupString(address) !== true) return fail(RCode.Refused, 'network', `source address ${address} is outside the update networks`);
      return null;
    }
    if (key === null) return fail(RCode.Refused, 'unsigned', 'the update is not signed (TSIG) and the zone requires a key');
    if (!this.#keys.has(key)) return fail(RCode.Refused, 'key', `key ${key} may not update this zone (allowed: ${[...this.#keys].join(', ')})`);
    if (this.#networks.lookupString(address) !== true) return fail(RCode.Refused, 'network', `source address ${address} is outside the update networks`);
    return null;
  }

  /** The per-record check: some rule permits this change (the requester already admitted). */
  permit(key: string | null, address: string, rr: UpdateRR, zclass: number, token: string | null = null): Failure | null {
    const type = rr.type; // ANY only reaches here as class ANY: "delete all RRsets"
    for (const r of this.#rules) if (r.permits(key, address, rr.name, type, token)) return null;
    const what = type === RRType.ANY ? `delete all records at ${rr.name}` : `${verb(rr, zclass)} ${typeToString(type)} at ${rr.name}`;
    const by = token !== null ? `token ${token}` : `key ${key}`;
    return fail(RCode.Refused, 'rule', `no update rule lets ${by} from ${address} ${what}`);
  }
}

function verb(rr: UpdateRR, zclass: number): string {
  if (rr.class === zclass) return 'add';
  return rr.class === RClass.NONE ? 'delete a record of' : 'delete';
}

class CompiledRule {
  readonly #keys: ReadonlySet<string>;
  readonly #tokens: ReadonlySet<string>;
  readonly #networks: PrefixTrie<true>;
  readonly #name: string;
  readonly #exact: boolean;
  readonly #types: ReadonlySet<number>;
  readonly #anyType: boolean;

  constructor(rule: UpdateRule, readonly index: number) {
    this.#keys = new Set(rule.keys.map(canonicalName));
    this.#tokens = new Set(rule.tokens);
    this.#networks = trie(rule.networks);
    this.#name = canonicalName(rule.name.name);
    this.#exact = rule.name.kind === 'exact';
    this.#types = new Set(rule.types);
    this.#anyType = rule.anyType;
  }

  permits(key: string | null, address: string, owner: string, type: number, token: string | null = null): boolean {
    const allowed = token !== null ? this.#tokens.has(token) : key !== null && this.#keys.has(key);
    if (!allowed || !(this.#anyType || this.#types.has(type))) return false;
    if (this.#exact ? canonicalName(owner) !== this.#name : !isSubdomain(owner, this.#name)) return false;
    return this.#networks.lookupString(address) === true;
  }
}

function trie(prefixes: readonly Prefix[]): PrefixTrie<true> {
  const t = new PrefixTrie<true>();
  for (const p of prefixes) t.insert(p.bytes, p.length, true);
  return t;
}
