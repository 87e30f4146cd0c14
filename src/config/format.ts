import { stringify } from 'yaml';
import { prefixText } from './net.js';
import type { Config, Prefix, RemoteServerConfig, SocketAddress, UpdatePolicy, UpstreamConfig, ZoneConfig } from './types.js';
import { formatDuration, formatSize } from './units.js';
import { typeToString } from '../wire/constants.js';

/**
 * The effective configuration as YAML: every default written out, names and prefixes
 * normalised, paths absolute (for `horizond check` and for tests: loading the output gives an
 * equal Config). Inline secrets are printed as `[redacted]` unless `revealSecrets`; keys read
 * from a `secretFile` keep pointing at the file.
 */

const prefixes = (list: readonly Prefix[]): string[] => list.map(prefixText);
const hostPort = (a: SocketAddress): string => (a.family === 6 ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);

function update(u: UpdatePolicy): object {
  return {
    preset: u.preset,
    ...(u.keys.length > 0 ? { keys: u.keys } : {}),
    ...(u.tokens.length > 0 ? { tokens: u.tokens } : {}),
    networks: prefixes(u.networks),
    rules: u.rules.filter((r) => r.origin === 'config').map((r) => ({
      // a rule that names no keys takes the zone's keys and tokens; one that names keys, no tokens
      ...(r.tokens.length > 0 || r.keys.length === 0 ? {} : { keys: r.keys }),
      networks: prefixes(r.networks),
      name: { [r.name.kind]: r.name.name },
      types: r.anyType ? ['*'] : r.types.map(typeToString),
    })),
    protectStatic: u.protectStatic,
    scavenge: { enabled: u.scavenge.enabled, grace: formatDuration(u.scavenge.grace) },
  };
}

function remote(r: RemoteServerConfig): object {
  return r.key === null ? { address: r.address, port: r.port } : { address: r.address, port: r.port, key: r.key };
}

function zone(z: ZoneConfig): object {
  const { name, file, allowInclude, fallthrough, type } = z;
  const out: Record<string, unknown> = { name, type, file, allowInclude, fallthrough };
  if (z.update) out['update'] = update(z.update);
  if (type === 'secondary') out['primaries'] = z.primaries.map(remote);
  out['notify'] = z.notify.map(remote);
  if (z.allowTransfer) out['allowTransfer'] = { keys: z.allowTransfer.keys, networks: prefixes(z.allowTransfer.networks) };
  if (type === 'secondary') out['allowUpdateForwarding'] = z.allowUpdateForwarding;
  if (z.journal.onCorrupt !== null) out['journal'] = { onCorrupt: z.journal.onCorrupt };
  return out;
}

function upstream(u: UpstreamConfig): object {
  const out: Record<string, unknown> = { protocol: u.protocol };
  if (u.address) out['address'] = u.address.address;
  if (u.url) out['url'] = u.url;
  else out['port'] = u.port;
  if (u.serverName) out['serverName'] = u.serverName;
  if (u.caFile) out['caFile'] = u.caFile;
  return out;
}

/** The configuration as plain data in the YAML vocabulary. */
export function configToData(c: Config, opts: { revealSecrets?: boolean } = {}): Record<string, unknown> {
  const { server, cache, forward } = c;
  return {
    server: {
      listen: server.listen.map((l) => ({ address: l.address, port: l.port, protocols: l.protocols })),
      udpPayloadSize: server.udpPayloadSize,
      tcp: { ...server.tcp, idleTimeout: formatDuration(server.tcp.idleTimeout), minIdleTimeout: formatDuration(server.tcp.minIdleTimeout), messageTimeout: formatDuration(server.tcp.messageTimeout) },
      workers: server.workers,
      dataDir: server.dataDir,
      journal: { onCorrupt: server.journal.onCorrupt },
    },
    log: c.log,
    networks: Object.fromEntries(Object.entries(c.networks).map(([name, list]) => [name, prefixes(list)])),
    keys: c.keys.map((k) => {
      if (k.secret.file !== null) return { name: k.name, algorithm: k.algorithm, secretFile: k.secret.file };
      return { name: k.name, algorithm: k.algorithm, secret: opts.revealSecrets ? k.secret.base64() : '[redacted]' };
    }),
    zones: c.zones.map(zone),
    recursion: { allow: prefixes(c.recursion.allow) },
    forward: {
      ...(forward.system === null
        ? { upstreams: forward.upstreams.map(upstream) }
        : { upstreams: 'system', resolvConf: forward.system.resolvConf }),
      timeout: formatDuration(forward.timeout),
      attempts: forward.attempts,
      domains: forward.domains.map((d) => ({ name: d.name, upstreams: d.upstreams.map(upstream) })),
      nxdomain: forward.nxdomain,
    },
    cache: {
      maxEntries: cache.maxEntries,
      maxBytes: formatSize(cache.maxBytes),
      minTtl: formatDuration(cache.minTtl),
      maxTtl: formatDuration(cache.maxTtl),
      negativeMaxTtl: formatDuration(cache.negativeMaxTtl),
      servfailTtl: formatDuration(cache.servfailTtl),
      prefetch: cache.prefetch,
      serveStale: {
        enabled: cache.serveStale.enabled,
        maxStale: formatDuration(cache.serveStale.maxStale),
        answerTtl: formatDuration(cache.serveStale.answerTtl),
        clientTimeout: formatDuration(cache.serveStale.clientTimeout),
        failureRecheck: formatDuration(cache.serveStale.failureRecheck),
      },
    },
    views: {
      trustedForwarders: prefixes(c.views.trustedForwarders),
      list: c.views.list.map((v) => ({
        name: v.name,
        match: prefixes(v.match),
        recursion: v.recursion,
        translate: v.translate.map((t) => ({ external: prefixText(t.external), internal: prefixText(t.internal) })),
        translateReverse: v.translateReverse,
        // global zones are shared objects; only the view's own zones are written
        zones: v.zones.filter((z) => !c.zones.includes(z)).map(zone),
      })),
    },
    rebinding: { ...c.rebinding, privateNetworks: prefixes(c.rebinding.privateNetworks) },
    metrics: { enabled: c.metrics.enabled, listen: hostPort(c.metrics.listen) },
    console: {
      enabled: c.console.enabled,
      listen: hostPort(c.console.listen),
      tokens: c.console.tokens.map((t) => ({ name: t.name, secretFile: t.secret.file, scope: t.scope, ...(t.zones ? { zones: t.zones } : {}) })),
      ...(c.console.tls ? { tls: c.console.tls } : {}),
    },
    queryLog: c.queryLog.file === null ? { ...c.queryLog, file: undefined } : c.queryLog,
  };
}

/** `configToData` as YAML text. */
export function formatConfig(c: Config, opts: { revealSecrets?: boolean } = {}): string {
  return stringify(configToData(c, opts));
}
