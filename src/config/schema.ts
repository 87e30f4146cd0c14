import { isAbsolute, resolve } from 'node:path';
import { isMap, isSeq } from 'yaml';
import type { At } from './context.js';
import { didYouMean } from './suggest.js';
import type { Seconds } from './types.js';
import { DURATION_PATTERN, SIZE_PATTERN, formatDuration, formatSize, parseDuration, parseSize } from './units.js';

/**
 * A tiny validator over YAML nodes that keeps positions. A `Validator<T>` looks at one node (an
 * `At`: node + key path + position) and returns the normalised value, or reports an issue and
 * returns undefined. Validation never stops at the first problem: objects check every key,
 * lists keep their valid items, and the caller throws once with all issues (load.ts).
 * Address and name helpers live next door in net.ts and names.ts.
 */

export interface Validator<T> {
  (at: At): T | undefined;
  /**
   * The JSON Schema (draft-07) of the values this validator accepts, for editors
   * (json-schema.ts). It describes the shape and ranges; what needs the whole file (references
   * to declared names, files on disk, cross-field rules) is left to the loader.
   */
  schema?: JsonSchema;
  /**
   * What the validator accepts, for whatever reads the definitions instead of running them (the
   * range test that feeds every numeric key's limits to `check` and the daemon). Durations are in
   * seconds, sizes in bytes. Validators written by hand carry none.
   */
  spec?: Spec;
}

export type Spec =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'number'; readonly min: number; readonly max: number; readonly exclusiveMin: boolean }
  | { readonly kind: 'duration'; readonly min: number; readonly max: number; readonly positive: boolean; readonly whole: boolean }
  | { readonly kind: 'size'; readonly min: number; readonly max: number }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'string' }
  | { readonly kind: 'path' }
  | { readonly kind: 'list'; readonly item: Validator<unknown>; readonly min: number }
  | { readonly kind: 'dict'; readonly value: Validator<unknown> }
  | { readonly kind: 'object'; readonly shape: Shape };

/** Attaches the spec to a validator (keeping its JSON Schema); returns it. */
export function described<T>(fn: ((at: At) => T | undefined) & { schema?: JsonSchema; spec?: Spec }, spec: Spec): Validator<T> {
  fn.spec = spec;
  return fn;
}

/** A JSON Schema fragment. */
export type JsonSchema = { readonly [key: string]: unknown };

/** Attaches the JSON Schema of what `v` accepts; returns `v`. */
export function describe<V extends Validator<unknown>>(v: V, schema: JsonSchema): V {
  v.schema = schema;
  return v;
}

/** What a validator without a schema turns into: anything (a test lists such places). */
export const UNDESCRIBED: JsonSchema = Object.freeze({ $comment: 'undescribed' });

/** Scalar JSON Schema types (lists of these may say `uniqueItems`). */
function isScalar(schema: JsonSchema | undefined): boolean {
  const t = schema?.['type'];
  return t === 'string' || t === 'integer' || t === 'number' || t === 'boolean';
}

/** Applies `fn` to a valid value; `fn` may report and return undefined too. */
export function transform<T, R>(v: Validator<T>, fn: (value: T, at: At) => R | undefined): Validator<R> {
  const out: Validator<R> = (at) => {
    const value = v(at);
    return value === undefined ? undefined : fn(value, at);
  };
  if (v.schema) out.schema = v.schema;
  if (v.spec) out.spec = v.spec;
  return out;
}

export function str(opts: { pattern?: RegExp; what?: string } = {}): Validator<string> {
  const what = opts.what ?? 'a string';
  return described(describe((at: At) => {
    const v = at.value;
    if (typeof v !== 'string') return at.expected(what);
    if (v === '' || (opts.pattern && !opts.pattern.test(v))) return at.error(`expected ${what}`);
    return v;
  }, { type: 'string', minLength: 1, ...(opts.pattern ? { pattern: opts.pattern.source } : {}) }), { kind: 'string' });
}

export function int(min: number, max: number): Validator<number> {
  return described(describe((at: At) => {
    const v = at.value;
    if (typeof v !== 'number' || !Number.isInteger(v)) return at.expected('an integer');
    return v < min || v > max ? at.error(`expected ${min}..${max}`) : v;
  }, { type: 'integer', minimum: min, maximum: max }), { kind: 'int', min, max });
}

/** A number in (min, max] when `exclusiveMin`, else [min, max]. */
export function num(min: number, max: number, exclusiveMin = false): Validator<number> {
  return described(describe((at: At) => {
    const v = at.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return at.expected('a number');
    if (v > max || v < min || (exclusiveMin && v === min)) {
      return at.error(exclusiveMin ? `expected more than ${min} and at most ${max}` : `expected ${min}..${max}`);
    }
    return v;
  }, { type: 'number', ...(exclusiveMin ? { exclusiveMinimum: min } : { minimum: min }), maximum: max }), { kind: 'number', min, max, exclusiveMin });
}

