import type { Prefix, RebindingConfig } from '../config/types.js';
import { isIPv4Mapped, type Family } from '../view/address.js';
import { svcParamsStart, visitAddresses, type AddressVisitor } from '../view/address-walk.js';
import { PrefixTrie } from '../view/prefix-trie.js';
import { HEADER_SIZE, RCode, RRType } from '../wire/constants.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { canonicalName, readName } from '../wire/name.js';
import type { Message, RR } from '../wire/types.js';
import { DomainMap } from '../wire/domain-map.js';

/**
 * DNS rebinding protection for forwarded answers: a public name must not resolve to an address
 * inside the site (private, loopback, link-local, ULA, unspecified, IPv4-mapped forms of those),
 * or a web page from that name could talk to devices on the LAN. It runs once per upstream
 * answer, before the answer is cached, so cache hits pay nothing; zone answers never pass here.
 * Split-horizon translation runs later, per client, so translated addresses are never blocked.
 */

/** Always refused for public names, whatever the config lists: `0.0.0.0` and `::`. */
const UNSPECIFIED: readonly Pick<Prefix, 'bytes' | 'length'>[] = [
  { bytes: [0, 0, 0, 0], length: 32 },
  { bytes: new Array<number>(16).fill(0), length: 128 },
];

/** Plain integers, read at scrape time. */
export class RebindingCounters {
  /** Upstream answers with at least one address removed. */
  filtered = 0;
  /** Answers left with no data at all (answered NODATA with EDE 15). */
  blocked = 0;
  /** Addresses removed (records and SVCB hints). */
  removed = 0;
}

/** The result of filtering one answer. */
export interface RebindingVerdict {
  /** The answer to cache and send: the input buffer itself when nothing was removed. */
  readonly wire: Buffer;
  /** Addresses removed. */
  readonly removed: number;
  /** Every record of data was removed: answer NOERROR/NODATA with EDE 15 (Blocked) instead. */
  readonly blocked: boolean;
}

class PrivateAddresses implements AddressVisitor {
  constructor(readonly trie: PrefixTrie<true>) {}

  address(buf: Uint8Array, offset: number, family: Family): boolean {
    if (family === 4) return this.trie.lookupBytes(buf, 4, 32, offset) === true;
    if (this.trie.lookupBytes(buf, 6, 128, offset) === true) return true;
    return isIPv4Mapped(buf, offset) && this.trie.lookupBytes(buf, 4, 32, offset + 12) === true;
  }
}

/** Removes addresses of private networks from upstream answers to names outside private domains. */
export class RebindingFilter {
  readonly counters: RebindingCounters;
  readonly #private: PrivateAddresses;
  readonly #domains = new DomainMap<true>();

  /**
   * `extraDomains`: more names whose answers may hold private addresses, typically the zones
   * horizond serves (`ViewSet.zoneNames()`): their data is ours, whatever an upstream says.
   * `counters`: the previous filter's on a reload, so the totals carry on.
   */
  constructor(
    config: Pick<RebindingConfig, 'privateDomains' | 'privateNetworks'>, extraDomains: Iterable<string> = [], counters = new RebindingCounters(),
  ) {
    this.counters = counters;
    const trie = new PrefixTrie<true>({ mapIPv4: false });
    for (const p of [...config.privateNetworks, ...UNSPECIFIED]) trie.insert(p.bytes, p.length, true);
    this.#private = new PrivateAddresses(trie);
    for (const d of config.privateDomains) this.#domains.set(d, true);
    for (const d of extraDomains) this.#domains.set(d, true);
  }

  /** The filter the config asks for, or null when rebinding protection is off. */
  static create(config: RebindingConfig, extraDomains: Iterable<string> = [], counters?: RebindingCounters): RebindingFilter | null {
    return config.enabled ? new RebindingFilter(config, extraDomains, counters) : null;
  }

  /** True when `name` (presentation form) is at or below a private domain. */
  isPrivateName(name: string): boolean {
    return this.#domains.matchName(name) === true;
  }

