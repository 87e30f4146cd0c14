import t from 'tap';
import { LookupResult } from '../../src/zone/lookup.js';
import { loadZoneText } from '../../src/zone/load.js';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/log.js';
import { loadViews } from '../../src/view/load.js';
import { FIXTURES, context, loadTestViews, query } from '../fixtures/views/setup.js';

const { views, global } = loadTestViews();

function viewFor(address: string, msg = query('app.example.net', 'A')): string | null {
  const ctx = context(msg, address);
  const v = views.select(ctx);
  if (ctx.view !== v) throw new Error('select() must store the view in ctx.view');
  return v === null ? null : v.name;
}

t.test('clients get the view of the longest prefix holding their address', async (t) => {
  t.equal(viewFor('192.168.1.7'), 'lan');
  t.equal(viewFor('::ffff:192.168.1.7'), 'lan', 'IPv4 client on a dual-stack socket');
  t.equal(viewFor('fd00:1::42'), 'lan');
  t.equal(viewFor('10.0.20.99'), 'k8s');
  t.equal(viewFor('10.244.7.1'), 'k8s');
  t.equal(viewFor('192.168.2.7'), 'default', 'next subnet is not the LAN');
  t.equal(viewFor('8.8.8.8'), 'default');
  t.equal(viewFor('2001:db8::1'), 'default');
});

t.test('longest prefix wins over config order; equal prefixes go by config order', async (t) => {
  const { views } = loadTestViews(`
views:
  list:
    - { name: wide, match: [10.0.0.0/8] }
    - { name: narrow, match: [10.1.2.0/24] }
    - { name: same, match: [10.0.0.0/8] }
`);
  const pick = (a: string) => views.select(context(query('x.example', 'A'), a))?.name ?? null;
  t.equal(pick('10.1.2.3'), 'narrow');
  t.equal(pick('10.1.3.3'), 'wide', 'first of two equal prefixes');
  t.equal(pick('192.0.2.1'), null, 'no default view: nothing matches');
});

t.test('a trusted forwarder\'s EDNS Client Subnet selects the view', async (t) => {
  const lanEcs = { family: 1, source: 24, address: [192, 168, 1] };
  t.equal(viewFor('10.0.20.10', query('app.example.net', 'A', { ecs: lanEcs })), 'lan', 'CoreDNS forwarding for a LAN client');
  t.equal(viewFor('10.0.20.10', query('app.example.net', 'A')), 'k8s', 'without ECS the forwarder\'s own address decides');
  t.equal(viewFor('10.0.20.10', query('app.example.net', 'A', { ecs: { family: 1, source: 32, address: [8, 8, 8, 8] } })), 'default');
  t.equal(viewFor('10.0.20.10', query('app.example.net', 'A', { ecs: { family: 2, source: 64, address: [0xfd, 0, 0, 1, 0, 0, 0, 0] } })), 'lan', 'IPv6 /64 subnet');
  t.equal(viewFor('10.0.20.10', query('a.example', 'A', { ecs: { family: 1, source: 16, address: [192, 168] } })), 'default',
    'a /16 subnet is not known to be inside the /24 LAN');
  t.equal(viewFor('10.0.20.10', query('a.example', 'A', { ecs: { family: 2, source: 56, address: [0xfd, 0, 0, 1, 0, 0, 0] } })), 'default',
    'nor a /56 inside the /64 LAN');
});

t.test('ECS from anyone else is ignored; malformed ECS never gets this far', async (t) => {
  const lanEcs = { family: 1, source: 24, address: [192, 168, 1] };
  t.equal(viewFor('10.0.20.11', query('app.example.net', 'A', { ecs: lanEcs })), 'k8s', 'untrusted k8s pod');
  t.equal(viewFor('8.8.8.8', query('app.example.net', 'A', { ecs: lanEcs })), 'default', 'outsider claiming the LAN');
  t.equal(viewFor('10.0.20.10', query('a.example', 'A', { ecs: { family: 1, source: 0, address: [] } })), 'k8s', '/0: the client opted out');
  // Malformed options fail QueryView.parse, so the accept stage answers FORMERR before any view is chosen.
  const malformed = [
    { family: 1, source: 24, address: [192, 168, 1, 9] },
    { family: 1, source: 24, address: [192, 168] },
    { family: 1, source: 40, address: [192, 168, 1, 1, 1] },
    { family: 3, source: 8, address: [192] },
  ];
  for (const ecs of malformed) t.throws(() => viewFor('10.0.20.10', query('a.example', 'A', { ecs })), /bad test query/, JSON.stringify(ecs));
});

