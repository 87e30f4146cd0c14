import type { QueryStats } from '../observability/query-stats.js';
import type { AnswerCache, CacheStats } from '../resolver/cache/answer-cache.js';
import type { UpstreamStats } from '../resolver/upstream/types.js';
import type { UpdateManager } from '../update/manager.js';
import type { SecondaryStatus } from '../xfr/metrics.js';
import type { Zone } from '../zone/zone.js';

/** A zone as served now, with the view serving it when only that view does. */
export interface ServedZone {
  readonly zone: Zone;
  readonly view: string | null;
  readonly type: 'primary' | 'secondary';
  readonly allowTransfer: boolean;
}

/**
 * What the console reads of the running server. Functions, so every call sees the runtime serving
 * now (a reload swaps it); the server wires it (src/server.ts).
 */
export interface ConsoleBackend {
  readonly version: string;
  readonly startedAt: number;
  readonly stats: QueryStats;
  readonly updates: UpdateManager;
  zones(): ServedZone[];
  secondaries(): Iterable<SecondaryStatus>;
  cache(): AnswerCache | null;
  cacheStats(): CacheStats | null;
  upstreams(): UpstreamStats[];
  views(): string[];
  /** Handler errors, malformed and dropped queries. */
  health(): { ready: boolean; reason: string | null };
}
