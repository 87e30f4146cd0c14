import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import type { Config, Prefix } from '../../src/config/types.js';
import { createLogger } from '../../src/observability/log.js';
import { Metrics } from '../../src/observability/metrics.js';
import { isSubdomain } from '../../src/wire/name.js';
import { soaTimers } from '../../src/xfr/soa.js';
import { loadZones } from '../../src/zone/catalog.js';
import { ROOT } from '../helpers/daemon.js';

/** Manifests are untyped YAML. */
type Obj = Record<string, any>;

const run = promisify(execFile);
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** Every document of every manifest, parsed with the yaml package (errors fail the test). */
const manifests: Obj[] = yamlFiles(K8S).flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Obj;
  }).filter((d) => d !== null));

function one(kind: string, name?: string): Obj {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
}

const matches = (selector: Obj, labels: Obj): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

const sts = one('StatefulSet', 'horizond');
const pod = sts.spec.template;
const podLabels: Obj = pod.metadata.labels;
const container: Obj = pod.spec.containers.find((c: Obj) => c.name === 'horizond');
const portByName = (name: string): Obj => container.ports.find((p: Obj) => p.name === name);

/** The pods of the StatefulSet, by name: horizond-0, horizond-1, ... */
const podNames: string[] = Array.from({ length: sts.spec.replicas as number }, (_, i) => `${sts.metadata.name}-${i}`);

/** The DNS name a pod has through the StatefulSet's headless Service. */
const podHost = (pod: string): string => `${pod}.${sts.spec.serviceName}.${sts.metadata.namespace}.svc.cluster.local`;

/** The container's args as the kubelet runs them in `podName`: `$(VAR)` expanded from the container's env. */
function podArgs(podName: string): string[] {
  const env = new Map<string, string>();
  for (const e of container.env as Obj[]) {
    if (e.value !== undefined) env.set(e.name, e.value);
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env.set(e.name, podName);
  }
  return (container.args as string[]).map((a) => a.replace(/\$\((\w+)\)/g, (m, name: string) => env.get(name) ?? m));
}

/**
 * Lays the ConfigMaps and Secrets out in a temp dir exactly as the pod `podName` mounts them,
 * and loads the config its container is started with through the real config loader.
 */
