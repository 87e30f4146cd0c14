import type { TransferAcl } from '../config/types.js';
import { PrefixTrie } from '../view/prefix-trie.js';

/**
 * `allowTransfer` compiled at load: a prefix trie for the networks and a set for the keys. A
 * request must be signed with one of the keys (when any are listed) and come from one of the
 * networks (when any are listed). No policy at all refuses everyone.
 */
export class TransferPolicy {
  readonly #keys: ReadonlySet<string> | null;
  readonly #networks: PrefixTrie<true> | null;

  constructor(acl: TransferAcl) {
    this.#keys = acl.keys.length > 0 ? new Set(acl.keys) : null;
    this.#networks = acl.networks.length > 0 ? PrefixTrie.from(acl.networks.map((p) => ({ address: p.bytes, length: p.length, value: true as const }))) : null;
  }

  /** `keyName`: the verified TSIG key of the request (lower-case FQDN), null when unsigned. */
  allows(address: string, keyName: string | null): boolean {
    if (this.#keys !== null && (keyName === null || !this.#keys.has(keyName))) return false;
    return this.#networks === null || this.#networks.lookupString(address) === true;
  }
}
