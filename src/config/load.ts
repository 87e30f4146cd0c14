import { MAX_CONFIG_BYTES, readRegularFile } from '../util/regular-file.js';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { At, LoadContext } from './context.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { fileReason } from './files.js';
import { deepFreeze } from './freeze.js';
import { normalizeName } from './names.js';
import { object, optional, withDefault } from './schema.js';
import { parseBlocking } from './sections/blocking.js';
import { parseCache } from './sections/cache.js';
import { parseForward, withoutSelf } from './sections/forward.js';
import { parseKeys } from './sections/keys.js';
import { parseLog } from './sections/log.js';
import { parseConsole } from './sections/console.js';
import { parseMetrics } from './sections/metrics.js';
import { parseNetworks } from './sections/networks.js';
import { parseQueryLog } from './sections/query-log.js';
import { parseRebinding } from './sections/rebinding.js';
import { parseCookies } from './sections/cookies.js';
import { parseRateLimit } from './sections/rate-limit.js';
import { parseRecursion } from './sections/recursion.js';
import { parseServer } from './sections/server.js';
import { parseViews } from './sections/views.js';
import { parseZones } from './sections/zones.js';
import type { Config, ZoneConfig } from './types.js';
import { isSubdomain } from '../wire/name.js';

/**
 * Loading: YAML text → document with positions → declared names → every section validated and
 * normalised (a missing key takes its DEFAULTS value through the same validator) → cross-section
 * assembly → deep freeze. All problems are collected and thrown together as one ConfigError.
 */

/**
 * Sections in dependency order: networks and keys are referenced by the ones after them. The
 * JSON Schema (json-schema.ts) is generated from this same definition.
 */
export const root = object({
  networks: withDefault(parseNetworks, {}),
  keys: withDefault(parseKeys, []),
  server: withDefault(parseServer, {}),
  log: withDefault(parseLog, {}),
  zones: withDefault(parseZones, []),
  recursion: withDefault(parseRecursion, {}),
  forward: withDefault(parseForward, {}),
  cache: withDefault(parseCache, {}),
  views: withDefault(parseViews, {}),
  rebinding: withDefault(parseRebinding, {}),
  cookies: withDefault(parseCookies, {}),
  rateLimit: withDefault(parseRateLimit, {}),
  metrics: withDefault(parseMetrics, {}),
  console: withDefault(parseConsole, {}),
  queryLog: withDefault(parseQueryLog, {}),
  blocking: optional(parseBlocking),
});

/** The whole config's definition: what the loader validates with, and what tools read (`spec`). */
export const configDefinition = root;

/** Collects declared network, key and view names before validation (see Declared). */
function declare(ctx: LoadContext, doc: At): void {
  for (const { key } of doc.child('networks').entries()) if (typeof key === 'string') ctx.declared.networks.add(key);
  for (const item of doc.child('keys').items()) {
    const name = item.child('name').value;
    const normalized = typeof name === 'string' ? normalizeName(name) : undefined;
    if (normalized !== undefined) ctx.declared.keys.add(normalized);
  }
  for (const item of doc.child('console').child('tokens').items()) {
    const name = item.child('name').value;
    if (typeof name === 'string') ctx.declared.tokens.add(name);
  }
  // Without configured tokens the console creates one named `admin` on first start (src/console/tokens.ts).
  if (ctx.declared.tokens.size === 0) ctx.declared.tokens.add('admin');
  for (const item of doc.child('views').child('list').items()) {
    const name = item.child('name').value;
    if (typeof name === 'string') ctx.declared.views.add(name);
  }
  for (const { key } of doc.child('blocking').child('lists').entries()) if (typeof key === 'string') ctx.declared.blockingGroups.add(key);
}

/** Global zones with the view's own zones replacing those of the same name, then the rest. */
function effectiveZones(global: readonly ZoneConfig[], own: readonly ZoneConfig[]): ZoneConfig[] {
  const byName = new Map(own.map((z) => [z.name, z]));
  const merged = global.map((g) => byName.get(g.name) ?? g);
  return [...merged, ...own.filter((z) => !global.some((g) => g.name === z.name))];
}

function assemble(v: NonNullable<ReturnType<typeof root>>, ctx: LoadContext): Config {
  const privateDomains = [...v.rebinding.privateDomains];
  for (const d of v.forward.domains) {
    if (!privateDomains.some((p) => isSubdomain(d.name, p))) privateDomains.push(d.name);
  }
  return {
    file: ctx.file,
    baseDir: ctx.baseDir,
    server: v.server,
    log: v.log,
    networks: v.networks,
    keys: v.keys,
    zones: v.zones,
    recursion: v.recursion,
    forward: withoutSelf(v.forward, v.server.listen),
    cache: v.cache,
    views: { ...v.views, list: v.views.list.map((view) => ({ ...view, zones: effectiveZones(v.zones, view.zones) })) },
    rebinding: { ...v.rebinding, privateDomains },
    cookies: v.cookies,
    rateLimit: v.rateLimit,
    metrics: v.metrics,
    console: v.console,
    queryLog: v.queryLog,
    blocking: v.blocking ?? null,
  };
}

/**
 * Several workers share the journals and data directory through one owning worker; secondary
 * zones (transfers, saved copies) have no such hand-off yet.
 */
function checkWorkers(config: Config, ctx: LoadContext, doc: ReturnType<typeof parseDocument>, lines: LineCounter): void {
  if (config.server.workers <= 1) return;
  const secondary = [...config.zones, ...config.views.list.flatMap((v) => v.zones)].find((z) => z.type === 'secondary');
  if (secondary === undefined) return;
  const node = doc.getIn(['server', 'workers'], true) as { range?: [number, number, number] } | undefined;
  ctx.report(lines.linePos(node?.range?.[0] ?? 0), 'server.workers',
    `server.workers > 1 cannot be combined with secondary zones (${secondary.name} is one): run one worker on a secondary`);
}

function unique(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.col}:${i.path}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Parses and validates configuration text. `file` is used only in messages (pass it as the user
 * gave it); relative paths in the config resolve against `baseDir`. Files the config names (zone
 * files, secret files, CA files) are checked synchronously. Throws ConfigError listing every
 * problem; returns a deep-frozen Config.
 */
export function parseConfig(text: string, file: string, baseDir: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const ctx = new LoadContext(file, resolve(baseDir), doc, lines);
  // yaml's messages never quote the source (prettyErrors is off), so secrets cannot leak here.
  for (const e of [...doc.errors, ...doc.warnings]) ctx.report(lines.linePos(e.pos[0]), '', `invalid YAML: ${e.message}`);
  let config: Config | undefined;
  if (ctx.issues.length === 0) {
    const top = At.root(ctx, doc.contents);
    declare(ctx, top);
    const value = root(top.present ? top : top.withDefault({}));
    if (value !== undefined) config = assemble(value, ctx);
    if (config !== undefined) checkWorkers(config, ctx, doc, lines);
  }
  if (ctx.issues.length > 0 || config === undefined) throw new ConfigError(unique(ctx.issues));
  return deepFreeze(config);
}

/**
 * Reads and parses a config file (relative paths in it resolve against its directory). Async
 * only for reading the file itself; see parseConfig.
 */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = readRegularFile(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read: ${fileReason(err)}` }]);
  }
  return parseConfig(text, file, dirname(resolve(file)));
}
