import { RRType } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import type { RR } from '../wire/types.js';
import { serialGt } from '../update/serial.js';
import { serialOf, type ZoneDiff } from './diff.js';
import { XfrError } from './errors.js';

/**
 * Reads the record stream of an AXFR or IXFR answer (RFC 5936 §2.2, RFC 1995 §4) as its
 * messages arrive, and says when it is complete. The kind is decided by the second record: an
 * SOA starts an incremental answer (for an IXFR request), anything else is a full zone. A
 * single SOA not newer than the serial the request carried means "up to date".
 */

export type Received =
  | { readonly kind: 'uptodate'; readonly soa: RR }
  | { readonly kind: 'axfr'; readonly soa: RR; readonly records: readonly RR[] }
  | { readonly kind: 'ixfr'; readonly soa: RR; readonly diffs: readonly ZoneDiff[] };

const State = { Start: 0, Second: 1, Full: 2, Deleting: 3, Adding: 4, Done: 5 } as const;
type State = (typeof State)[keyof typeof State];

interface OpenDiff {
  from: RR;
  to: RR | null;
  deleted: RR[];
  added: RR[];
}

export class XfrReceiver {
  readonly #origin: string;
  readonly #key: string;
  readonly #class: number;
  /** Serial the IXFR request carried; null for AXFR. */
  readonly #serial: number | null;
  #state = State.Start as State;
  #soa: RR | null = null;
  #records: RR[] = [];
  #diffs: ZoneDiff[] = [];
  #open: OpenDiff | null = null;
  #result: Received | null = null;
  /** Records received so far. */
  count = 0;

  constructor(origin: string, cls: number, ixfrSerial: number | null) {
    this.#origin = origin;
    this.#key = canonicalName(origin);
    this.#class = cls;
    this.#serial = ixfrSerial;
  }

  /** The answer, once complete. */
  get result(): Received | null {
    return this.#result;
  }

  /**
   * Takes the answer records of one message; returns true once the answer is complete. Throws
   * XfrError for a stream that breaks the protocol or names records outside the zone.
   */
  feed(answer: readonly RR[]): boolean {
    if (this.#state === State.Done) {
      if (answer.length > 0) throw new XfrError('records after the end of the transfer');
      return true;
    }
    for (const rr of answer) this.#take(rr);
    if (this.#state === State.Second && this.#serial !== null && !serialGt(serialOf(this.#soa!), this.#serial)) {
      this.#finish({ kind: 'uptodate', soa: this.#soa! }); // a lone SOA, not newer than ours
    }
    return this.done;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  #take(rr: RR): void {
    if (this.#state === State.Done) throw new XfrError('records after the end of the transfer');
    this.count++;
    if (rr.class !== this.#class) throw new XfrError(`${rr.name}: record of another class`);
    if (!isSubdomain(rr.name, this.#origin)) throw new XfrError(`${rr.name} is outside the zone ${this.#origin}`);
    const isSoa = rr.type === RRType.SOA;
    if (isSoa && canonicalName(rr.name) !== this.#key) throw new XfrError(`SOA record below the apex at ${rr.name}`);
    switch (this.#state) {
      case State.Start:
        if (!isSoa) throw new XfrError('the transfer does not start with the zone\'s SOA');
        this.#soa = rr;
        this.#state = State.Second;
        return;
      case State.Second:
        if (isSoa && this.#serial !== null && serialOf(rr) !== serialOf(this.#soa!)) {
          this.#open = { from: rr, to: null, deleted: [], added: [] };
          this.#state = State.Deleting;
          return;
        }
        this.#records.push(this.#soa!);
        this.#state = State.Full;
        this.#full(rr);
        return;
      case State.Full:
        this.#full(rr);
        return;
      case State.Deleting:
        if (isSoa) {
          this.#open!.to = rr;
          this.#state = State.Adding;
        } else {
          this.#open!.deleted.push(rr);
        }
        return;
      case State.Adding:
        if (!isSoa) {
          this.#open!.added.push(rr);
          return;
        }
        this.#closeDiff();
        if (serialOf(rr) === serialOf(this.#soa!)) {
          this.#finish({ kind: 'ixfr', soa: this.#soa!, diffs: this.#diffs });
          return;
        }
        this.#open = { from: rr, to: null, deleted: [], added: [] };
        this.#state = State.Deleting;
    }
  }

  #full(rr: RR): void {
    if (rr.type === RRType.SOA) {
      if (serialOf(rr) !== serialOf(this.#soa!)) throw new XfrError('the closing SOA differs from the opening one');
      this.#finish({ kind: 'axfr', soa: this.#soa!, records: this.#records });
      return;
    }
    this.#records.push(rr);
  }

  #closeDiff(): void {
    const d = this.#open!;
    const prev = this.#diffs.at(-1);
    const start = prev ? serialOf(prev.to) : this.#serial!;
    if (serialOf(d.from) !== start) throw new XfrError(`difference starts at serial ${serialOf(d.from)}, expected ${start}`);
    this.#diffs.push({ from: d.from, to: d.to!, deleted: d.deleted, added: d.added });
    this.#open = null;
  }

  #finish(r: Received): void {
    this.#result = r;
    this.#state = State.Done;
  }
}
