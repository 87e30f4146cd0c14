import { isAbsolute, resolve } from 'node:path';
import type { At } from '../context.js';
import { DEFAULTS } from '../defaults.js';
import { NETWORK_NAME } from '../net.js';
import { dict, duration, int, list, object, oneOf, required, size, withDefault, type Validator } from '../schema.js';
import type { BlockingConfig, BlockingSource } from '../types.js';
import { MAX_GROUPS } from '../../blocking/set.js';

/**
 * `blocking`: named groups of blocklists (views pick groups with `views.list[].blocking`), an
 * allowlist, the blocked answer and the refresh schedule. Sources are local paths (relative to
 * the config file) or http(s) URLs. Whether a file exists is not checked here: a list that is
 * missing or broken at run time is logged and counted, and the last good copy keeps serving.
 */

const D = DEFAULTS.blocking;

/** A path or an http(s) URL. */
const source: Validator<BlockingSource> = (at: At) => {
  const v = at.value;
  if (typeof v !== 'string' || v.trim() === '') return at.expected('a path or an http(s) URL');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return at.error(`not a valid URL: ${v}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return at.error(`expected an http or https URL, got ${url.protocol.slice(0, -1)}`);
    if (url.username !== '' || url.password !== '') return at.error('credentials in list URLs are not supported');
    return { kind: 'url', url: url.href, text: v };
  }
  return { kind: 'file', path: isAbsolute(v) ? resolve(v) : resolve(at.ctx.baseDir, v), text: v };
};

const sources = list(source, { min: 1, unique: { key: (s) => (s.kind === 'url' ? s.url : s.path), what: 'source' } });

/** Parses `blocking` (only when the section is present). */
export const parseBlocking = object(
  {
    lists: required(dict(sources, { pattern: NETWORK_NAME, what: 'a group name (a letter, then letters, digits, "-" or "_")' })),
    allow: withDefault(list(source, { unique: { key: (s) => (s.kind === 'url' ? s.url : s.path), what: 'source' } }), D.allow),
    answer: withDefault(oneOf(['zero', 'nxdomain', 'nodata', 'refused'] as const), D.answer),
    ttl: withDefault(duration({ whole: true, max: 86_400 }), D.ttl),
    refresh: withDefault(duration({ min: 60, max: 30 * 86_400 }), D.refresh),
    maxSize: withDefault(size(1024, 1024 ** 3), D.maxSize),
    timeout: withDefault(duration({ positive: true, max: 3600 }), D.timeout),
    maxRedirects: withDefault(int(0, 20), D.maxRedirects),
  },
  (v, at): BlockingConfig | undefined => {
    const groups = Object.entries(v.lists);
    if (at.child('lists').entries().length === 0) return at.child('lists').error('must name at least one group');
    if (groups.length === 0) return undefined; // every group was invalid (reported)
    if (groups.length > MAX_GROUPS) return at.child('lists').error(`at most ${MAX_GROUPS} groups`);
    return {
      lists: groups.map(([name, s]) => ({ name, sources: s })),
      allow: v.allow, answer: v.answer, ttl: v.ttl, refresh: v.refresh, maxSize: v.maxSize, timeout: v.timeout, maxRedirects: v.maxRedirects,
    };
  },
);
