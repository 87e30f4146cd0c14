import { DEFAULTS } from '../defaults.js';
import { readableFile } from '../files.js';
import { normalizeName } from '../names.js';
import { address, port } from '../net.js';
import { object, oneOf, optional, withDefault, type Validator } from '../schema.js';
import type { HostAddress, UpstreamConfig, UpstreamProtocol } from '../types.js';

/**
 * One upstream resolver (`forward.upstreams[]`, `forward.domains[].upstreams[]`).
 * udp/tcp/tls need `address`; https needs `url` (its port comes from the url) and may pin the
 * `address` to connect to, which avoids resolving the DoH host through ourselves. The TLS name
 * (`serverName`) defaults to the url host for https; for tls without it the certificate is
 * checked against the address.
 */

const D = DEFAULTS.forward['upstreams[]'];

export const UPSTREAM_PROTOCOLS: readonly UpstreamProtocol[] = ['udp', 'tcp', 'tls', 'https'];

const tlsName: Validator<string> = (at) => {
  const v = at.value;
  if (typeof v !== 'string') return at.expected('a host name');
  const name = normalizeName(v);
  return name === undefined || name === '.' ? at.error('expected a host name such as dns.example') : name.slice(0, -1);
};

const httpsUrl: Validator<URL> = (at) => {
  const v = at.value;
  const what = 'an https:// URL such as https://dns.example/dns-query';
  if (typeof v !== 'string') return at.expected(what);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return at.error(`expected ${what}`);
  }
  if (url.protocol !== 'https:' || url.hostname === '') return at.error(`expected ${what}`);
  if (url.username !== '' || url.password !== '') return at.error('must not contain credentials');
  return url;
};

function hostText(host: string, family: 4 | 6): string {
  return family === 6 ? `[${host}]` : host;
}

/** A plain DNS server (UDP, TCP on truncation) at address:port, as `forward.upstreams: system` lists them. */
export function udpUpstream(address: HostAddress, port: number): UpstreamConfig {
  const id = `udp://${hostText(address.address, address.family)}:${port}`;
  return { protocol: 'udp', address, port, serverName: null, url: null, caFile: null, id };
}

/** Validates one upstream and fills in its port, TLS name and id. */
export const upstream = object(
  {
    protocol: withDefault(oneOf(UPSTREAM_PROTOCOLS), D.protocol),
    address: optional(address),
    port: optional(port()),
    url: optional(httpsUrl),
    serverName: optional(tlsName),
    caFile: optional(readableFile({ pem: true })),
  },
  (v, at): UpstreamConfig | undefined => {
    const https = v.protocol === 'https';
    const tls = https || v.protocol === 'tls';
    let ok = true;
    const fail = (key: string, message: string): void => {
      at.child(key).error(message);
      ok = false;
    };
    if (https && v.url === undefined) fail('url', 'is required for protocol https');
    if (!https && v.url !== undefined) fail('url', 'is only used with protocol https');
    if (https && v.port !== undefined) fail('port', 'is not used with https: put the port in the url');
    if (!https && v.address === undefined) fail('address', 'is required');
    if (!tls && v.serverName !== undefined) fail('serverName', 'is only used with protocol tls or https');
    if (!tls && v.caFile !== undefined) fail('caFile', 'is only used with protocol tls or https');
    if (!ok) return undefined;
    const url = v.url ?? null;
    const urlHost = url && !/^\[|^[\d.]+$/.test(url.hostname) ? url.hostname : null;
    const portNumber = url ? Number(url.port || D.port.https) : (v.port ?? D.port[v.protocol]);
    const addr = v.address ?? null;
    const id = url ? url.href : `${v.protocol}://${hostText(addr!.address, addr!.family)}:${portNumber}`;
    return {
      protocol: v.protocol,
      address: addr,
      port: portNumber,
      serverName: v.serverName ?? (https ? urlHost : null),
      url: url ? url.href : null,
      caFile: v.caFile ?? null,
      id,
    };
  },
);
