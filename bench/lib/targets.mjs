// The servers the benchmark compares. Each target writes its configuration into its own temp
// directory and returns the command line; all listen on 127.0.0.1 at a port chosen per run.
// Forwarders send everything to the local NSD (the upstream), with caches big enough for the
// 100,000-answer fill. Where a server can also serve a zone file authoritatively (BIND, Unbound
// auth-zone, PowerDNS Recursor auth-zones, horizond), the same process serves auth.bench. for
// scenario 3, so every cache hit there also passes the server's authoritative check.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_ZONE, EXTERNAL_PREFIX, FWD_ZONE, INTERNAL_PREFIX } from './data.mjs';

const bare = (zone) => zone.replace(/\.$/, '');

/** The address the translating view matches (scenario 4 sends from it with dnsperf -a). */
export const VIEW_CLIENT = '127.0.0.2';

/**
 * Each target: `name`, `label`, `binary` (checked before use; missing ones are skipped), `version`
 * (argv printing it), `serves` (the scenarios it takes part in: hits, nx, auth, view, cold, tcp) and
 * `setup(ctx)` → argv, where ctx = { dir, port, upstream, zones: { fwd, auth }, root, metricsPort }.
 */
export const TARGETS = [
  {
    name: 'ceiling',
    label: 'node:dgram ceiling',
    binary: process.execPath,
    version: null, // Node's version is reported on its own
    serves: ['hits', 'tcp'],
    setup: (ctx) => [process.execPath, join(ctx.root, 'bench/ceiling.mjs'), '--port', String(ctx.port)],
  },
  horizond(1, { label: 'horizond (native)', backend: 'native' }),
  horizond(1, { name: 'horizond-dgram', label: 'horizond (dgram)', backend: 'dgram', serves: ['hits', 'auth', 'view'] }),
  {
    name: 'unbound',
    label: 'Unbound',
    binary: '/usr/sbin/unbound',
    version: ['/usr/sbin/unbound', '-V'],
    serves: ['hits', 'nx', 'auth', 'tcp', 'cold'],
    setup(ctx) {
      const file = join(ctx.dir, 'unbound.conf');
      writeFileSync(file, `server:
  interface: 127.0.0.1
  port: ${ctx.port}
  do-ip6: no
  num-threads: 1
  so-reuseport: no
  username: ""
  chroot: ""
  directory: "${ctx.dir}"
  pidfile: "${ctx.dir}/unbound.pid"
  use-syslog: no
  verbosity: 0
  module-config: "iterator"
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 128m
  rrset-cache-size: 256m
  incoming-num-tcp: 100
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${ctx.upstream}
auth-zone:
  name: "${AUTH_ZONE}"
  zonefile: "${ctx.zones.auth}"
  for-downstream: yes
  for-upstream: no
`);
      return ['/usr/sbin/unbound', '-d', '-c', file];
    },
  },
  {
    name: 'dnsdist',
    label: 'dnsdist (packet cache)',
    binary: '/usr/bin/dnsdist',
    version: ['/usr/bin/dnsdist', '--version'],
    serves: ['hits', 'nx', 'tcp', 'cold'],
    setup(ctx) {
      const file = join(ctx.dir, 'dnsdist.conf');
      writeFileSync(file, `setSecurityPollSuffix('')
setLocal('127.0.0.1:${ctx.port}')
newServer({ address = '127.0.0.1:${ctx.upstream}', checkName = 'n00000.${FWD_ZONE}' })
getPool(''):setCache(newPacketCache(200000, { maxTTL = 86400 }))
`);
      return ['/usr/bin/dnsdist', '--supervised', '--disable-syslog', '-C', file];
    },
  },
  {
    name: 'pdns-recursor',
    label: 'PowerDNS Recursor',
    binary: '/usr/sbin/pdns_recursor',
    version: ['/usr/sbin/pdns_recursor', '--version'],
    serves: ['hits', 'nx', 'auth', 'tcp', 'cold'],
    setup(ctx) {
      writeFileSync(join(ctx.dir, 'recursor.conf'), '');
      return ['/usr/sbin/pdns_recursor', '--daemon=no', `--config-dir=${ctx.dir}`, `--socket-dir=${ctx.dir}`,
        '--local-address=127.0.0.1', `--local-port=${ctx.port}`, `--forward-zones=${bare(FWD_ZONE)}=127.0.0.1:${ctx.upstream}`,
        `--auth-zones=${bare(AUTH_ZONE)}=${ctx.zones.auth}`, '--threads=1', '--pdns-distributes-queries=no',
        '--reuseport=no', '--dnssec=off', '--max-cache-entries=1000000', '--allow-from=127.0.0.0/8',
        '--dont-query=', '--security-poll-suffix=', '--disable-syslog', '--quiet=yes', '--loglevel=3'];
    },
  },
  {
    name: 'dnsmasq',
    label: 'dnsmasq',
    binary: '/usr/sbin/dnsmasq',
    version: ['/usr/sbin/dnsmasq', '--version'],
    serves: ['hits', 'nx', 'tcp', 'cold'],
    setup: (ctx) => ['/usr/sbin/dnsmasq', '-k', '--conf-file=/dev/null', `--port=${ctx.port}`,
      '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts',
      `--server=127.0.0.1#${ctx.upstream}`, '--cache-size=150000', `--pid-file=${ctx.dir}/dnsmasq.pid`,
      '--user=root', '--group=root'],
  },
  {
    name: 'knot-resolver',
    label: 'Knot Resolver',
    binary: '/usr/sbin/kresd',
    version: ['/usr/sbin/kresd', '--version'],
    serves: ['hits', 'nx', 'tcp', 'cold'],
    setup(ctx) {
      const file = join(ctx.dir, 'kresd.conf');
      writeFileSync(file, `net.ipv6 = false
net.listen('127.0.0.1', ${ctx.port}, { kind = 'dns' })
cache.open(256 * MB, 'lmdb://${ctx.dir}/cache')
trust_anchors.remove('.')
policy.add(policy.all(policy.STUB('127.0.0.1@${ctx.upstream}')))
`);
      return ['/usr/sbin/kresd', '-n', '-c', file, ctx.dir];
    },
  },
  {
    name: 'bind',
    label: 'BIND',
    binary: '/usr/sbin/named',
    version: ['/usr/sbin/named', '-v'],
    serves: ['hits', 'nx', 'auth', 'tcp', 'cold'],
    setup(ctx) {
      const file = join(ctx.dir, 'named.conf');
      writeFileSync(file, `options {
  directory "${ctx.dir}";
  pid-file "${ctx.dir}/named.pid";
  listen-on port ${ctx.port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-recursion { 127.0.0.0/8; };
  forwarders { 127.0.0.1 port ${ctx.upstream}; };
  forward only;
  dnssec-validation no;
  max-cache-size 512m;
};
controls { };
zone "${bare(AUTH_ZONE)}" { type primary; file "${ctx.zones.auth}"; };
`);
      return ['/usr/sbin/named', '-f', '-n', '1', '-c', file];
    },
  },
  {
    name: 'nsd',
    label: 'NSD (authoritative only)',
    binary: '/usr/sbin/nsd',
    version: ['/usr/sbin/nsd', '-v'],
    serves: ['auth'],
    setup: (ctx) => ['/usr/sbin/nsd', '-d', '-c', nsdConfig(ctx.dir, ctx.port, AUTH_ZONE, ctx.zones.auth)],
  },
];

