import { DEFAULTS } from '../defaults.js';
import { readableFile } from '../files.js';
import { domainName } from '../names.js';
import { bool, list, object, optional, required, withDefault } from '../schema.js';
import type { ZoneConfig } from '../types.js';
import { finishUpdate, rawUpdate } from './update.js';

/**
 * `zones` (and `views.list[].zones`): authoritative zones. The master file must be readable at
 * load time; `$INCLUDE` is refused unless `allowInclude`. Without `update` the zone refuses
 * RFC 2136 updates.
 */

const D = DEFAULTS['zones[]'];

const zone = object(
  {
    name: required(domainName(true)),
    file: required(readableFile()),
    allowInclude: withDefault(bool, D.allowInclude),
    fallthrough: withDefault(bool, D.fallthrough),
    update: optional(rawUpdate),
  },
  (v, at): ZoneConfig | undefined => {
    const update = v.update === undefined ? null : finishUpdate(v.update, v.name, at.child('update'));
    if (update === undefined) return undefined;
    return { name: v.name, file: v.file, allowInclude: v.allowInclude, fallthrough: v.fallthrough, update };
  },
);

/** Parses a list of zones; names are unique within it. */
export const parseZones = list(zone, { unique: { key: (z) => z.name, what: 'zone', at: 'name' } });
