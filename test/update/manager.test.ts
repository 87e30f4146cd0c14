import t from 'tap';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/log.js';
import type { JournalRecord } from '../../src/update/journal-format.js';
import { UpdateManager } from '../../src/update/manager.js';
import { RClass, RCode, RRType } from '../../src/wire/constants.js';
import { loadZones } from '../../src/zone/catalog.js';
import { loadZoneText } from '../../src/zone/load.js';
import { ZoneStore } from '../../src/zone/store.js';
import { rec } from '../fixtures/kea/update-client.js';

const TMP = mkdtempSync(join(tmpdir(), 'horizond-update-test-'));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));

const soa = (o: string): string => `$ORIGIN ${o}\n@ SOA ns.${o} h.${o} 1 3600 600 86400 60\n@ NS ns.${o}\nns.${o} A 192.0.2.1\n`;
const dir = mkdtempSync(join(TMP, 'horizond-mgr-'));
writeFileSync(join(dir, 'a.zone'), soa('a.test.'));
writeFileSync(join(dir, 'b.zone'), soa('b.test.'));
const yaml = (zones: string): string => `server: { dataDir: data }\nkeys: [ { name: k., secret: "aGVsbG8gd29ybGQ=" } ]\nzones:\n${zones}`;
const A = '  - { name: a.test., file: a.zone, update: { preset: none, keys: [k.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [A] } ] } }\n';
const B = '  - { name: b.test., file: b.zone }\n';
const log = createLogger('silent');
const update = (name: string) => ({ msg: { id: 1, zone: { name: 'a.test.', type: RRType.SOA, class: RClass.IN }, prereqs: [], updates: [rec(`${name} 60 IN A 192.0.2.9`)] }, key: 'k.', address: '127.0.0.1' });

t.test('every attached store serving the zone gets each new version; other zones and look-alikes are left alone', async (t) => {
  const config = parseConfig(yaml(A + B), join(dir, 'h.yaml'), dir);
  const m = new UpdateManager({ dataDir: config.server.dataDir, log });
  const zones = m.adopt(config.zones, loadZones(config.zones, log).zones);
  t.equal(zones.length, 2);
  t.ok(m.zone('A.TEST.'), 'a.test. takes updates (any case)');
  t.notOk(m.zone('b.test.'), 'b.test. has no policy and no journal');
  t.ok(m.serves('b.test.'));
  t.notOk(m.serves('c.test.'));
  t.notOk(existsSync(join(dir, 'data', 'b.test.journal')));
  const global = new ZoneStore(zones);
  const view = new ZoneStore(zones); // a view serving the same global zones
  const ownA = loadZoneText(soa('a.test.'), 'a.test.').zone;
  const other = new ZoneStore([ownA, zones[1]!]); // a view with its own a.test.
  for (const s of [global, view, other]) m.attach(s);
  t.equal((await m.zone('a.test.')!.submit(update('pc.a.test.'))).rcode, RCode.NoError);
  t.ok(global.get('a.test.')!.rrset('pc.a.test.', RRType.A));
  t.ok(view.get('a.test.')!.rrset('pc.a.test.', RRType.A));
  t.equal(other.get('a.test.'), ownA, "a view's own zone of the same name is not replaced");
  m.detach(view);
  await m.zone('a.test.')!.submit(update('pc2.a.test.'));
  t.ok(global.get('a.test.')!.rrset('pc2.a.test.', RRType.A));
  t.notOk(view.get('a.test.')!.rrset('pc2.a.test.', RRType.A), 'a detached store is no longer updated');
  const late = new ZoneStore(zones);
  m.attach(late);
  t.ok(late.get('a.test.')!.rrset('pc2.a.test.', RRType.A), 'attach brings a store built from an older version up to date');
  const fewer = parseConfig(yaml(B), join(dir, 'h.yaml'), dir);
  m.adopt(fewer.zones, loadZones(fewer.zones, log).zones);
  t.notOk(m.zone('a.test.'), 'a zone removed from the config is closed');
  t.notOk(m.serves('a.test.'));
  await m.close();
});

t.test('journal file names', async (t) => {
  const m = new UpdateManager({ dataDir: '/d', log });
  t.equal(m.journalPath('home.lan.'), '/d/home.lan.journal');
  t.equal(m.journalPath('1.168.192.in-addr.arpa.'), '/d/1.168.192.in-addr.arpa.journal');
  t.equal(m.journalPath('.'), '/d/root.journal');
  t.equal(m.journalPath('we\\/ird.test.'), '/d/we%5c%2fird.test.journal');
});

t.test('a read-only manager (a query worker) follows the committed records, and re-reads the journal on a gap', async (t) => {
  const d = mkdtempSync(join(TMP, 'horizond-follow-'));
  writeFileSync(join(d, 'a.zone'), soa('a.test.'));
  const config = parseConfig(yaml(A), join(d, 'h.yaml'), d);
  const batches: { zone: string; seqs: number[]; records: readonly JournalRecord[] }[] = [];
  let acked = 0;
  const owner = new UpdateManager({
    dataDir: config.server.dataDir, log,
    committed: async (zone, records) => {
      batches.push({ zone, seqs: records.map((r) => r.seq), records });
      await new Promise((r) => setTimeout(r, 5));
      acked++;
    },
  });
  owner.adopt(config.zones, loadZones(config.zones, log).zones);
  const first = await owner.zone('a.test.')!.submit(update('one.a.test.'));
  t.equal(first.rcode, RCode.NoError);
  t.equal(acked, 1, 'the update is answered only after the committed hook settled');

  // The follower opens the journal (which already holds record 1), then follows.
  const follower = new UpdateManager({ dataDir: config.server.dataDir, log, readOnly: true });
  const store = new ZoneStore(follower.adopt(config.zones, loadZones(config.zones, log).zones));
  follower.attach(store);
  t.ok(store.get('a.test.')!.rrset('one.a.test.', RRType.A), 'what the journal held at open is served');
  follower.applyCommitted('a.test.', batches[0]!.records); // already applied: ignored
  await owner.zone('a.test.')!.submit(update('two.a.test.'));
  follower.applyCommitted('a.test.', batches[1]!.records);
  t.ok(store.get('a.test.')!.rrset('two.a.test.', RRType.A), 'records that follow are applied in order');
  t.equal(store.get('a.test.')!.serial, owner.zone('a.test.')!.current.serial);

  await owner.zone('a.test.')!.submit(update('three.a.test.')); // its message is lost
  await owner.zone('a.test.')!.submit(update('four.a.test.'));
  follower.applyCommitted('a.test.', batches[3]!.records);
  const z = store.get('a.test.')!;
  t.ok(z.rrset('three.a.test.', RRType.A) && z.rrset('four.a.test.', RRType.A), 'a gap is filled from the journal');
  t.equal(z.serial, owner.zone('a.test.')!.current.serial, 'and the serial matches the owner');
  t.same(batches.map((b) => b.seqs), [[1], [2], [3], [4]]);
  t.equal(follower.applyCommitted('b.test.', batches[3]!.records), undefined, 'a zone it does not manage is skipped');
  await owner.close();
  await follower.close();
});
