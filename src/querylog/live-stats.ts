import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { answerSourceNames } from '../pipeline/context.js';
import { readAnswer } from './record.js';

/**
 * Live statistics without a database, for the console's dashboard and for sites that store no
 * log (`queryLog.sinks: []`): per-minute counts by answer source for the last 24 hours, and the
 * most frequent names, clients and blocked names, each in a space-saving sketch of bounded size.
 * Fed from the query log's batches (never on the answer path), saved to the data directory at
 * stop and loaded at start.
 */

const MINUTES = 24 * 60;
const SOURCES = answerSourceNames.length;
const BLOCKED = new Set([answerSourceNames.indexOf('blocklist'), answerSourceNames.indexOf('blocked')]);

/**
 * Top-k by the space-saving idea (Metwally et al.): at most 2k counters; when full, the k
 * largest are kept and a newcomer starts at the largest count evicted (`floor`), so a count is
 * never under the truth and over it by at most its `error`. Memory is bounded by 2k entries.
 */
export class SpaceSaving {
  readonly #k: number;
  #counts = new Map<string, { count: number; error: number }>();
  #floor = 0;

  constructor(k: number) {
    this.#k = k;
  }

  add(key: string, n = 1): void {
    const e = this.#counts.get(key);
    if (e !== undefined) {
      e.count += n;
      return;
    }
    if (this.#counts.size >= 2 * this.#k) this.#prune();
    this.#counts.set(key, { count: this.#floor + n, error: this.#floor });
  }

  #prune(): void {
    const sorted = [...this.#counts].sort((a, b) => b[1].count - a[1].count);
    this.#floor = Math.max(this.#floor, sorted[this.#k]?.[1].count ?? 0);
    this.#counts = new Map(sorted.slice(0, this.#k));
  }

  /** The `n` largest, most first; `error` bounds how much `count` may overstate. */
  top(n: number): { key: string; count: number; error: number }[] {
    return [...this.#counts].sort((a, b) => b[1].count - a[1].count).slice(0, n).map(([key, e]) => ({ key, count: e.count, error: e.error }));
  }

  get size(): number {
    return this.#counts.size;
  }

  toJSON(): { k: number; floor: number; entries: [string, number, number][] } {
    return { k: this.#k, floor: this.#floor, entries: [...this.#counts].map(([key, e]) => [key, e.count, e.error]) };
  }

  static fromJSON(k: number, v: unknown): SpaceSaving {
    const s = new SpaceSaving(k);
    const o = v as { floor?: unknown; entries?: unknown } | null;
    if (o === null || typeof o !== 'object' || !Array.isArray(o.entries)) return s;
    s.#floor = typeof o.floor === 'number' ? o.floor : 0;
    for (const e of o.entries as unknown[]) {
      if (Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' && typeof e[2] === 'number') s.#counts.set(e[0], { count: e[1], error: e[2] });
    }
    if (s.#counts.size > 2 * k) s.#prune();
    return s;
  }
}

export interface LiveSnapshot {
  /** Per minute, oldest first, the last 24 h (minutes with no queries included as zeros). */
  perMinute: { minute: number; total: number; blocked: number; sources: Record<string, number> }[];
  topNames: { name: string; count: number; error: number }[];
  topClients: { client: string; count: number; error: number }[];
  topBlocked: { name: string; count: number; error: number }[];
}

export class LiveStats {
  /** minute number (ms / 60000) of each slot, and its counts by source. */
  readonly #minuteOf = new Float64Array(MINUTES).fill(-1);
  readonly #counts = new Uint32Array(MINUTES * SOURCES);
  #names: SpaceSaving;
  #clients: SpaceSaving;
  #blocked: SpaceSaving;

  constructor(k = 1000) {
    this.#names = new SpaceSaving(k);
    this.#clients = new SpaceSaving(k);
    this.#blocked = new SpaceSaving(k);
  }

  /** Counts one answer (time in ms; qname lower-cased by the caller or null). */
  add(time: number, source: number, client: string, qname: string | null): void {
    const minute = Math.floor(time / 60_000);
    const slot = minute % MINUTES;
    if (this.#minuteOf[slot] !== minute) {
      if (this.#minuteOf[slot]! > minute) return; // older than the ring holds
      this.#minuteOf[slot] = minute;
      this.#counts.fill(0, slot * SOURCES, (slot + 1) * SOURCES);
    }
    this.#counts[slot * SOURCES + (source < SOURCES ? source : 0)]!++;
    this.#clients.add(client);
    if (qname !== null) {
      this.#names.add(qname);
      if (BLOCKED.has(source)) this.#blocked.add(qname);
    }
  }

  /** Counts every row of a query-log batch. */
  addBatch(buf: Buffer): void {
    let pos = 0;
    while (pos + 24 <= buf.length) {
      const len = buf.readUInt16LE(pos);
      if (len < 24 || pos + len > buf.length) break;
      const time = buf.readDoubleLE(pos + 2);
      const source = buf[pos + 22]!;
      let p = pos + 24;
      const client = buf.toString('latin1', p + 1, p + 1 + buf[p]!);
      p += 1 + buf[p]!;
      for (let i = 0; i < 3; i++) p += 1 + buf[p]!;
      const wireLen = buf.readUInt16LE(p);
      const { qname } = readAnswer(buf.subarray(p + 2, p + 2 + wireLen));
      this.add(time, source, client, qname === null ? null : qname.toLowerCase());
      pos += len;
    }
  }

  snapshot(now = Date.now(), top = 10): LiveSnapshot {
    const current = Math.floor(now / 60_000);
    const perMinute: LiveSnapshot['perMinute'] = [];
    for (let m = current - MINUTES + 1; m <= current; m++) {
      const slot = ((m % MINUTES) + MINUTES) % MINUTES;
      const sources: Record<string, number> = {};
      let total = 0;
      let blocked = 0;
      if (this.#minuteOf[slot] === m) {
        for (let s = 0; s < SOURCES; s++) {
          const n = this.#counts[slot * SOURCES + s]!;
          if (n === 0) continue;
          sources[answerSourceNames[s]!] = n;
          total += n;
          if (BLOCKED.has(s)) blocked += n;
        }
      }
      perMinute.push({ minute: m * 60_000, total, blocked, sources });
    }
    return {
      perMinute,
      topNames: this.#names.top(top).map((e) => ({ name: e.key, count: e.count, error: e.error })),
      topClients: this.#clients.top(top).map((e) => ({ client: e.key, count: e.count, error: e.error })),
      topBlocked: this.#blocked.top(top).map((e) => ({ name: e.key, count: e.count, error: e.error })),
    };
  }

  /** Writes the statistics to `file` (atomically: a temporary file renamed over it). */
  save(file: string): void {
    const minutes: [number, number[]][] = [];
    for (let slot = 0; slot < MINUTES; slot++) {
      if (this.#minuteOf[slot]! < 0) continue;
      minutes.push([this.#minuteOf[slot]!, Array.from(this.#counts.subarray(slot * SOURCES, (slot + 1) * SOURCES))]);
    }
    const data = { version: 1, sources: answerSourceNames, minutes, names: this.#names.toJSON(), clients: this.#clients.toJSON(), blocked: this.#blocked.toJSON() };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(data));
    renameSync(`${file}.tmp`, file);
  }

  /** Statistics saved by save(); a missing or unreadable file gives empty ones. */
  static load(file: string, k = 1000, now = Date.now()): LiveStats {
    const s = new LiveStats(k);
    let data: { version?: unknown; sources?: unknown; minutes?: unknown; names?: unknown; clients?: unknown; blocked?: unknown };
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return s;
    }
    if (data.version !== 1 || !Array.isArray(data.minutes) || !Array.isArray(data.sources)) return s;
    const names = data.sources as string[];
    const oldest = Math.floor(now / 60_000) - MINUTES + 1;
    for (const entry of data.minutes as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'number' || !Array.isArray(entry[1]) || entry[0] < oldest) continue;
      const slot = entry[0] % MINUTES;
      s.#minuteOf[slot] = entry[0];
      (entry[1] as unknown[]).forEach((n, i) => {
        const idx = answerSourceNames.indexOf(names[i] as (typeof answerSourceNames)[number]);
        if (idx >= 0 && typeof n === 'number') s.#counts[slot * SOURCES + idx] = n;
      });
    }
    s.#names = SpaceSaving.fromJSON(k, data.names);
    s.#clients = SpaceSaving.fromJSON(k, data.clients);
    s.#blocked = SpaceSaving.fromJSON(k, data.blocked);
    return s;
  }
}