export const bool: Validator<boolean> = described(describe((at: At) => {
  const v = at.value;
  return typeof v === 'boolean' ? v : at.expected('true or false');
}, { type: 'boolean' }), { kind: 'bool' });

export function oneOf<T extends string>(values: readonly T[]): Validator<T> {
  return described(describe((at: At) => {
    const v = at.value;
    if (typeof v !== 'string') return at.expected(`one of ${values.join(', ')}`);
    if ((values as readonly string[]).includes(v)) return v as T;
    return at.error(`expected one of ${values.join(', ')}${didYouMean(v, values)}`);
  }, { type: 'string', enum: [...values] }), { kind: 'enum', values });
}

const DURATION = 'a duration such as 10s, 500ms or 1h30m';

export interface DurationRange {
  min?: Seconds;
  max?: Seconds;
  /** Zero is not allowed. */
  positive?: boolean;
  /** Whole seconds only (TTLs). */
  whole?: boolean;
}

/** A duration (see units.ts), normalised to seconds. */
export function duration(range: DurationRange = {}): Validator<Seconds> {
  return described(describe((at: At) => {
    const v = at.value;
    if (typeof v !== 'string' && typeof v !== 'number') return at.expected(DURATION);
    if (typeof v === 'number' ? v < 0 : v.trim().startsWith('-')) {
      return at.error(range.positive ? 'must be greater than 0' : 'must not be negative');
    }
    const s = parseDuration(v);
    if (s === undefined) return at.error(`expected ${DURATION}`);
    if (range.whole && !Number.isInteger(s)) return at.error('expected whole seconds');
    if (range.positive && s === 0) return at.error('must be greater than 0');
    const { min = 0, max = Infinity } = range;
    if (s < min || s > max) {
      if (min === 0) return at.error(`must be at most ${formatDuration(max)}`);
      if (max === Infinity) return at.error(`must be at least ${formatDuration(min)}`);
      return at.error(`expected ${formatDuration(min)}..${formatDuration(max)}`);
    }
    return s;
  }, durationSchema(range)), { kind: 'duration', min: range.min ?? 0, max: range.max ?? Infinity, positive: range.positive ?? false, whole: range.whole ?? false });
}

/** Text such as 1h30m or 500ms (units.ts), or a number of seconds within the range. */
function durationSchema(range: DurationRange): JsonSchema {
  const max = range.max ?? Infinity;
  const seconds: Record<string, unknown> = { type: range.whole ? 'integer' : 'number' };
  if (range.positive) seconds['exclusiveMinimum'] = 0;
  seconds['minimum'] = range.min ?? 0;
  if (max !== Infinity) seconds['maximum'] = max;
  return {
    description: DURATION,
    anyOf: [seconds, { type: 'string', pattern: DURATION_PATTERN }],
  };
}

/** A size (see units.ts), normalised to bytes. */
export function size(min: number, max: number): Validator<number> {
  return described(describe((at: At) => {
    const v = at.value;
    const what = 'a size such as 64MiB or a number of bytes';
    if (typeof v !== 'string' && typeof v !== 'number') return at.expected(what);
    const bytes = parseSize(v);
    if (bytes === undefined) return at.error(`expected ${what}`);
    return bytes < min || bytes > max ? at.error(`expected ${formatSize(min)}..${formatSize(max)}`) : bytes;
  }, {
    description: 'a size such as 64MiB or a number of bytes',
    anyOf: [{ type: 'integer', minimum: min, maximum: max }, { type: 'string', pattern: SIZE_PATTERN }],
  }), { kind: 'size', min, max });
}

/** An absolute path; relative ones are resolved against the config file's directory. */
export const path: Validator<string> = described(describe((at: At) => {
  const v = str({ what: 'a path' })(at);
  if (v === undefined) return undefined;
  return isAbsolute(v) ? resolve(v) : resolve(at.ctx.baseDir, v);
}, { type: 'string', minLength: 1, description: 'a path; relative paths are relative to the config file' }), { kind: 'path' });

export interface ListOptions<T> {
  min?: number;
  /** Reject duplicates: `key` gives the identity, `what` names it, `at` is the child key to point at. */
  unique?: { key: (value: T) => string; what: string; at?: string };
}

