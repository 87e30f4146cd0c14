import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigIssue } from './errors.js';
import type { Prefix } from './types.js';

/**
 * Where validation stands: the load (`LoadContext`: issues, declared names, base directory) and
 * the node being looked at (`At`: node, key path, 1-based position).
 */

export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** Names declared in the file, collected before validation so a broken declaration is known. */
export interface Declared {
  readonly networks: Set<string>;
  readonly keys: Set<string>;
  readonly views: Set<string>;
  /** Group names under `blocking.lists`. */
  readonly blockingGroups: Set<string>;
  /** Console token names (`console.tokens[].name`). */
  readonly tokens: Set<string>;
}

/** One load: where to report, what is declared, and what relative paths are relative to. */
export class LoadContext {
  readonly issues: ConfigIssue[] = [];
  readonly declared: Declared = { networks: new Set(), keys: new Set(), views: new Set(), blockingGroups: new Set(), tokens: new Set() };
  /** Prefixes of each declared network, filled in by the networks section. */
  readonly networks = new Map<string, readonly Prefix[]>();

  constructor(readonly file: string, readonly baseDir: string, readonly doc: Document, readonly lines: LineCounter) {}

  report(pos: Pos, path: string, message: string): void {
    this.issues.push({ file: this.file, line: pos.line, col: pos.col, path, message });
  }

  /** Position of a node from the source, or `fallback` for nodes made from defaults. */
  posOf(node: Node | null | undefined, fallback: Pos): Pos {
    const range = node?.range;
    return range ? this.lines.linePos(range[0]) : fallback;
  }
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** A node being validated: the node (null when absent), its key path and its position. */
export class At {
  private constructor(readonly ctx: LoadContext, readonly node: Node | null, readonly path: string, readonly pos: Pos) {}

  /** The document root (position 1:1 when the document is empty). */
  static root(ctx: LoadContext, node: Node | null): At {
    return At.make(ctx, node, '', { line: 1, col: 1 });
  }

  /** Resolves aliases; the position stays where the alias is used. */
  private static make(ctx: LoadContext, raw: unknown, path: string, fallback: Pos): At {
    const node = (raw ?? null) as Node | null;
    const empty = node === null || (isScalar(node) && node.value === null);
    const pos = empty ? fallback : ctx.posOf(node, fallback);
    if (node !== null && isAlias(node)) {
      const target = node.resolve(ctx.doc) ?? null;
      if (target === null) ctx.report(pos, path, `unknown alias *${node.source}`);
      return new At(ctx, target, path, pos);
    }
    return new At(ctx, node, path, pos);
  }

  /** False for a missing node and for an empty or `null` value. */
  get present(): boolean {
    return this.node !== null && !(isScalar(this.node) && this.node.value === null);
  }

  /** The JS value of a scalar node (undefined for collections). */
  get value(): unknown {
    return isScalar(this.node) ? this.node.value : undefined;
  }

  /** Reports an issue here; returns undefined so validators can `return at.error(...)`. */
  error(message: string): undefined {
    this.ctx.report(this.pos, this.path, message);
    return undefined;
  }

  /** Reports `expected <what>, got <kind of node>`. */
  expected(what: string): undefined {
    return this.error(`expected ${what}, got ${describe(this.node)}`);
  }

  /** The value under `key` of a mapping; absent (at this position) when there is none. */
  child(key: string): At {
    const path = joinPath(this.path, key);
    if (isMap(this.node)) {
      for (const pair of this.node.items) {
        if (isScalar(pair.key) && String(pair.key.value) === key) {
          return At.make(this.ctx, pair.value, path, this.ctx.posOf(pair.key as Node, this.pos));
        }
      }
    }
    return new At(this.ctx, null, path, this.pos);
  }

  /** Items of a sequence (empty for anything else). */
  items(): At[] {
    if (!isSeq(this.node)) return [];
    return this.node.items.map((n, i) => At.make(this.ctx, n, `${this.path}[${i}]`, this.pos));
  }

  /** Key/value pairs of a mapping, each with the position of its key. */
  entries(): { key: unknown; keyAt: At; value: At }[] {
    if (!isMap(this.node)) return [];
    return this.node.items.map((pair) => {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      const name = joinPath(this.path, String(key));
      const keyAt = new At(this.ctx, pair.key as Node, name, this.ctx.posOf(pair.key as Node, this.pos));
      return { key, keyAt, value: At.make(this.ctx, pair.value, name, keyAt.pos) };
    });
  }

  /** The same place holding a value made from a default (validated like a written one). */
  withDefault(raw: unknown): At {
    return new At(this.ctx, this.ctx.doc.createNode(raw), this.path, this.pos);
  }
}

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing';
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number') return 'a number';
    if (typeof v === 'boolean') return 'a boolean';
  }
  return 'something else';
}