function loadPodConfig(t: Test, podName = podNames[0]!): { config: Config; root: string; file: string } {
  const root = mkdtempSync(join(tmpdir(), 'horizond-k8s-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const mount of container.volumeMounts as Obj[]) {
    const volume = (pod.spec.volumes as Obj[]).find((v) => v.name === mount.name);
    const source = volume?.configMap ? one('ConfigMap', volume.configMap.name).data
      : volume?.secret ? one('Secret', volume.secret.secretName).stringData : null;
    if (!source) continue;
    for (const [key, text] of Object.entries(source as Record<string, string>)) {
      const file = join(root, mount.mountPath, key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  }
  const args = podArgs(podName);
  const configPath = args[args.indexOf('--config') + 1]!;
  const file = join(root, configPath);
  return { config: parseConfig(readFileSync(file, 'utf8'), file, dirname(file)), root, file };
}

t.test('every manifest is namespaced in dns and parses', async (t) => {
  t.ok(manifests.length >= 9, `${manifests.length} documents`);
  for (const m of manifests) {
    t.ok(m.apiVersion && m.kind && m.metadata?.name, `${m.kind}/${m.metadata?.name} has apiVersion, kind, name`);
    if (m.kind !== 'Namespace') t.equal(m.metadata.namespace, 'dns', `${m.kind}/${m.metadata.name} in dns`);
  }
});

t.test('StatefulSet: 3 replicas spread over nodes, storage for update data', async (t) => {
  t.equal(sts.spec.replicas, 3);
  t.ok(matches(sts.spec.selector.matchLabels, podLabels), 'selector matches the pod labels');
  const anti = pod.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
  t.equal(anti.topologyKey, 'kubernetes.io/hostname');
  t.ok(matches(anti.labelSelector.matchLabels, podLabels), 'anti-affinity selects its own pods');
  const claim = sts.spec.volumeClaimTemplates.find((v: Obj) => v.metadata.name === 'data');
  t.ok(claim, 'a volume claim template for data');
  t.same(claim.spec.accessModes, ['ReadWriteOnce']);
  t.ok(claim.spec.resources.requests.storage);
  t.ok(container.volumeMounts.some((m: Obj) => m.name === 'data'), 'the claim is mounted');
  for (const m of container.volumeMounts as Obj[]) t.equal(m.subPath, undefined, `${m.name}: no subPath (updates must reach the pod)`);
});

t.test('StatefulSet: non-root, read-only root, port 53 only through NET_BIND_SERVICE', async (t) => {
  const psc = pod.spec.securityContext;
  const sc = container.securityContext;
  t.equal(psc.runAsNonRoot, true);
  t.ok(psc.runAsUser > 0);
  t.equal(psc.seccompProfile.type, 'RuntimeDefault');
  t.equal(sc.readOnlyRootFilesystem, true);
  t.equal(sc.allowPrivilegeEscalation, false);
  t.same(sc.capabilities.drop, ['ALL']);
  t.same(sc.capabilities.add, ['NET_BIND_SERVICE']);
  const sysctl = psc.sysctls.find((s: Obj) => s.name === 'net.ipv4.ip_unprivileged_port_start');
  t.ok(Number(sysctl.value) <= 53, 'port 53 is bindable without privilege escalation');
});

t.test('StatefulSet: probes on /healthz and /readyz, metrics port annotated', async (t) => {
  const metrics = portByName('metrics');
  t.equal(metrics.containerPort, 9153);
  t.equal(container.livenessProbe.httpGet.path, '/healthz');
  t.equal(container.startupProbe.httpGet.path, '/healthz');
  t.equal(container.readinessProbe.httpGet.path, '/readyz');
  for (const p of [container.livenessProbe, container.readinessProbe, container.startupProbe]) t.equal(p.httpGet.port, 'metrics');
  const a = pod.metadata.annotations;
  t.equal(a['prometheus.io/scrape'], 'true');
  t.equal(Number(a['prometheus.io/port']), metrics.containerPort);
  t.same(container.ports.filter((p: Obj) => p.containerPort === 53).map((p: Obj) => p.protocol).sort(), ['TCP', 'UDP']);
});

t.test('PodDisruptionBudget keeps two of three', async (t) => {
  const pdb = one('PodDisruptionBudget');
  t.equal(pdb.apiVersion, 'policy/v1');
  t.equal(pdb.spec.minAvailable, 2);
  t.ok(matches(pdb.spec.selector.matchLabels, podLabels));
});

t.test('Services: LoadBalancer with real client addresses, ClusterIP for CoreDNS, headless for pod names and metrics', async (t) => {
  const lb = one('Service', 'horizond-lb');
  t.equal(lb.spec.type, 'LoadBalancer');
  t.equal(lb.spec.externalTrafficPolicy, 'Local', 'no SNAT: views see the client');
  t.same(lb.spec.ports.map((p: Obj) => `${p.port}/${p.protocol}`).sort(), ['53/TCP', '53/UDP']);
  const cluster = one('Service', 'horizond');
  t.equal(cluster.spec.type, 'ClusterIP');
  t.match(cluster.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/, 'a fixed address CoreDNS can forward to');
  t.same(cluster.spec.ports.map((p: Obj) => `${p.port}/${p.protocol}`).sort(), ['53/TCP', '53/UDP']);
  const headless = one('Service', 'horizond-pods');
  t.equal(headless.spec.clusterIP, 'None');
  t.equal(sts.spec.serviceName, 'horizond-pods', 'the pods are named through the headless service');
  t.equal(headless.spec.publishNotReadyAddresses, true, 'names for pods that are not ready yet (a starting primary, a starting secondary)');
  for (const s of [lb, cluster, headless]) {
    t.ok(matches(s.spec.selector, podLabels), `${s.metadata.name} selects the pods`);
    for (const p of s.spec.ports) t.ok(portByName(p.targetPort), `${s.metadata.name}: target port ${p.targetPort} exists`);
  }
  const sm = one('ServiceMonitor');
  t.ok(matches(sm.spec.selector.matchLabels, headless.metadata.labels), 'the ServiceMonitor selects the headless service');
  t.ok(matches(sm.spec.selector.matchLabels, headless.metadata.labels) && !matches(sm.spec.selector.matchLabels, lb.metadata.labels), 'and only it');
  t.ok(headless.spec.ports.some((p: Obj) => p.name === sm.spec.endpoints[0].port), 'its port exists');
  t.equal(sm.spec.endpoints[0].path, '/metrics');
});

t.test('each pod reads its own file from the ConfigMap, named by POD_NAME', async (t) => {
  const env = (container.env as Obj[]).find((e) => e.name === 'POD_NAME');
  t.equal(env?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'POD_NAME is the pod\'s name');
  t.match(container.args.join(' '), /--config \S*\$\(POD_NAME\)\.yaml/, 'the config file is chosen by it');
  t.same(podNames, ['horizond-0', 'horizond-1', 'horizond-2']);
  const mount = (container.volumeMounts as Obj[]).find((m) => podArgs('horizond-0').some((a) => a.startsWith(`${m.mountPath}/`)))!;
  const volume = (pod.spec.volumes as Obj[]).find((v) => v.name === mount.name)!;
  const data = one('ConfigMap', volume.configMap.name).data as Record<string, string>;
  t.same(Object.keys(data).sort(), podNames.map((p) => `${p}.yaml`), 'one file per pod, no other');
  t.equal(data['horizond-1.yaml'], data['horizond-2.yaml'], 'the secondaries\' files are the same text');
  // Only the zones differ: views, forwarding, cache, keys... are the same in every replica.
  const common = (text: string): unknown => ({ ...(parse(text) as Obj), zones: undefined });
  for (const p of podNames.slice(1)) t.same(common(data[`${p}.yaml`]!), common(data['horizond-0.yaml']!), `${p}.yaml equals horizond-0.yaml but for zones`);
});

for (const podName of podNames) {
  t.test(`${podName}: its config loads with the real loader, TSIG files included`, async (t) => {
    const { config } = loadPodConfig(t, podName);
    const secret = one('Secret', 'horizond-tsig').stringData;
    t.same(config.keys.map((k) => k.name).sort(), ['kea-ddns.', 'xfr.']);
    for (const k of config.keys) t.equal(k.secret.base64(), secret[k.name.slice(0, -1)], `${k.name} comes from the mounted Secret`);
    t.same(config.zones.map((z) => z.name).sort(), ['1.168.192.in-addr.arpa.', 'home.lan.']);
    t.same(config.server.listen.map((l) => l.port), [53, 53]);
    t.equal(config.metrics.listen.port, portByName('metrics').containerPort, 'metrics listen on the probed port');
    t.equal(config.metrics.listen.address, '0.0.0.0', 'reachable by the kubelet and Prometheus');
    const data = container.volumeMounts.find((m: Obj) => m.name === 'data');
    t.equal(config.server.dataDir, data.mountPath, 'journals and zone copies go to the persistent volume');
    t.same(config.views.list.map((v) => v.name), ['lan', 'default']);
  });
}

/** True when prefix `outer` contains prefix `inner`. */
function covers(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.length > inner.length) return false;
  for (let bit = 0; bit < outer.length; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((outer.bytes[bit >> 3]! & mask) !== (inner.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

t.test('horizond-0 is the primary: zone files, Kea updates from Kea and from the pods, NOTIFY and signed transfers to the others', async (t) => {
  const { config } = loadPodConfig(t, 'horizond-0');
  const { zones, failures } = loadZones(config.zones, createLogger('silent'));
  t.same(failures, [], 'every zone file in the ConfigMap loads');
  t.equal(zones.length, config.zones.length);
  const secondaries = podNames.slice(1).map(podHost);
  for (const z of config.zones) {
    t.equal(z.type, 'primary', `${z.name}: primary`);
    t.ok(z.update, `${z.name}: takes updates`);
    t.same(z.update!.keys, ['kea-ddns.'], `${z.name}: signed by Kea's key only`);
    for (const [name, prefixes] of [['dhcp', config.networks.dhcp!], ['k8s-pods (forwarded by the secondaries)', config.networks['k8s-pods']!]] as const) {
      t.ok(prefixes.length > 0 && prefixes.every((p) => z.update!.networks.some((u) => covers(u, p))), `${z.name}: updates from ${name}`);
    }
    t.notOk(z.update!.networks.some((u) => config.networks.lan!.some((p) => covers(u, p))), `${z.name}: not from the whole LAN`);
    t.same(z.notify.map((n) => [n.address, n.port, n.key]), secondaries.map((h) => [h, 53, 'xfr.']), `${z.name}: NOTIFY every secondary, signed`);
    t.same(z.allowTransfer, { keys: ['xfr.'], networks: [] }, `${z.name}: transfers only with the xfr. key`);
    const { expire } = soaTimers(zones.find((x) => x.origin === z.name)!);
    t.ok(expire >= 7 * 86400, `${z.name}: SOA expire ${expire} s: the secondaries answer a week without the primary`);
  }
  const data = container.volumeMounts.find((m: Obj) => m.name === 'data');
  t.ok(sts.spec.volumeClaimTemplates.some((v: Obj) => v.metadata.name === data.name), 'the journal is on the pod\'s PersistentVolumeClaim');
});

for (const podName of podNames.slice(1)) {
  t.test(`${podName} is a secondary of horizond-0, by its headless name, forwarding updates`, async (t) => {
    const { config } = loadPodConfig(t, podName);
    const primary = loadPodConfig(t, 'horizond-0').config;
    t.same(config.zones.map((z) => z.name), primary.zones.map((z) => z.name), 'the primary\'s zones, all of them');
    for (const z of config.zones) {
      t.equal(z.type, 'secondary', `${z.name}: secondary`);
      t.same(z.primaries.map((p) => [p.address, p.port, p.key]), [[podHost('horizond-0'), 53, 'xfr.']], `${z.name}: from horizond-0, signed`);
      t.equal(z.allowUpdateForwarding, true, `${z.name}: Kea's updates are relayed to the primary`);
      t.equal(z.update, null, `${z.name}: never applied here`);
      t.equal(dirname(z.file), config.server.dataDir, `${z.name}: the copy is kept on the pod's volume`);
      t.ok(primary.zones.find((p) => p.name === z.name)!.notify.some((n) => n.address === podHost(podName)), `${z.name}: horizond-0 NOTIFYs ${podName}`);
    }
  });
}

t.test('Kea D2 points at horizond\'s LB address with the same key and zones', async (t) => {
  const text = readFileSync(join(DEPLOY, 'kea', 'kea-dhcp-ddns.conf'), 'utf8');
  const d2 = JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')).DhcpDdns;
  const { config } = loadPodConfig(t);
  const lbIp = one('Service', 'horizond-lb').metadata.annotations['metallb.io/loadBalancerIPs'];
  const updateKeys = new Set(config.zones.flatMap((z) => z.update?.keys ?? []));
  t.same(d2['tsig-keys'].map((k: Obj) => [k.name, k.algorithm.toLowerCase(), k.secret]),
    config.keys.filter((k) => updateKeys.has(k.name)).map((k) => [k.name, k.algorithm, k.secret.base64()]), 'the update keys, and not the replicas\' xfr. key');
  const domains: Obj[] = [...d2['forward-ddns']['ddns-domains'], ...d2['reverse-ddns']['ddns-domains']];
  t.same(domains.map((d) => d.name).sort(), config.zones.map((z) => z.name).sort());
  for (const d of domains) {
    t.same(d['dns-servers'], [{ 'ip-address': lbIp, port: 53 }], `${d.name} goes to the LB`);
    t.ok(config.zones.find((z) => z.name === d.name)!.update!.keys.includes(d['key-name']), `${d.name}: horizond accepts ${d['key-name']}`);
  }
  const check = await run('kea-dhcp-ddns', ['-t', join(DEPLOY, 'kea', 'kea-dhcp-ddns.conf')]).then(() => 0, (e: { code?: number | string }) => e.code);
  if (check === 'ENOENT') t.comment('kea-dhcp-ddns not installed; syntax check skipped');
  else t.equal(check, 0, 'kea-dhcp-ddns -t accepts it');
});

t.test('the CoreDNS snippet forwards every served zone to the ClusterIP', async (t) => {
  const text = readFileSync(join(DEPLOY, 'coredns', 'Corefile'), 'utf8').replace(/#.*$/gm, '');
  const head = /^([^{}\n]+)\{/m.exec(text)![1]!.trim().split(/\s+/);
  const zones = head.map((z) => z.replace(/:53$/, '').replace(/\.?$/, '.'));
  t.ok(zones.includes('lan.'), '.lan is forwarded');
  t.match(/^\s*forward\s+\.\s+(\S+)/m.exec(text)?.[1], one('Service', 'horizond').spec.clusterIP);
  const { config } = loadPodConfig(t);
  for (const z of config.zones) t.ok(zones.some((c) => isSubdomain(z.name, c)), `${z.name} reaches horizond`);
});

t.test('every replica logs queries to SQLite and to the shared PostgreSQL table, its password from a Secret', async (t) => {
  for (const podName of podNames) {
    const { config } = loadPodConfig(t, podName);
    const types = config.queryLog.sinks.map((s) => s.type);
    t.same(types, ['sqlite', 'postgres'], `${podName}: sqlite and postgres sinks`);
    const pgSink = config.queryLog.sinks.find((s) => s.type === 'postgres') as { url: string; passwordFile: string };
    t.match(pgSink.url, /^postgres:\/\/horizond@[^:/]+:5432\/dns$/, 'no password in the url');
    const mount = (container.volumeMounts as Obj[]).find((m) => pgSink.passwordFile.startsWith(`${m.mountPath}/`));
    t.ok(mount, `${podName}: the password file is in a mounted volume`);
    const volume = (pod.spec.volumes as Obj[]).find((v) => v.name === mount?.name);
    t.ok(volume?.secret, 'that volume is a Secret');
    if (mount === undefined || volume === undefined) continue;
    const secret = one('Secret', volume.secret.secretName);
    t.type(secret.stringData[pgSink.passwordFile.slice(mount.mountPath.length + 1)], 'string', 'the Secret holds the key the file is named after');
  }
});

t.test('the query-log dashboard reads the PostgreSQL table', async (t) => {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'querylog.json'), 'utf8'));
  const sql: string[] = [];
  const walk = (p: Obj): void => {
    for (const target of p.targets ?? []) sql.push(target.rawSql);
    for (const child of p.panels ?? []) walk(child);
  };
  for (const p of dash.panels) walk(p);
  t.ok(sql.length >= 6, `${sql.length} queries`);
  for (const q of sql) t.match(q, /FROM horizond_queries\b/, 'every panel reads the query-log table');
  for (const title of ['Queries by answer source', 'Top names', 'Top clients', 'Top blocked']) {
    t.ok(JSON.stringify(dash).includes(title), `a panel "${title}"`);
  }
});

t.test('the Grafana dashboard only uses metrics horizond exports', async (t) => {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'horizond.json'), 'utf8'));
  const metrics = new Metrics();
  const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
  const histograms = new Set(metrics.definitions().filter((d) => d.type === 'histogram').map((d) => d.name));
  const exprs: string[] = [];
  const walk = (p: Obj): void => {
    for (const target of p.targets ?? []) exprs.push(target.expr);
    for (const child of p.panels ?? []) walk(child);
  };
  for (const p of dash.panels) walk(p);
  t.ok(exprs.length >= 20);
  const used = new Set(exprs.flatMap((e) => e.match(/\b(?:horizond|process|nodejs)_[a-z0-9_]+/g) ?? []));
  for (const name of used) {
    const base = name.replace(/_(?:bucket|sum|count)$/, '');
    t.ok(exported.has(name) || (histograms.has(base) && base !== name), `${name} exists`);
  }
  for (const required of ['horizond_dns_responses_total', 'horizond_cache_hits_total', 'horizond_cache_stale_served_total',
    'horizond_upstream_rtt_seconds_bucket', 'horizond_upstream_failures_total', 'horizond_updates_total']) {
    t.ok(used.has(required), `the dashboard shows ${required}`);
  }
});

t.test('alert rules only use metrics horizond exports', async (t) => {
  const rule = one('PrometheusRule');
  const metrics = new Metrics();
  const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
  const rules: Obj[] = rule.spec.groups.flatMap((g: Obj) => g.rules);
  t.ok(rules.length >= 5);
  for (const r of rules) {
    for (const name of String(r.expr).match(/\bhorizond_[a-z0-9_]+/g) ?? []) t.ok(exported.has(name), `${r.alert}: ${name} exists`);
  }
  const used = new Set(rules.flatMap((r) => String(r.expr).match(/\bhorizond_[a-z0-9_]+/g) ?? []));
  for (const required of ['horizond_secondary_zone_available', 'horizond_secondary_last_contact_timestamp_seconds', 'horizond_update_forwarded_total']) {
    t.ok(used.has(required), `replication is watched: ${required}`);
  }
});

t.test('the Docker image config loads and listens on every address', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'horizond-docker-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const dest = /^COPY deploy\/docker\/horizond\.yaml (\S+)$/m.exec(dockerfile)![1]!;
  const zonesDest = /^COPY zones (\S+)$/m.exec(dockerfile)![1]!;
  cpSync(join(ROOT, 'zones'), join(root, zonesDest), { recursive: true });
  const file = join(root, dest);
  mkdirSync(dirname(file), { recursive: true });
  cpSync(join(DEPLOY, 'docker', 'horizond.yaml'), file);
  const config = parseConfig(readFileSync(file, 'utf8'), file, dirname(file));
  t.same(config.server.listen.map((l) => `${l.address}:${l.port}`), ['0.0.0.0:53', ':::53']);
  t.same(loadZones(config.zones, createLogger('silent')).failures, []);
  t.match(dockerfile, new RegExp(`EXPOSE .*\\b${config.metrics.listen.port}/tcp`), 'the metrics port is exposed');
});

t.test('systemd unit: hardened, capability for port 53, state directory, reload by SIGHUP', async (t) => {
  const file = join(DEPLOY, 'systemd', 'horizond.service');
  const text = readFileSync(file, 'utf8');
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  const get = (k: string): string | undefined => keys.get(k)?.[0];
  t.ok(get('DynamicUser') === 'yes' || get('User'), 'runs as an unprivileged user');
  t.equal(get('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
  t.equal(get('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
  t.equal(get('NoNewPrivileges'), 'yes');
  t.equal(get('ProtectSystem'), 'strict');
  t.equal(get('StateDirectory'), 'horizond');
  t.match(get('ExecReload'), /kill -HUP \$MAINPID/);
  t.match(get('ExecStart'), /main\.js --config /);
  if (existsSync('/usr/bin/node')) {
    const r = await run('systemd-analyze', ['verify', file]).then((o) => ({ code: 0, stderr: o.stderr }), (e: { code?: number | string; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }));
    if (r.code === 'ENOENT') t.comment('systemd-analyze not installed');
    else {
      t.equal(r.code, 0, r.stderr);
      t.notMatch(r.stderr, /Unknown|ignoring|Failed/, 'systemd knows every setting');
    }
  }
});
