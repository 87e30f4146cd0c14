import type { At } from './context.js';
import type { Validator } from './schema.js';
import { didYouMean } from './suggest.js';
import { RRType, typeFromString, typeToString } from '../wire/constants.js';
import { canonicalName, nameWireLength } from '../wire/name.js';

/**
 * Domain names, RR types and references to declared keys and views.
 * Names in config are host-name-like: labels of letters, digits, `-` and `_`. The trailing dot
 * is optional in the file; the result is the lower-case FQDN (`Home.LAN` → `home.lan.`).
 */

const LABEL = /^[A-Za-z0-9_-]{1,63}$/;

/** Lower-case FQDN for `text`, or undefined when it is not a usable domain name. */
export function normalizeName(text: string): string | undefined {
  if (text === '.') return '.';
  const name = text.endsWith('.') ? text : text + '.';
  if (!name.slice(0, -1).split('.').every((l) => LABEL.test(l))) return undefined;
  return nameWireLength(name) <= 255 ? canonicalName(name) : undefined;
}

/** A domain name; the root only when `allowRoot`. */
export function domainName(allowRoot = false): Validator<string> {
  return (at) => {
    const v = at.value;
    if (typeof v !== 'string') return at.expected('a domain name');
    const name = normalizeName(v);
    if (name === undefined) return at.error('expected a domain name such as home.lan. (labels of 1..63 letters, digits, "-" or "_"; at most 255 bytes)');
    if (name === '.' && !allowRoot) return at.error('the root domain is not allowed here');
    return name;
  };
}

/** Types that describe transfers or transactions, never data an update may touch. */
const META = new Set<number>([RRType.OPT, RRType.TSIG, RRType.TKEY, RRType.AXFR, RRType.IXFR, RRType.MAILA, RRType.MAILB]);

/** An RR type mnemonic (`AAAA`, `TYPE65400`); ANY only when `allowAny`. Returns the number. */
export function rrType(allowAny = false): Validator<number> {
  return (at) => {
    const v = at.value;
    if (typeof v !== 'string') return at.expected('an RR type such as A or AAAA');
    const t = typeFromString(v);
    if (t === undefined) return at.error(`unknown RR type "${v}"${didYouMean(v, Object.keys(RRType))}`);
    if (META.has(t) || (t === RRType.ANY && !allowAny)) return at.error(`${typeToString(t)} is not allowed here`);
    return t;
  };
}

function reference(kind: 'TSIG key' | 'view' | 'blocking group' | 'console token', declared: (at: At) => ReadonlySet<string>, normalize: (text: string) => string | undefined): Validator<string> {
  return (at) => {
    const v = at.value;
    if (typeof v !== 'string') return at.expected(`a ${kind} name`);
    const name = normalize(v);
    const names = declared(at);
    if (name !== undefined && names.has(name)) return name;
    return at.error(`unknown ${kind} "${v}"${didYouMean(name ?? v, names)}`);
  };
}

/** The name of a key declared under `keys`. */
export const keyRef = reference('TSIG key', (at) => at.ctx.declared.keys, normalizeName);

/** The name of a console token declared under `console.tokens`. */
export const tokenRef = reference('console token', (at) => at.ctx.declared.tokens, (t) => t);

/** The name of a view declared under `views.list`. */
export const viewRef = reference('view', (at) => at.ctx.declared.views, (t) => t);

/** The name of a group declared under `blocking.lists`. */
export const blockingGroupRef = reference('blocking group', (at) => at.ctx.declared.blockingGroups, (t) => t);
