import type { At } from '../context.js';
import { DEFAULTS } from '../defaults.js';
import { keyRef, domainName, rrType, tokenRef } from '../names.js';
import { networkRefs } from '../net.js';
import { bool, duration, list, object, oneOf, optional, required, transform, withDefault, type Validator } from '../schema.js';
import type { NameMatch, Prefix, UpdatePolicy, UpdateRule } from '../types.js';
import { RRType, typeToString } from '../../wire/constants.js';
import { isSubdomain } from '../../wire/name.js';

/**
 * `zones[].update`: who may change a zone with RFC 2136 UPDATE. A request must be signed with
 * one of `keys` (or, over the HTTP API, carry one of the console `tokens`) AND come from one of
 * `networks`; then every change in it must be permitted by a
 * rule (the preset's rules first, then `rules`). A rule's own `keys`/`networks` narrow the
 * zone's. Type ANY in a rule permits "delete all RRsets at a name" only; `types: ["*"]` permits
 * every data type (and so deleting them all at once too).
 */

const D = DEFAULTS['zones[]'].update;

/** Kea DHCP-DDNS (D2): forward zones get A, AAAA, DHCID; reverse zones PTR, DHCID; both name deletes. */
const KEA_FORWARD = [RRType.A, RRType.AAAA, RRType.DHCID, RRType.ANY];
const KEA_REVERSE = [RRType.PTR, RRType.DHCID, RRType.ANY];

type RawMatch = NameMatch | { readonly kind: 'zone' };

const nameMatch = object(
  { zone: optional(bool), subtree: optional(domainName(true)), exact: optional(domainName(true)) },
  (v, at): RawMatch | undefined => {
    const given = (['zone', 'subtree', 'exact'] as const).filter((k) => v[k] !== undefined);
    if (given.length !== 1) return at.error('expected exactly one of zone, subtree, exact');
    if (v.zone === false) return at.child('zone').error('must be true (use subtree or exact otherwise)');
    if (v.zone) return { kind: 'zone' };
    return v.subtree !== undefined ? { kind: 'subtree', name: v.subtree } : { kind: 'exact', name: v.exact! };
  },
);

const keyList = list(keyRef, { min: 1, unique: { key: (k) => k, what: 'key' } });
const tokenList = list(tokenRef, { min: 1, unique: { key: (k) => k, what: 'token' } });

/** `*` in a rule's `types`: any data type. */
const ANY_TYPE = -1;

const ruleType: Validator<number> = (at) => (at.value === '*' ? ANY_TYPE : rrType(true)(at));

const ruleTypes = transform(
  list(ruleType, { min: 1, unique: { key: (t) => (t === ANY_TYPE ? '*' : typeToString(t)), what: 'type' } }),
  (types, at) => {
    if (types.includes(ANY_TYPE) && types.length > 1) return at.error('"*" already covers every type: list it alone');
    return types;
  },
);

const rule = object(
  {
    keys: optional(keyList),
    networks: optional(networkRefs(1)),
    name: required(nameMatch),
    types: required(ruleTypes),
  },
  (v, at) => ({ ...v, at }),
);

type RawRule = NonNullable<ReturnType<typeof rule>>;

/** The `update` mapping before the zone name is known. */
export const rawUpdate = object({
  preset: withDefault(oneOf(['kea', 'none'] as const), D.preset),
  keys: optional(keyList),
  tokens: optional(tokenList),
  networks: required(networkRefs(1)),
  rules: withDefault(list(rule), D.rules),
  protectStatic: withDefault(bool, D.protectStatic),
  scavenge: withDefault(
    object({
      enabled: withDefault(bool, D.scavenge.enabled),
      grace: withDefault(duration({ positive: true }), D.scavenge.grace),
    }),
    {},
  ),
});

type RawUpdate = NonNullable<ReturnType<typeof rawUpdate>>;

function configRule(r: RawRule, u: RawUpdate, zone: string): UpdateRule | undefined {
  let ok = true;
  for (const k of r.keys ?? []) {
    if (u.keys?.includes(k)) continue;
    r.at.child('keys').error(`key "${k}" is not in update.keys`);
    ok = false;
  }
  let name: NameMatch = { kind: 'subtree', name: zone };
  if (r.name.kind !== 'zone') {
    name = r.name;
    if (!isSubdomain(name.name, zone)) {
      r.at.child('name').child(name.kind).error(`${name.name} is not in zone ${zone}`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const networks: readonly Prefix[] = r.networks ?? u.networks;
  const anyType = r.types[0] === ANY_TYPE;
  return { keys: r.keys ?? u.keys ?? [], tokens: r.keys ? [] : u.tokens ?? [], networks, name, types: anyType ? [] : r.types, anyType, origin: 'config' };
}

/** Completes the policy for zone `zone`: checks rule names and keys, expands the preset. */
export function finishUpdate(u: RawUpdate, zone: string, at: At): UpdatePolicy | undefined {
  if (u.keys === undefined && u.tokens === undefined) return at.error('needs keys (TSIG) or tokens (console), or both');
  const keys = u.keys ?? [];
  const tokens = u.tokens ?? [];
  const rules: UpdateRule[] = [];
  if (u.preset === 'kea') {
    const reverse = isSubdomain(zone, 'in-addr.arpa.') || isSubdomain(zone, 'ip6.arpa.');
    const types = reverse ? KEA_REVERSE : KEA_FORWARD;
    rules.push({ keys, tokens, networks: u.networks, name: { kind: 'subtree', name: zone }, types, anyType: false, origin: 'preset' });
  } else if (u.rules.length === 0) {
    return at.error('grants nothing: set preset: kea or add rules');
  }
  let ok = true;
  for (const r of u.rules) {
    const done = configRule(r, u, zone);
    if (done) rules.push(done);
    else ok = false;
  }
  if (!ok) return undefined;
  const { preset, networks, protectStatic, scavenge } = u;
  return { preset, keys, tokens, networks, rules, protectStatic, scavenge };
}
