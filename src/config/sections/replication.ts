import { join } from 'node:path';
import { At } from '../context.js';
import { DEFAULTS } from '../defaults.js';
import { keyRef } from '../names.js';
import { address, networkRefs, port } from '../net.js';
import { describe, bool, list, object, oneOf, optional, path, required, withDefault, type Validator } from '../schema.js';
import type { Prefix, RemoteServerConfig, TransferAcl, ZoneConfig, ZoneType } from '../types.js';

/**
 * The replication keys of `zones[]` (RFC 5936 AXFR, RFC 1995 IXFR, RFC 1996 NOTIFY, RFC 2136 §6
 * update forwarding): `type`, `primaries`, `notify`, `allowTransfer`, `allowUpdateForwarding`,
 * and what `file` means for each type. zones.ts merges them into the zone.
 */

const D = DEFAULTS['zones[]'];

export const ZONE_TYPES: readonly ZoneType[] = ['primary', 'secondary'];

/** A host name as a StatefulSet gives its pods (`horizond-0.horizond.dns.svc.cluster.local`). */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * An IP address (canonical text) or a host name (lower case, no trailing dot) resolved when
 * used. A name's last label must hold a letter, so `10.1.2.300` is a bad address, not a name.
 */
const remoteHost: Validator<string> = describe((at: At) => {
  const v = at.value;
  if (typeof v === 'string' && !v.includes(':') && HOST_NAME.test(v) && /[A-Za-z]/.test(v.split('.').filter(Boolean).at(-1) ?? '')) {
    return v.toLowerCase().replace(/\.$/, '');
  }
  return address(at)?.address;
}, { type: 'string', minLength: 1, description: 'an IP address or a host name' });

function remote(defaultPort: number): Validator<RemoteServerConfig> {
  return object(
    {
      address: required(remoteHost),
      port: withDefault(port(), defaultPort),
      key: optional(keyRef),
    },
    (v): RemoteServerConfig => ({ address: v.address, port: v.port, key: v.key ?? null }),
  );
}

const endpoint = (r: RemoteServerConfig): string => (r.address.includes(':') ? `[${r.address}]:${r.port}` : `${r.address}:${r.port}`);

const primaries = list(remote(D['primaries[]'].port), { unique: { key: endpoint, what: 'primary' } });
const notifyList = list(remote(D['notify[]'].port), { unique: { key: endpoint, what: 'notify target' } });

/** `allowTransfer`: TSIG keys and/or networks; when both are given a request must match both. */
const transferAcl = object(
  { keys: optional(list(keyRef, { unique: { key: (k) => k, what: 'key' } })), networks: optional(networkRefs()) },
  (v, at): TransferAcl | undefined => {
    const keys = v.keys ?? [];
    const networks: readonly Prefix[] = v.networks ?? [];
    if (keys.length === 0 && networks.length === 0) {
      if (at.child('keys').items().length + at.child('networks').items().length > 0) return undefined; // its items were reported
      return at.error('grants nothing: list keys, networks or both (leave allowTransfer out to refuse every transfer)');
    }
    return { keys, networks };
  },
);

/** The shape fields zones.ts adds to its zone object. */
export const replicationFields = {
  type: withDefault(oneOf(ZONE_TYPES), D.type),
  primaries: optional(primaries),
  notify: withDefault(notifyList, D.notify),
  allowTransfer: optional(transferAcl),
  allowUpdateForwarding: optional(bool),
};

type ReplicationFields = Pick<ZoneConfig, 'type' | 'file' | 'primaries' | 'notify' | 'allowTransfer' | 'allowUpdateForwarding'>;

interface RawReplication {
  name: string;
  type: ZoneType;
  file?: string | undefined;
  primaries?: RemoteServerConfig[] | undefined;
  notify: RemoteServerConfig[];
  allowTransfer?: TransferAcl | undefined;
  allowUpdateForwarding?: boolean | undefined;
  update?: unknown;
}

/**
 * Checks the keys against the zone's type and fills in `file`: a secondary keeps its transferred
 * copy at `file`, by default `<dataDir>/<zone>.zone` (a primary's file was checked by zones.ts).
 */
export function finishReplication(v: RawReplication, at: At): ReplicationFields | undefined {
  let ok = true;
  const bad = (key: string, message: string): void => {
    at.child(key).error(message);
    ok = false;
  };
  let file = v.file;
  if (v.type === 'primary') {
    if (v.primaries !== undefined) bad('primaries', 'only a secondary zone has primaries (add type: secondary)');
    if (v.allowUpdateForwarding !== undefined) bad('allowUpdateForwarding', 'only for secondary zones (a primary applies updates itself)');
  } else {
    if (v.primaries === undefined || v.primaries.length === 0) bad('primaries', 'a secondary zone needs at least one primary');
    if (v.update !== undefined) bad('update', 'a secondary zone takes no updates itself (set allowUpdateForwarding to relay them to its primary)');
    file ??= join(dataDir(at), `${fileBase(v.name)}.zone`);
  }
  if (!ok) return undefined;
  return {
    type: v.type,
    file: file!,
    primaries: v.primaries ?? [],
    notify: v.notify,
    allowTransfer: v.allowTransfer ?? null,
    allowUpdateForwarding: v.allowUpdateForwarding ?? false,
  };
}

/** `server.dataDir` as the server section resolves it (its errors are reported there). */
function dataDir(at: At): string {
  const d = At.root(at.ctx, at.ctx.doc.contents as never).child('server').child('dataDir');
  return (d.present ? path(d) : undefined) ?? path(d.withDefault(DEFAULTS.server.dataDir))!;
}

/** A zone name as a file name: `home.lan`, `root` for the root, unusual characters %-escaped. */
export function fileBase(name: string): string {
  if (name === '.') return 'root';
  return name.slice(0, -1).replace(/[^a-z0-9._-]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}