/**
 * The node flags every launcher of ours uses (npm start, the bin script, the Dockerfile, the
 * systemd unit; test/deploy/launchers.test.ts keeps them equal): heap kept close to what is live,
 * and no memory-reducer GCs (two full mark-compacts about 8 s after each major GC: the p99.9).
 */
export const NODE_FLAGS = ['--optimize-for-size', '--no-memory-reducer'];

/**
 * Not run unless named with --only: horizond with the flags of the previous launchers (memory
 * reducer on), for an A/B of the flags in one interleaved run.
 */
export const EXTRA_TARGETS = [
  horizond(1, { name: 'horizond-reducer', label: 'horizond, memory reducer on', nodeFlags: ['--optimize-for-size'] }),
  horizond(1, { name: 'horizond-dgram-reducer', label: 'horizond (dgram), memory reducer on', backend: 'dgram', nodeFlags: ['--optimize-for-size'], serves: ['hits', 'auth', 'view'] }),
];

/**
 * horizond as a caching forwarder to the upstream, serving auth.bench. and a translating view for
 * VIEW_CLIENT. With more than one worker it gets both cores (it then shares one with dnsperf).
 */
export function horizond(workers, opts = {}) {
  return {
    name: opts.name ?? (workers === 1 ? 'horizond' : `horizond-${workers}w`),
    label: opts.label ?? (workers === 1 ? 'horizond' : `horizond, ${workers} workers`),
    binary: process.execPath,
    version: null, // package version and git revision, see e2e.mjs
    serves: opts.serves ?? (workers === 1 ? ['hits', 'nx', 'auth', 'view', 'tcp', 'cold'] : ['hits', 'auth']),
    cores: workers === 1 ? undefined : '0,1',
    warmRuns: workers === 1 ? 1 : 8,
    setup(ctx) {
      const file = join(ctx.dir, 'horizond.yaml');
      writeFileSync(file, [
        'server:',
        `  listen: [{ address: 127.0.0.1, port: ${ctx.port}, protocols: [udp, tcp] }]`,
        `  workers: ${workers}`,
        `  udp: { backend: ${opts.backend ?? 'auto'} }`,
        `  dataDir: ${join(ctx.dir, 'data')}`,
        '  tcp: { idleTimeout: 10s, maxConnections: 1000, maxPipelined: 100 }',
        'log: { level: warn }',
        `zones: [{ name: ${AUTH_ZONE}, file: ${ctx.zones.auth} }]`,
        'recursion: { allow: [loopback] }',
        `forward: { upstreams: [{ address: 127.0.0.1, port: ${ctx.upstream}, protocol: udp }] }`,
        'cache: { maxEntries: 100000 }',
        'views:',
        '  list:',
        `    - { name: nat, match: [${VIEW_CLIENT}/32], translate: [{ external: ${EXTERNAL_PREFIX}, internal: ${INTERNAL_PREFIX} }] }`,
        '    - { name: default }',
        `metrics: { enabled: true, listen: "127.0.0.1:${ctx.metricsPort}" }`,
        // the peers log nothing either; what the query log costs is bench/querylog.mjs's figure
        'queryLog: { enabled: false }',
        '',
      ].join('\n'));
      mkdirSync(join(ctx.dir, 'data'), { recursive: true });
      return [process.execPath, ...(opts.nodeFlags ?? NODE_FLAGS), join(ctx.root, 'dist/main.js'), '--config', file];
    },
  };
}

/**
 * NSD config serving `zone` from `zonefile` on 127.0.0.1:port with one server process. Response
 * rate limiting is off: it would cap the wildcard answers of the cold scenario at 200 per second.
 */
export function nsdConfig(dir, port, zone, zonefile) {
  const file = join(dir, 'nsd.conf');
  writeFileSync(file, `server:
  ip-address: 127.0.0.1
  port: ${port}
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  logfile: "${dir}/nsd.log"
  verbosity: 0
  tcp-count: 200
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "${zone}"
  zonefile: "${zonefile}"
`);
  return file;
}
