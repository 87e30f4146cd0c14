import { deepFreeze } from './freeze.js';

/**
 * Every default, in one table, written the way the YAML would say it. A key left out of the
 * config file (or left empty) takes its value from here and goes through the same validation
 * as a written one. `name[]` entries hold the defaults for each item of the list `name`.
 * README.md documents the same values; a test keeps the two in step.
 */
export const DEFAULTS = deepFreeze({
  server: {
    listen: [
      { address: '127.0.0.1', port: 5353, protocols: ['udp', 'tcp'] },
      { address: '::1', port: 5353, protocols: ['udp', 'tcp'] },
    ],
    'listen[]': { port: 53, protocols: ['udp', 'tcp'], path: '/dns-query' },
    udpPayloadSize: 1232,
    tcp: { idleTimeout: '10s', minIdleTimeout: '200ms', messageTimeout: '1s', maxConnections: 1000, maxConnectionsPerClient: 100, maxPipelined: 100, messagesPerTurn: 16 },
    workers: 1,
    udp: { backend: 'dgram' },
    dataDir: './data',
    tls: { handshakeTimeout: '5s', idleTimeout: '30s', maxConnections: 1000, maxHandshakes: 100, sessionTickets: true },
    trustedProxies: [],
    journal: { onCorrupt: 'refuse' },
  },
  log: { level: 'info' },
  networks: {},
  keys: [],
  'keys[]': { algorithm: 'hmac-sha256' },
  zones: [],
  'zones[]': {
    allowInclude: false,
    fallthrough: false,
    type: 'primary',
    'primaries[]': { port: 53 },
    notify: [],
    'notify[]': { port: 53 },
    update: {
      preset: 'none',
      rules: [],
      protectStatic: true,
      scavenge: { enabled: false, grace: '1d' },
    },
  },
  recursion: { allow: ['loopback', 'rfc1918', 'rfc6598', 'link-local', 'ula'] },
  forward: {
    upstreams: [],
    /** Where `upstreams: system` reads its nameservers. */
    resolvConf: '/etc/resolv.conf',
    /** The port follows the protocol. */
    'upstreams[]': { protocol: 'udp', port: { udp: 53, tcp: 53, tls: 853, https: 443 } },
    timeout: '1s',
    attempts: 3,
    domains: [],
    nxdomain: [],
  },
  cache: {
    maxEntries: 100_000,
    maxBytes: '64MiB',
    minTtl: '60s',
    maxTtl: '7d',
    negativeMaxTtl: '3h',
    servfailTtl: '5s',
    prefetch: true,
    serveStale: { enabled: true, maxStale: '3d', answerTtl: '30s', clientTimeout: '1.8s', failureRecheck: '30s' },
  },
  views: {
    trustedForwarders: [],
    list: [],
    /** A view named `default` may leave out `match`; it then matches every client. */
    'list[]': { recursion: true, translate: [], translateReverse: true, zones: [] },
  },
  rebinding: {
    enabled: true,
    privateDomains: ['lan.', 'home.arpa.', 'in-addr.arpa.', 'ip6.arpa.'],
    privateNetworks: ['loopback', 'rfc1918', 'rfc6598', 'link-local', 'ula', '0.0.0.0/8', '::ffff:0:0/96'],
  },
  cookies: { enabled: true, requireServerCookie: false },
  rateLimit: {
    enabled: true,
    queriesPerSecond: 50,
    burst: 200,
    ipv4Prefix: 24,
    ipv6Prefix: 56,
    action: 'truncate',
    exempt: ['loopback', 'rfc1918', 'rfc6598', 'link-local', 'ula'],
  },
  metrics: { enabled: true, listen: '127.0.0.1:9153' },
  queryLog: {
    enabled: true,
    sampleRate: 1,
    views: [],
    retention: '7d',
    queueSize: 100_000,
    sinks: [{ type: 'sqlite' }],
    liveStats: true,
    'sinks[]': { maxSize: '1GiB', table: 'horizond_queries', batchRows: 5000, flushInterval: '1s' },
  },
  console: { enabled: false, listen: '127.0.0.1:5380', tokens: [], 'tokens[]': { scope: 'read' } },
  /** `blocking.lists` has no default: without a `blocking` section nothing is blocked. */
  blocking: { allow: [], answer: 'zero', ttl: '5m', refresh: '24h', maxSize: '64MiB', timeout: '60s', maxRedirects: 5 },
});