t.test('a view serves global zones and its own, which replace global ones of the same name', async (t) => {
  const lan = views.get('lan')!;
  const k8s = views.get('k8s')!;
  t.equal(k8s.zones, global, 'a view without own zones shares the global store');
  t.not(lan.zones, global);
  const apexA = (zones: typeof global) => zones.lookup('example.net.', 1)!.answer.map((r) => [...r.rdata].join('.'));
  t.same(apexA(lan.zones), ['192.168.1.50'], 'LAN sees the internal example.net');
  t.same(apexA(k8s.zones), ['203.0.113.10'], 'others see the public one');
  t.ok(lan.zones.get('home.lan.'), 'global zone in the LAN view too');
  t.notOk(k8s.zones.get('corp.example.'), 'LAN-only zone');
  t.same([...lan.ownZones].sort(), ['corp.example.', 'example.net.']);
  t.same(views.zoneNames().sort(), ['113.0.203.in-addr.arpa.', 'corp.example.', 'example.net.', 'home.lan.']);
});

t.test('fallthrough: a name the zone does not hold goes on down the chain', async (t) => {
  const lan = views.get('lan')!;
  t.equal(lan.lookup('wiki.corp.example.', 1)!.answer.length, 1, 'held name answered');
  t.equal(lan.lookup('jira.corp.example.', 1), null, 'missing name: not ours, forward it');
  t.equal(lan.lookup('wiki.corp.example.', 28)!.result, LookupResult.NoData, 'NODATA stays local');
  t.equal(views.get('k8s')!.lookup('nothing.example.net.', 1)!.result, LookupResult.NameError, 'no fallthrough: NXDOMAIN');
});

t.test('trivial: one view for everyone with nothing to decide', async (t) => {
  t.notOk(views.trivial);
  t.ok(loadTestViews('zones: []').views.trivial, 'no views section: implicit default');
  t.notOk(loadTestViews('views: { list: [ { name: default, recursion: false } ] }').views.trivial, 'recursion off');
  t.notOk(loadTestViews('views: { list: [ { name: lan, match: [192.168.1.0/24] } ] }').views.trivial, 'others refused');
  t.notOk(loadTestViews('views: { list: [ { name: default, translate: [ { external: 192.0.2.1, internal: 10.0.0.1 } ] } ] }').views.trivial);
  t.ok(views.translates);
  t.ok(views.translatesReverse);
});

t.test('replaceZone reaches every store serving the zone, never a view that replaced it', async (t) => {
  const { views, global } = loadTestViews();
  const lan = views.get('lan')!;
  const text = (serial: number, ip: string) => `$TTL 60
@ IN SOA ns1 hostmaster ${serial} 3600 600 86400 60
  IN NS ns1
ns1 IN A ${ip}
router IN A ${ip}
`;
  views.replaceZone(loadZoneText(text(2, '192.168.1.254'), 'home.lan.').zone, lan);
  t.equal(global.get('home.lan.')!.serial, 2, 'global store');
  t.equal(lan.zones.get('home.lan.')!.serial, 2, 'view that shares the global zone');
  views.replaceZone(loadZoneText(text(7, '192.168.1.53'), 'example.net.').zone, lan);
  t.equal(lan.zones.get('example.net.')!.serial, 7, 'LAN\'s own zone updated');
  t.equal(global.get('example.net.')!.serial, 1, 'public zone untouched');
  views.replaceZone(loadZoneText(text(9, '203.0.113.53'), 'example.net.').zone, null);
  t.equal(global.get('example.net.')!.serial, 9);
  t.equal(lan.zones.get('example.net.')!.serial, 7, 'LAN keeps its own version');
});

t.test('loadViews: a view zone that fails to load is left out, or its previous version kept; counters carry over', async (t) => {
  const log = createLogger('silent');
  const yaml = (file: string) => `
zones: [ { name: example.net., file: example.net.zone } ]
views:
  list:
    - { name: lan, match: [192.168.1.0/24], zones: [ { name: example.net., file: ${file} } ] }
    - { name: default }
`;
  const good = parseConfig(yaml('lan/example.net.zone'), 'x.yaml', FIXTURES);
  const first = loadViews(good, global, log);
  t.same(first.failures, []);
  first.views.get('lan')!.counters.queries = 41;
  const bad = parseConfig(yaml('lan/broken.zone'), 'x.yaml', FIXTURES);
  const fresh = loadViews(bad, global, log);
  t.equal(fresh.failures.length, 1);
  t.equal(fresh.failures[0]!.view, 'lan');
  t.equal(fresh.views.get('lan')!.zones.get('example.net.'), undefined, 'never the public zone in its place');
  t.equal(fresh.views.get('lan')!.counters.queries, 0);
  const reload = loadViews(bad, global, log, first.views);
  t.equal(reload.failures.length, 1);
  t.equal(reload.views.get('lan')!.zones.get('example.net.'), first.views.get('lan')!.zones.get('example.net.'), 'previous version keeps serving');
  t.equal(reload.views.get('lan')!.counters.queries, 41, 'counters carried over');
});