/** A sequence; invalid items are reported and left out, the rest are returned. */
export function list<T>(item: Validator<T>, opts: ListOptions<T> = {}): Validator<T[]> {
  const min = opts.min ?? 0;
  return described(describe((at: At) => {
    if (!isSeq(at.node)) return at.expected('a list');
    const items = at.items();
    if (items.length < min) return at.error(min === 1 ? 'must not be empty' : `expected at least ${min} items`);
    const out: T[] = [];
    const firstAt = new Map<string, At>();
    for (const itemAt of items) {
      const value = item(itemAt);
      if (value === undefined) continue;
      if (opts.unique) {
        const key = opts.unique.key(value);
        const first = firstAt.get(key);
        if (first !== undefined) {
          const where = opts.unique.at ? itemAt.child(opts.unique.at) : itemAt;
          where.error(`duplicate ${opts.unique.what} "${key}" (first at line ${first.pos.line})`);
          continue;
        }
        firstAt.set(key, opts.unique.at ? itemAt.child(opts.unique.at) : itemAt);
      }
      out.push(value);
    }
    return out;
  }, {
    type: 'array',
    items: item.schema ?? UNDESCRIBED,
    ...(min > 0 ? { minItems: min } : {}),
    ...(opts.unique && isScalar(item.schema) ? { uniqueItems: true } : {}),
  }), { kind: 'list', item, min });
}

/** A mapping with free-form keys (`networks`); bad entries are reported and left out. */
export function dict<T>(value: Validator<T>, key: { pattern: RegExp; what: string; reserved?: ReadonlySet<string> }): Validator<Record<string, T>> {
  const names: Record<string, unknown> = { pattern: key.pattern.source };
  if (key.reserved && key.reserved.size > 0) names['not'] = { enum: [...key.reserved] };
  return described(describe((at: At) => {
    if (!isMap(at.node)) return at.expected('a mapping');
    const out: Record<string, T> = {};
    for (const entry of at.entries()) {
      const name = entry.key;
      if (typeof name !== 'string' || !key.pattern.test(name)) {
        entry.keyAt.error(`expected ${key.what}`);
        continue;
      }
      if (key.reserved?.has(name)) {
        entry.keyAt.error(`"${name}" is a built-in name and cannot be redefined`);
        continue;
      }
      const v = value(entry.value);
      if (v !== undefined) out[name] = v;
    }
    return out;
  }, { type: 'object', propertyNames: names, additionalProperties: value.schema ?? UNDESCRIBED }), { kind: 'dict', value });
}

/** How an object treats one key. `T` is only carried for type inference. */
export interface Field<T> {
  readonly validate: Validator<unknown>;
  readonly mode: 'required' | 'optional' | 'default';
  readonly fallback?: unknown;
  readonly _type?: T;
}

export function required<T>(validate: Validator<T>): Field<T> {
  return { validate, mode: 'required' };
}

export function optional<T>(validate: Validator<T>): Field<T | undefined> {
  return { validate, mode: 'optional' };
}

/** When the key is absent or empty, `fallback` (written as in YAML) is validated instead. */
export function withDefault<T>(validate: Validator<T>, fallback: unknown): Field<T> {
  return { validate, mode: 'default', fallback };
}

export type Shape = Record<string, Field<unknown>>;
export type Shaped<S extends Shape> = { -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/**
 * A mapping with known keys. Unknown keys are errors (with a suggestion for near misses). The
 * object is undefined when a present key is invalid or a required one is missing; `refine`
 * then turns the checked fields into the result and may report cross-field problems.
 */
export function object<S extends Shape>(shape: S): Validator<Shaped<S>>;
export function object<S extends Shape, R>(shape: S, refine: (value: Shaped<S>, at: At) => R | undefined): Validator<R>;
export function object<S extends Shape, R>(shape: S, refine?: (value: Shaped<S>, at: At) => R | undefined): Validator<R | Shaped<S>> {
  const known = Object.keys(shape);
  return described(describe((at: At) => {
    if (!isMap(at.node)) return at.expected('a mapping');
    for (const entry of at.entries()) {
      const name = String(entry.key);
      if (!Object.hasOwn(shape, name)) entry.keyAt.error(`unknown key${didYouMean(name, known)}`);
    }
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const name of known) {
      const field = shape[name]!;
      let child = at.child(name);
      if (!child.present) {
        if (field.mode === 'required') {
          child.error('is required');
          ok = false;
          continue;
        }
        if (field.mode === 'optional') continue;
        child = child.withDefault(field.fallback);
      }
      const value = field.validate(child);
      if (value === undefined) ok = false;
      else out[name] = value;
    }
    if (!ok) return undefined;
    return refine ? refine(out as Shaped<S>, at) : (out as Shaped<S>);
  }, objectSchema(shape)), { kind: 'object', shape });
}

/** Known keys only; required ones listed; a default shown as the YAML would say it. */
function objectSchema(shape: Shape): JsonSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(shape)) {
    const own = field.validate.schema ?? UNDESCRIBED;
    const fallback = field.mode === 'default' && isPlainDefault(field.fallback) ? field.fallback : undefined;
    properties[name] = fallback === undefined ? own : { ...own, default: fallback };
    if (field.mode === 'required') required.push(name);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

/** Defaults worth showing in an editor: scalars and lists of scalars (not `{}` placeholders). */
function isPlainDefault(v: unknown): boolean {
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object' || x === null);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}
