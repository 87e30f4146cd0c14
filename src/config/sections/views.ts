import { DEFAULTS } from '../defaults.js';
import { BUILTIN_NETWORKS, NETWORK_NAME, networkRefs, parsePrefix } from '../net.js';
import { blockingGroupRef } from '../names.js';
import { bool, list, object, optional, required, str, withDefault } from '../schema.js';
import type { Prefix, ViewConfig, ViewsConfig } from '../types.js';
import { checkTranslations, translation } from './translate.js';
import { parseZones } from './zones.js';

/**
 * `views`: split horizon. A client gets the view whose `match` holds the longest prefix covering
 * its address (ties: config order); a trusted forwarder's EDNS Client Subnet stands in for the
 * client address. Only the view named `default` may leave out `match` (it then matches every
 * client). Without a `views` section there is exactly one such `default` view. Here each view's
 * `zones` are its own; load.ts merges in the global zones.
 */

const D = DEFAULTS.views;

const ANY: readonly Prefix[] = BUILTIN_NETWORKS.any!.map((t) => parsePrefix(t) as Prefix);

const view = object(
  {
    name: required(str({ pattern: NETWORK_NAME, what: 'a view name (a letter, then letters, digits, "-" or "_")' })),
    match: optional(networkRefs(1)),
    recursion: withDefault(bool, D['list[]'].recursion),
    translate: withDefault(list(translation), D['list[]'].translate),
    translateReverse: withDefault(bool, D['list[]'].translateReverse),
    zones: withDefault(parseZones, D['list[]'].zones),
    /** Blocking groups for this view's clients; absent: every group, `[]`: none. */
    blocking: optional(list(blockingGroupRef, { unique: { key: (n) => n, what: 'blocking group' } })),
  },
  (v, at): ViewConfig | undefined => {
    const translate = checkTranslations(v.translate, v.translateReverse);
    let match = v.match;
    if (match === undefined) {
      if (v.name === 'default') match = [...ANY];
      else return at.child('match').error('is required (only the view named "default" may leave it out)');
    }
    if (translate === undefined) return undefined;
    return { name: v.name, match, recursion: v.recursion, translate, translateReverse: v.translateReverse, zones: v.zones, blocking: v.blocking ?? null };
  },
);

/** The view used when the config has no views. */
function implicitDefaultView(): ViewConfig {
  const { recursion, translateReverse } = D['list[]'];
  return { name: 'default', match: [...ANY], recursion, translate: [], translateReverse, zones: [], blocking: null };
}

/** Parses `views` (view-specific zones only). */
export const parseViews = object(
  {
    trustedForwarders: withDefault(networkRefs(), D.trustedForwarders),
    list: withDefault(list(view, { unique: { key: (v) => v.name, what: 'view', at: 'name' } }), D.list),
  },
  (v): ViewsConfig => ({
    trustedForwarders: v.trustedForwarders,
    list: v.list.length > 0 ? v.list : [implicitDefaultView()],
  }),
);
