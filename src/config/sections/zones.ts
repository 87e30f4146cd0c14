import { DEFAULTS } from '../defaults.js';
import { readableFile } from '../files.js';
import { domainName } from '../names.js';
import { bool, list, object, oneOf, optional, path, required, withDefault, type Validator } from '../schema.js';
import { JOURNAL_ON_CORRUPT } from './server.js';
import type { ZoneConfig } from '../types.js';
import { finishReplication, replicationFields } from './replication.js';
import { finishUpdate, rawUpdate } from './update.js';

/**
 * `zones` (and `views.list[].zones`): authoritative zones. A primary's master file must be
 * readable at load time; `$INCLUDE` is refused unless `allowInclude`. Without `update` the zone
 * refuses RFC 2136 updates. A secondary's `file` is where its transferred copy is kept (it need
 * not exist yet). The replication keys are checked in replication.ts.
 */

const D = DEFAULTS['zones[]'];

function zone(secondary: boolean): Validator<ZoneConfig> {
  return object(
    {
      name: required(domainName(true)),
      file: secondary ? optional(path) : required(readableFile()),
      allowInclude: withDefault(bool, D.allowInclude),
      fallthrough: withDefault(bool, D.fallthrough),
      update: optional(rawUpdate),
      journal: optional(object({ onCorrupt: optional(oneOf(JOURNAL_ON_CORRUPT)) })),
      ...replicationFields,
    },
    (v, at): ZoneConfig | undefined => {
      const replication = finishReplication(v, at);
      const update = v.update === undefined ? null : finishUpdate(v.update, v.name, at.child('update'));
      if (update === undefined || replication === undefined) return undefined;
      const { name, allowInclude, fallthrough } = v;
      const { type, file, primaries, notify, allowTransfer, allowUpdateForwarding } = replication;
      const journal = { onCorrupt: v.journal?.onCorrupt ?? null };
      return { name, file, allowInclude, fallthrough, update, type, primaries, notify, allowTransfer, allowUpdateForwarding, journal };
    },
  );
}

const primaryZone = zone(false);
const secondaryZone = zone(true);

/** A zone mapping, validated by its `type` (a bad type is reported by the primary shape). */
const anyZone: Validator<ZoneConfig> = (at) => (at.child('type').value === 'secondary' ? secondaryZone(at) : primaryZone(at));

/** Parses a list of zones; names are unique within it. */
export const parseZones = list(anyZone, { unique: { key: (z) => z.name, what: 'zone', at: 'name' } });
