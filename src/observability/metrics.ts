import { AggregatorRegistry, collectDefaultMetrics, Registry, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { HORIZOND_METRICS } from './catalog.js';
import { HzError } from '../errors/index.js';

/**
 * Prometheus metrics for one Server. Every value is read at scrape time: subsystems keep plain
 * integer counters on their hot paths and expose them through a MetricsSource, whose collect()
 * runs once per scrape and writes samples into the families defined in catalog.ts. Nothing in
 * here runs per query.
 *
 * Each Metrics has its own prom-client Registry (never the global default), so every test and
 * every Server instance sees only its own numbers.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
/** One registry's metrics as JSON (prom-client's format). */
export type PeerMetrics = MetricObjectWithValues<MetricValue<string>>[];
export type Labels = Readonly<Record<string, string | number>>;

/** One metric family: its name, help text, type, label names and (histograms) bucket bounds. */
export interface MetricDef {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  /** Histograms: ascending upper bounds in the metric's unit; +Inf is implicit. */
  readonly buckets?: readonly number[];
  /**
   * How the values of several worker processes combine (`server.workers` > 1): summed unless
   * every worker reports the same thing (`first`: the serving process's value) or a per-worker
   * reading (`average`, `min`).
   */
  readonly aggregate?: Aggregate;
}

export type Aggregate = 'sum' | 'first' | 'average' | 'min';

/** Where a source writes its samples during a scrape. */
export interface MetricsSink {
  /** A counter's running total or a gauge's current value. */
  value(name: string, labels: Labels | null, value: number): void;
  /**
   * A histogram: `counts[i]` observations in bucket i alone (not cumulative), with one extra
   * entry for those above the last bound; `sum` of every observed value.
   */
  histogram(name: string, labels: Labels | null, counts: ArrayLike<number>, sum: number): void;
}

/** A subsystem's numbers, published at scrape time. collect() must be synchronous and cheap. */
export interface MetricsSource {
  collect(sink: MetricsSink): void;
}

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC, handles). Default true. */
  processMetrics?: boolean;
  /** Families to define instead of the horizond catalog (tests). */
  definitions?: readonly MetricDef[];
}

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * A family as prom-client's Registry reads it (`name`, `help`, `type`, `get()`): the values are
 * whatever the last gather wrote.
 */
class Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly aggregator: Aggregate;
  readonly def: MetricDef;
  values: Sample[] = [];
  readonly #owner: Metrics;

  constructor(def: MetricDef, owner: Metrics) {
    this.def = def;
    this.name = def.name;
    this.help = def.help;
    this.type = def.type;
    this.aggregator = def.aggregate ?? 'sum';
    this.#owner = owner;
  }

  async get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: Sample[] }> {
    this.#owner.gather();
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values };
  }

  reset(): void {
    this.values = [];
  }
}

export class Metrics implements MetricsSink {
  readonly registry = new Registry();
  /** Sources that threw during a scrape (their samples are missing from that scrape). */
  collectErrors = 0;
  lastCollectError: Error | null = null;
  readonly #families = new Map<string, Family>();
  readonly #sources: MetricsSource[] = [];
  #gathered = false;
  #peers: (() => Promise<PeerMetrics[]>) | null = null;

