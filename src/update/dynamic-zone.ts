import type { ZoneConfig } from '../config/types.js';
import { RCode, RRType } from '../wire/constants.js';
import type { RRsetChange, Zone } from '../zone/zone.js';
import { noteChanges } from '../zone/change-hint.js';
import { canonicalName } from '../wire/name.js';
import type { UpdateAudit } from './audit.js';
import type { Journal } from './journal.js';
import type { JournalRecord } from './journal-format.js';
import { DynamicLayer, type LayerEntry } from './layer.js';
import { fail, type Failure } from './outcome.js';
import { UpdateGuard } from './policy.js';
import { processUpdate, type Processed, type UpdateRequest } from './process.js';
import { maxSerial, nextSerial, serialGt, withSerial } from './serial.js';
import { sameZoneData, scavengeChanges } from './upkeep.js';
import { codeOf } from '../errors/index.js';

/** What the sender of an update gets back. */
export interface UpdateResult {
  readonly rcode: number;
  readonly failure: Failure | null;
}

/** Work for the zone's queue: a client's update, or the server's own (serial bump, scavenging). */
type Job =
  | { readonly kind: 'update'; readonly req: UpdateRequest; readonly done: (r: UpdateResult) => void }
  | { readonly kind: 'internal'; readonly make: (zone: Zone) => Internal };

/** What a job of the server's own did: the new version and the RRsets it changed. */
interface Internal {
  readonly zone: Zone;
  readonly changes: readonly RRsetChange[];
}

/** Jobs written with one fsync at most. */
const MAX_BATCH = 256;

export interface DynamicZoneInit {
  readonly config: ZoneConfig;
  readonly staticZone: Zone;
  readonly journal: Journal;
  /** The journal's good records, replayed on top of the zone file. */
  readonly records: readonly JournalRecord[];
  readonly audit: UpdateAudit;
  /** Called after every change of `current` (the manager swaps it into the zone stores). */
  readonly publish: (dz: DynamicZone) => void;
  /** Wall clock in ms. */
  readonly now: () => number;
  /** Compact once this many bytes were appended since the last snapshot (and at least as many as it holds). */
  readonly compactBytes: number;
  /**
   * Called with the records of every batch once they are durable and served here; the batch's
   * updates are answered when the returned promise settles (the other workers have applied them).
   */
  readonly committed?: (dz: DynamicZone, records: readonly JournalRecord[]) => void | Promise<void>;
}

/**
 * One zone that takes dynamic updates: the zone file's data, the dynamic layer from the journal,
 * and the version being served. Updates are queued and applied one at a time in arrival order;
 * those that arrive while a journal write is in flight form the next batch, written with one
 * fsync. A batch's zone version is served, and its updates answered, only once its journal
 * records are durable, so queries never see half an update nor one that could still be lost.
 */
export class DynamicZone {
  readonly origin: string;
  readonly key: string;
  readonly class: number;
  /** Every Zone version this object handed out (stores holding one of these get the new one). */
  readonly produced = new WeakSet<Zone>();
  #config: ZoneConfig;
  #guard: UpdateGuard | null;
  #static: Zone;
  #current: Zone;
  readonly #layer = new DynamicLayer();
  readonly #journal: Journal;
  readonly #audit: UpdateAudit;
  readonly #publish: (dz: DynamicZone) => void;
  readonly #now: () => number;
  readonly #compactBytes: number;
  readonly #committed: ((dz: DynamicZone, records: readonly JournalRecord[]) => void | Promise<void>) | null;
  readonly #queue: Job[] = [];
  #draining: Promise<void> | null = null;
  #compaction: Promise<void> | null = null;
  #closed = false;

