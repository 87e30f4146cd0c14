import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockingSource, Config } from '../config/types.js';
import { BlockingError, BlockingErrorCode } from './errors.js';
import { EntryKind, parseList } from './parse.js';

/**
 * `blocking test NAME`: why a name is or is not blocked, exactly. The compiled set only holds
 * hashes, so this cold path re-reads the sources (local files, and the saved copies of URL
 * sources) and reports the group, source, line and entry that block the name, or the allow
 * entry, `@@` exception or zone that lets it through (Pi-hole's `pihole -q`).
 */

/** Where the last good copy of a URL source is kept. */
export function savedCopyPath(dataDir: string, url: string): string {
  return join(dataDir, 'blocking', `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.list`);
}

export interface Hit {
  /** The source as written in the config. */
  readonly source: string;
  readonly line: number;
  /** The listed name that matched (the name itself or a name above it). */
  readonly entry: string;
}

export interface Verdict {
  readonly name: string;
  /** The view asked about, or null for "every group". */
  readonly view: string | null;
  /** Groups that apply (the view's). */
  readonly groups: readonly string[];
  readonly blocked: boolean;
  /** The group and list entry that block it. */
  readonly blockedBy: (Hit & { readonly group: string }) | null;
  /** What lets a listed name through: an allowlist entry, an @@ exception, or a zone of ours. */
  readonly allowedBy: (Hit & { readonly kind: 'allowlist' | 'exception' }) | { readonly kind: 'zone'; readonly zone: string } | null;
  /** Sources that could not be read (no saved copy yet, file missing): the answer may be incomplete. */
  readonly unreadable: readonly string[];
}

function suffixes(name: string): Set<string> {
  const out = new Set<string>();
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) out.add(labels.slice(i).join('.'));
  return out;
}

/** Hits of `name` in one source, by kind. Null when the source cannot be read. */
function scan(text: Buffer, allowOnly: boolean, wanted: Set<string>, source: string): { block: Hit[]; allow: Hit[] } {
  const block: Hit[] = [];
  const allow: Hit[] = [];
  parseList(text, {
    entry(kind, buf, from, to, line) {
      if (to - from > 253) return;
      const entry = Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1').toLowerCase();
      if (!wanted.has(entry)) return;
      (kind === EntryKind.Allow ? allow : block).push({ source, line, entry });
    },
  }, allowOnly);
  return { block, allow };
}

/** Most specific first (the longest entry), then file order. */
function best<T extends Hit>(hits: readonly T[]): T | null {
  let b: T | null = null;
  for (const h of hits) if (b === null || h.entry.length > b.entry.length) b = h;
  return b;
}

export function explain(config: Config, rawName: string, viewName?: string): Verdict {
  const b = config.blocking;
  if (b === null) throw new BlockingError(BlockingErrorCode.NotConfigured, 'no blocking section in the configuration');
  const name = rawName.trim().toLowerCase().replace(/\.$/, '');
  let groups = b.lists.map((g) => g.name);
  if (viewName !== undefined) {
    const v = config.views.list.find((x) => x.name === viewName);
    if (v === undefined) throw new BlockingError(BlockingErrorCode.UnknownView, `no view named "${viewName}" (views: ${config.views.list.map((x) => x.name).join(', ')})`);
    if (v.blocking !== null) groups = groups.filter((g) => v.blocking!.includes(g));
  }
  const base = { name, view: viewName ?? null, groups };
  const zone = [...config.zones, ...config.views.list.flatMap((v) => v.zones)]
    .map((z) => z.name.replace(/\.$/, ''))
    .filter((z) => z === '' || name === z || name.endsWith(`.${z}`))
    .sort((x, y) => y.length - x.length)[0];
  const wanted = suffixes(name);
  const unreadable: string[] = [];
  const cache = new Map<string, { block: Hit[]; allow: Hit[] } | null>();
  const read = (s: BlockingSource, allowOnly: boolean) => {
    const key = `${allowOnly} ${s.text}`;
    if (!cache.has(key)) {
      const path = s.kind === 'file' ? s.path : savedCopyPath(config.server.dataDir, s.url);
      let text: Buffer | null = null;
      try { text = readFileSync(path); } catch { unreadable.push(s.text); }
      cache.set(key, text === null ? null : scan(text, allowOnly, wanted, s.text));
    }
    return cache.get(key) ?? null;
  };
  const allowlist: Hit[] = b.allow.flatMap((s) => read(s, true)?.allow ?? []);
  let allowedBy: Verdict['allowedBy'] = null;
  for (const g of b.lists.filter((x) => groups.includes(x.name))) {
    const hits = g.sources.map((s) => read(s, false));
    const blockHit = best(hits.flatMap((h) => h?.block ?? []));
    if (blockHit === null) continue;
    if (zone !== undefined) { allowedBy ??= { kind: 'zone', zone: zone === '' ? '.' : `${zone}.` }; continue; }
    const exception = best(hits.flatMap((h) => h?.allow ?? []));
    const allowed = best(allowlist);
    if (allowed !== null) { allowedBy ??= { ...allowed, kind: 'allowlist' }; continue; }
    if (exception !== null) { allowedBy ??= { ...exception, kind: 'exception' }; continue; }
    return { ...base, blocked: true, blockedBy: { ...blockHit, group: g.name }, allowedBy: null, unreadable };
  }
  return { ...base, blocked: false, blockedBy: null, allowedBy, unreadable };
}

/** The verdict as `horizond blocking test` prints it. */
export function formatVerdict(v: Verdict): string {
  const where = v.view === null ? 'for every group' : `in view ${v.view}`;
  const lines: string[] = [];
  if (v.blocked && v.blockedBy) {
    const h = v.blockedBy;
    lines.push(`${v.name}: blocked ${where} by group ${h.group}`, `  ${h.source}:${h.line}: ${h.entry}`);
  } else if (v.allowedBy) {
    const a = v.allowedBy;
    lines.push(`${v.name}: not blocked ${where}: listed, but ${a.kind === 'zone' ? `inside our zone ${a.zone}` : a.kind === 'allowlist' ? 'allowed by the allowlist' : 'allowed by an @@ exception'}`);
    if (a.kind !== 'zone') lines.push(`  ${a.source}:${a.line}: ${a.entry}`);
  } else {
    lines.push(`${v.name}: not blocked ${where}${v.groups.length === 0 ? ' (no group applies)' : `: not listed in ${v.groups.join(', ')}`}`);
  }
  for (const s of v.unreadable) lines.push(`  warning: ${s} could not be read (no saved copy yet?)`);
  return `${lines.join('\n')}\n`;
}