  /**
   * Filters an upstream answer (whole message, OPT included). Only NOERROR answers are looked
   * at. An address is removed when it is in a private network and neither the question name nor
   * the record's owner is at or below a private domain; RRSIGs over a removed RRset go with it.
   * SVCB/HTTPS records stay, without the private hints (a hint list left empty is dropped).
   * Decodes and re-encodes only when something is removed. Throws WireError on a malformed
   * message it has to decode.
   */
  filter(wire: Buffer): RebindingVerdict {
    if (wire.length < HEADER_SIZE || (wire[3]! & 0x0f) !== RCode.NoError || visitAddresses(wire, this.#private) === 0) {
      return { wire, removed: 0, blocked: false };
    }
    const msg = decodeMessage(wire);
    const q = msg.question[0];
    if (q === undefined || this.isPrivateName(q.name)) return { wire, removed: 0, blocked: false };
    const dropped = new Set<string>(); // owner + type of RRsets that lost records, for RRSIGs
    let removed = 0;
    const keep = (rr: RR): RR | null => {
      if (rr.type !== RRType.A && rr.type !== RRType.AAAA && rr.type !== RRType.SVCB && rr.type !== RRType.HTTPS) return rr;
      if (this.isPrivateName(rr.name)) return rr;
      if (rr.type === RRType.A || rr.type === RRType.AAAA) {
        if (!this.#private.address(rr.rdata, 0, rr.type === RRType.A ? 4 : 6)) return rr;
        removed++;
        dropped.add(`${canonicalName(rr.name)}/${rr.type}`);
        return null;
      }
      const r = this.#stripHints(rr.rdata);
      if (r.removed === 0) return rr;
      removed += r.removed;
      dropped.add(`${canonicalName(rr.name)}/${rr.type}`);
      return { ...rr, rdata: r.rdata };
    };
    const answerBefore = msg.answer.length;
    msg.answer = filterSection(msg.answer, keep, dropped);
    msg.additional = filterSection(msg.additional, keep, dropped);
    if (removed === 0) return { wire, removed: 0, blocked: false };
    const c = this.counters;
    c.filtered++;
    c.removed += removed;
    const blocked = answerBefore > 0 && !hasData(msg);
    if (blocked) c.blocked++;
    return { wire: encodeMessage(msg), removed, blocked };
  }

  /** SVCB/HTTPS RDATA without its private hint addresses. */
  #stripHints(rdata: Uint8Array): { rdata: Uint8Array; removed: number } {
    const start = svcParamsStart(rdata, 0, rdata.length);
    if (start < 0) return { rdata, removed: 0 };
    const parts: number[] = Array.from(rdata.subarray(0, start));
    let removed = 0;
    for (let p = start; p + 4 <= rdata.length;) {
      const key = (rdata[p]! << 8) | rdata[p + 1]!;
      const end = Math.min(p + 4 + ((rdata[p + 2]! << 8) | rdata[p + 3]!), rdata.length);
      const size = key === 4 ? 4 : key === 6 ? 16 : 0;
      if (size === 0) {
        for (let i = p; i < end; i++) parts.push(rdata[i]!);
      } else {
        const kept: number[] = [];
        for (let a = p + 4; a + size <= end; a += size) {
          if (this.#private.address(rdata, a, size === 4 ? 4 : 6)) removed++;
          else for (let i = a; i < a + size; i++) kept.push(rdata[i]!);
        }
        if (kept.length > 0) parts.push(rdata[p]!, rdata[p + 1]!, kept.length >> 8, kept.length & 0xff, ...kept);
      }
      p = end;
    }
    return { rdata: removed === 0 ? rdata : Uint8Array.from(parts), removed };
  }
}

/** Applies `keep` to a section, then drops RRSIGs covering an RRset that lost records. */
function filterSection(section: RR[], keep: (rr: RR) => RR | null, dropped: ReadonlySet<string>): RR[] {
  const out: RR[] = [];
  for (const rr of section) {
    const k = keep(rr);
    if (k !== null) out.push(k);
  }
  if (dropped.size === 0) return out;
  return out.filter((rr) => rr.type !== RRType.RRSIG || rr.rdata.length < 2
    || !dropped.has(`${canonicalName(rr.name)}/${(rr.rdata[0]! << 8) | rr.rdata[1]!}`));
}

/** Anything left in the answer besides the CNAME/DNAME chain and signatures. */
function hasData(msg: Message): boolean {
  return msg.answer.some((rr) => rr.type !== RRType.CNAME && rr.type !== RRType.DNAME && rr.type !== RRType.RRSIG);
}