  constructor(init: DynamicZoneInit) {
    this.#config = init.config;
    this.#guard = init.config.update ? new UpdateGuard(init.config.update) : null;
    this.#static = init.staticZone;
    this.origin = init.staticZone.origin;
    this.key = init.staticZone.key;
    this.class = init.staticZone.class;
    this.#journal = init.journal;
    this.#audit = init.audit;
    this.#publish = init.publish;
    this.#now = init.now;
    this.#compactBytes = init.compactBytes;
    this.#committed = init.committed ?? null;
    this.#replay(init.records);
    this.#current = this.#layer.overlay(this.#static, this.protectStatic);
    this.produced.add(this.#current);
  }

  #replay(records: readonly JournalRecord[]): void {
    for (const r of records) {
      if (r.seq <= this.#layer.seq && r.kind !== 's') continue;
      if (r.kind === 's') this.#layer.reset(r.changes.map((c) => ({ ...c, at: c.at ?? r.time })), r.serial, r.seq);
      else this.#layer.apply(r.changes, r.serial, r.time, r.seq);
    }
  }

  /**
   * Applies records another process committed to this zone's journal (this one has it open
   * read-only): in order when they follow what this one has, else the journal is read again,
   * since it holds every acknowledged record by then.
   */
  applyCommitted(records: readonly JournalRecord[]): void {
    if (records.length === 0 || records[records.length - 1]!.seq <= this.#layer.seq) return;
    if (records[0]!.seq === this.#layer.seq + 1) this.#replay(records);
    else this.#replay(this.#journal.reread());
    this.#setCurrent(this.#layer.overlay(this.#static, this.protectStatic));
  }

  /** The version being served (static data, dynamic data, current serial). */
  get current(): Zone {
    return this.#current;
  }

  get config(): ZoneConfig {
    return this.#config;
  }

  /** The update policy, or null when the zone accepts no updates (it may still hold journaled data). */
  get guard(): UpdateGuard | null {
    return this.#guard;
  }

  get protectStatic(): boolean {
    return this.#config.update?.protectStatic ?? true;
  }

  /** Number of RRsets (including remembered deletions) in the dynamic layer. */
  /** The RRsets updates wrote (after images, empty rdata for deletions), with when. */
  dynamicEntries(): IterableIterator<LayerEntry> {
    return this.#layer.entries();
  }

  get dynamicSize(): number {
    return this.#layer.size;
  }

  /** Journal bytes on disk. */
  get journalSize(): number {
    return this.#journal.size;
  }

  /**
   * Takes a newly loaded configuration and zone file (a reload). The dynamic data stays on top
   * of the new file's data. When the file's content changed but its serial would not move the
   * served serial forward, a serial increment is queued (and journaled) so it never goes back.
   */
  adopt(config: ZoneConfig, zone: Zone): Zone {
    this.#config = config;
    this.#guard = config.update ? new UpdateGuard(config.update) : null;
    if (zone === this.#static || this.produced.has(zone)) return this.#current;
    const before = this.#current.serial;
    const changed = !sameZoneData(this.#static, zone);
    this.#static = zone;
    this.#setCurrent(this.#layer.overlay(zone, this.protectStatic));
    if (changed && !serialGt(this.#current.serial, before) && !this.#journal.readOnly) {
      this.#enqueue({ kind: 'internal', make: (z) => ({ zone: bumpSerial(z, before), changes: [] }) });
    }
    return this.#current;
  }

  /** Queues an update; resolves once it is durable and served, or refused. */
  submit(req: UpdateRequest): Promise<UpdateResult> {
    if (this.#closed) return Promise.resolve(this.#refuse(req, fail(RCode.ServFail, 'shutdown', 'the server is shutting down')));
    this.#audit.counters.received++;
    return new Promise((done) => this.#enqueue({ kind: 'update', req, done }));
  }

  /** Queues removal of DHCID-tagged dynamic names whose TTL plus `graceSeconds` has passed. */
  scavenge(graceSeconds: number): void {
    if (this.#closed || this.#journal.readOnly) return;
    this.#enqueue({
      kind: 'internal',
      make: (z) => {
        const { changes, names } = scavengeChanges(this.#layer, this.#static, this.#now(), graceSeconds * 1000);
        if (names.length === 0) return { zone: z, changes };
        this.#audit.counters.scavenged += names.length;
        this.#audit.log.info({ zone: this.origin, names: names.length }, `scavenged ${names.length} stale DHCID-tagged name(s): ${names.slice(0, 10).join(' ')}`);
        return { zone: bumpSerial(z.withChanges(changes), z.serial), changes };
      },
    });
  }

  /** Finishes queued work, then closes the journal. Later updates are answered SERVFAIL. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#draining) await this.#draining;
    if (this.#compaction) await this.#compaction;
    await this.#journal.close();
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    this.#draining ??= this.#drain().finally(() => { this.#draining = null; });
  }

  async #drain(): Promise<void> {
    await Promise.resolve(); // let updates that arrive in the same tick join the first batch
    while (this.#queue.length > 0) {
      // Internal jobs read the committed dynamic layer, so they run alone.
      let n = 1;
      if (this.#queue[0]!.kind === 'update') while (n < this.#queue.length && n < MAX_BATCH && this.#queue[n]!.kind === 'update') n++;
      await this.#runBatch(this.#queue.splice(0, n));
      this.#maybeCompact();
    }
  }

  async #runBatch(batch: Job[]): Promise<void> {
    const base = this.#static;
    const start = this.#current;
    let zone = start;
    let seq = this.#layer.seq;
    const time = this.#now();
    const records: JournalRecord[] = [];
    const outcomes: (Processed | null)[] = [];
    for (const job of batch) {
      let p: Processed;
      try {
        if (job.kind === 'update') {
          const guard = this.#guard;
          p = guard ? processUpdate(zone, base, guard, job.req) : { failure: fail(RCode.Refused, 'disabled', 'the zone accepts no updates'), changes: [], zone };
        } else {
          p = { failure: null, ...job.make(zone) };
        }
      } catch (err) {
        // a bug must cost this one update, never the queue
        p = { failure: fail(RCode.ServFail, 'error', `internal error, nothing applied: ${(err as Error).message}`), changes: [], zone };
      }
      outcomes.push(job.kind === 'update' ? p : null);
      if (p.failure === null && p.zone !== zone) {
        zone = p.zone;
        records.push({ seq: ++seq, time, serial: zone.serial, kind: 'u', changes: p.changes });
      }
    }
    if (records.length > 0) {
      try {
        await this.#journal.append(records);
      } catch (err) {
        this.#audit.counters.journalWriteErrors++;
        const f = fail(RCode.ServFail, 'journal', `journal write failed, nothing applied: ${(err as Error).message}`);
        batch.forEach((job) => { if (job.kind === 'update') job.done(this.#refuse(job.req, f)); });
        return;
      }
      this.#audit.counters.commits++;
      this.#audit.counters.committedUpdates += records.length;
      for (const r of records) this.#layer.apply(r.changes, r.serial, r.time, r.seq);
      // A reload that brought a new zone file while this batch was being written: rebuild on it.
      if (base === this.#static && this.#current === start) {
        // The version differs from the one served only at the names the records touched (and
        // the apex SOA): noted, so the IXFR history costs what the batch changed.
        const names = new Set<string>([this.key]);
        for (const r of records) for (const c of r.changes) names.add(canonicalName(c.name));
        noteChanges(zone, start, names);
        this.#setCurrent(zone);
      } else if (base === this.#static) {
        this.#setCurrent(zone);
      } else {
        this.#setCurrent(this.#layer.overlay(this.#static, this.protectStatic));
      }
      if (this.#committed !== null) {
        try {
          await this.#committed(this, records);
        } catch {
          // the other workers catch up from the journal with the next batch
        }
      }
    }
    batch.forEach((job, i) => {
      if (job.kind !== 'update') return;
      const p = outcomes[i]!;
      if (p.failure) return job.done(this.#refuse(job.req, p.failure));
      if (p.changes.length === 0) this.#audit.unchanged(this.#party(job.req));
      else this.#audit.applied(this.#party(job.req), p.zone.serial, p.changes.length);
      job.done({ rcode: RCode.NoError, failure: null });
    });
  }

  /**
   * Starts a compaction once enough was appended since the last snapshot (and at least as much
   * as the snapshot holds). It runs beside the queue: updates go on being journaled meanwhile.
   */
  #maybeCompact(): void {
    const j = this.#journal;
    if (j.readOnly || j.compacting || j.sinceSnapshot < this.#compactBytes || j.sinceSnapshot * 2 < j.size) return;
    this.#layer.prune(this.#static);
    const snapshot: JournalRecord = {
      seq: this.#layer.seq, time: this.#now(), serial: this.#layer.serial ?? this.#current.serial, kind: 's', changes: [...this.#layer.entries()],
    };
    const done = j.compact(snapshot).then(
      () => { this.#audit.counters.compactions++; },
      (err: Error) => { this.#audit.log.error({ zone: this.origin, err: err.message, code: codeOf(err) }, 'journal compaction failed; the journal keeps growing until one succeeds'); },
    );
    this.#compaction = done.finally(() => { this.#compaction = null; });
  }

  #setCurrent(zone: Zone): void {
    this.#current = zone;
    this.produced.add(zone);
    this.#publish(this);
  }

  #party(req: UpdateRequest): { client: string; key: string | null; zone: string } {
    return { client: req.address, key: req.key ?? (req.token ? `token:${req.token}` : null), zone: this.origin };
  }

  #refuse(req: UpdateRequest, f: Failure): UpdateResult {
    this.#audit.refused(this.#party(req), f);
    return { rcode: f.rcode, failure: f };
  }
}

/** `zone` with a serial above both its own and `floor`. */
function bumpSerial(zone: Zone, floor: number): Zone {
  const serial = nextSerial(maxSerial(zone.serial, floor));
  return zone.withChanges([{ name: zone.origin, type: RRType.SOA, ttl: zone.soa.ttl, rdata: [withSerial(zone.soa.rrs[0]!.rdata, serial)] }]);
}