  constructor(opts: MetricsOptions = {}) {
    for (const def of opts.definitions ?? HORIZOND_METRICS) this.define(def);
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Adds a family (names must be unique and lint-clean; see lintMetric). */
  define(def: MetricDef): void {
    const problems = lintMetric(def);
    if (problems.length > 0) throw new HzError('HZ_ERR_METRICS_DEFINITION', `metrics: ${def.name}: ${problems.join('; ')}`);
    if (this.#families.has(def.name)) throw new HzError('HZ_ERR_METRICS_DEFINITION', `metrics: ${def.name} is defined twice`);
    const family = new Family(def, this);
    this.#families.set(def.name, family);
    // Family has what the Registry reads of a metric (name, help, type, get, reset).
    this.registry.registerMetric(family as unknown as Metric);
  }

  /** Registers a source; the returned function removes it again. */
  add(source: MetricsSource): () => void {
    this.#sources.push(source);
    return () => {
      const i = this.#sources.indexOf(source);
      if (i >= 0) this.#sources.splice(i, 1);
    };
  }

  /** Every family defined, in definition order. */
  definitions(): MetricDef[] {
    return [...this.#families.values()].map((f) => f.def);
  }

  /**
   * Adds the metrics of other processes (the other workers) to every scrape: `peers` returns
   * their registries' JSON; families combine by their `aggregate` rule.
   */
  withPeers(peers: () => Promise<PeerMetrics[]>): void {
    this.#peers = peers;
  }

  /** This process's metrics as JSON (what a worker hands to the one that serves /metrics). */
  json(): Promise<PeerMetrics> {
    return this.registry.getMetricsAsJSON();
  }

  /** The Prometheus text exposition of everything. */
  async text(): Promise<string> {
    if (this.#peers === null) return this.registry.metrics();
    const own = await this.registry.getMetricsAsJSON();
    const peers = await this.#peers();
    return AggregatorRegistry.aggregate([own, ...peers]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Runs every source once per scrape. The Registry calls each family's get() in one
   * synchronous pass, so the first call gathers and the flag clears in the next microtask.
   */
  gather(): void {
    if (this.#gathered) return;
    this.#gathered = true;
    queueMicrotask(() => { this.#gathered = false; });
    for (const f of this.#families.values()) f.values = [];
    for (const s of this.#sources) {
      try {
        s.collect(this);
      } catch (err) {
        this.collectErrors++;
        this.lastCollectError = err as Error;
      }
    }
    if (this.#families.has(COLLECT_ERRORS)) this.value(COLLECT_ERRORS, null, this.collectErrors);
  }

  /** MetricsSink: a counter or gauge sample. */
  value(name: string, labels: Labels | null, value: number): void {
    const f = this.#family(name, labels);
    if (f.type === 'histogram') throw new HzError('HZ_ERR_METRICS_DEFINITION', `metrics: ${name} is a histogram`);
    f.values.push({ value, labels: labels === null ? {} : { ...labels } });
  }

  /** MetricsSink: a histogram sample (bucket counts not cumulative). */
  histogram(name: string, labels: Labels | null, counts: ArrayLike<number>, sum: number): void {
    const f = this.#family(name, labels);
    const bounds = f.def.buckets;
    if (f.type !== 'histogram' || bounds === undefined) throw new HzError('HZ_ERR_METRICS_DEFINITION', `metrics: ${name} is not a histogram`);
    if (counts.length !== bounds.length + 1) throw new HzError('HZ_ERR_METRICS_DEFINITION', `metrics: ${name}: ${counts.length} counts for ${bounds.length} buckets`);
    const base = labels === null ? {} : labels;
    let acc = 0;
    for (let i = 0; i < bounds.length; i++) {
      acc += counts[i]!;
      f.values.push({ metricName: `${name}_bucket`, labels: { ...base, le: bounds[i]! }, value: acc });
    }
    acc += counts[bounds.length]!;
    f.values.push({ metricName: `${name}_bucket`, labels: { ...base, le: '+Inf' }, value: acc });
    f.values.push({ metricName: `${name}_sum`, labels: { ...base }, value: sum });
    f.values.push({ metricName: `${name}_count`, labels: { ...base }, value: acc });
  }

  #family(name: string, labels: Labels | null): Family {
    const f = this.#families.get(name);
    if (f === undefined) throw new HzError('HZ_ERR_METRICS_DEFINITION', `metrics: ${name} is not defined`);
    const names = f.def.labelNames;
    const given = labels === null ? 0 : Object.keys(labels).length;
    if (given !== names.length || (labels !== null && names.some((l) => labels[l] === undefined))) {
      throw new HzError('HZ_ERR_METRICS_DEFINITION', `metrics: ${name} takes labels [${names.join(', ')}]`);
    }
    return f;
  }
}

const COLLECT_ERRORS = 'horizond_metrics_collect_errors_total';
const NAME = /^horizond_[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const LABEL = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** Units Prometheus wants in base form (seconds, bytes), and words that imply a unit. */
const NON_BASE_UNIT = /_(?:ms|us|ns|millis|milliseconds|microseconds|nanoseconds|minutes|hours|days|kb|mb|gb|kib|mib|gib)(?:_|$)/;
const TIME_WORD = /_(?:duration|latency|rtt|srtt|time|timestamp|age|uptime)(?:_|$)/;
/** Labels that would make series unbounded or identify clients (never used). */
const UNBOUNDED_LABELS = new Set(['client', 'address', 'ip', 'qname', 'name', 'id']);

/**
 * Problems with a metric definition, empty when it follows the naming rules: `horizond_`
 * prefix, snake case, `_total` exactly on counters, histograms and time-like metrics in base
 * units (`_seconds`, `_bytes`), bounded snake-case label names.
 */
export function lintMetric(def: MetricDef): string[] {
  const p: string[] = [];
  const n = def.name;
  if (!NAME.test(n)) p.push('name must be horizond_<subsystem>_<name> in snake case');
  const total = n.endsWith('_total');
  if (def.type === 'counter' && !total) p.push('counter names end in _total');
  if (def.type !== 'counter' && total) p.push('only counters end in _total');
  if (NON_BASE_UNIT.test(n)) p.push('use base units (seconds, bytes)');
  if (def.type === 'histogram' && !/_(?:seconds|bytes)$/.test(n)) p.push('histogram names end in their unit (_seconds or _bytes)');
  if (TIME_WORD.test(n) && !/_seconds(?:_total)?$/.test(n)) p.push('a time-like metric ends in _seconds');
  if (/_size(?:_|$)/.test(n) && !/_bytes(?:_total)?$/.test(n)) p.push('a size metric ends in _bytes');
  if (def.help.trim() === '') p.push('help text is empty');
  if (def.type === 'histogram' && (def.buckets === undefined || def.buckets.length === 0)) p.push('histogram without buckets');
  if (def.buckets !== undefined && def.buckets.some((b, i) => i > 0 && b <= def.buckets![i - 1]!)) p.push('buckets must ascend');
  for (const l of def.labelNames) {
    if (!LABEL.test(l)) p.push(`label ${l} is not snake case`);
    if (l === 'le' || l === 'quantile') p.push(`label ${l} is reserved`);
    if (UNBOUNDED_LABELS.has(l)) p.push(`label ${l} is unbounded`);
  }
  return p;
}
