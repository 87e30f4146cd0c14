import t from 'tap';
import { mkdtempSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/log.js';
import { Journal } from '../../src/update/journal.js';
import { UpdateManager } from '../../src/update/manager.js';
import type { UpdateMessage } from '../../src/update/message.js';
import { RClass, RCode, RRType } from '../../src/wire/constants.js';
import { rrToText } from '../../src/wire/presentation.js';
import { loadZones } from '../../src/zone/catalog.js';
import { dumpZone } from '../../src/zone/dump.js';
import { ZoneStore } from '../../src/zone/store.js';
import type { Zone } from '../../src/zone/zone.js';
import { anyOf, rec, type Rec } from '../fixtures/kea/update-client.js';

const TMP = mkdtempSync(join(tmpdir(), 'horizond-update-test-'));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));

const ZONE = (serial: number, extra = ''): string => `$ORIGIN z.test.
@ 300 SOA ns hostmaster ${serial} 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
nas A 192.0.2.20
${extra}`;

interface Setup { dir: string; manager: UpdateManager; store: ZoneStore; logs: Record<string, unknown>[]; reload(text?: string, update?: string): void; clock: { now: number } }

const POLICY = '{ preset: none, keys: [k.], networks: [127.0.0.1], rules: [ { name: { zone: true }, types: [A, TXT, DHCID, ANY] } ] }';

function setup(o: { dir?: string; zone?: string; readOnly?: boolean; compactBytes?: number; update?: string } = {}): Setup {
  const dir = o.dir ?? mkdtempSync(join(TMP, 'horizond-dz-'));
  if (o.zone !== undefined || !o.dir) writeFileSync(join(dir, 'z.zone'), o.zone ?? ZONE(100));
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('info', new Writable({ write(c: Buffer, _e, cb) { for (const l of c.toString().split('\n')) if (l) logs.push(JSON.parse(l)); cb(); } }) as never);
  const clock = { now: 1_800_000_000_000 };
  const yaml = (update: string): string => `server: { dataDir: data }\nkeys: [ { name: k., secret: "aGVsbG8gd29ybGQ=" } ]\nzones: [ { name: z.test., file: z.zone, update: ${update} } ]\n`;
  let config = parseConfig(yaml(o.update ?? POLICY), join(dir, 'h.yaml'), dir);
  const manager = new UpdateManager({ dataDir: config.server.dataDir, log, readOnly: o.readOnly ?? false, now: () => clock.now, ...(o.compactBytes ? { compactBytes: o.compactBytes } : {}) });
  const s: Setup = {
    dir, manager, logs, clock,
    store: new ZoneStore(manager.adopt(config.zones, loadZones(config.zones, log).zones)),
    reload(text?: string, update?: string) {
      if (text !== undefined) writeFileSync(join(dir, 'z.zone'), text);
      config = parseConfig(yaml(update ?? o.update ?? POLICY), join(dir, 'h.yaml'), dir);
      const old = s.store;
      s.store = new ZoneStore(manager.adopt(config.zones, loadZones(config.zones, log, (n) => old.get(n)).zones));
      manager.attach(s.store);
      manager.detach(old);
    },
  };
  manager.attach(s.store);
  return s;
}

const msg = (updates: Rec[], prereqs: Rec[] = []): UpdateMessage => ({ id: 1, zone: { name: 'z.test.', type: RRType.SOA, class: RClass.IN }, prereqs, updates });
const submit = (s: Setup, updates: Rec[], prereqs: Rec[] = []) => s.manager.zone('z.test.')!.submit({ msg: msg(updates, prereqs), key: 'k.', address: '127.0.0.1' });
const served = (s: Setup): Zone => s.store.get('z.test.')!;
const has = (z: Zone, name: string, type: number = RRType.A): boolean => z.rrset(name, type) !== undefined;

t.test('applied updates survive a restart: zone file + journal replay', async (t) => {
  const a = setup();
  t.equal((await submit(a, [rec('pc1.z.test. 60 IN A 192.0.2.50'), rec('pc1.z.test. 60 IN TXT "one"')])).rcode, RCode.NoError);
  t.equal((await submit(a, [rec('pc2.z.test. 60 IN A 192.0.2.51')])).rcode, RCode.NoError);
  t.equal((await submit(a, [anyOf('pc2.z.test.')])).rcode, RCode.NoError);
  t.equal(served(a).serial, 103);
  await a.manager.close();
  const b = setup({ dir: a.dir });
  t.ok(has(served(b), 'pc1.z.test.') && has(served(b), 'pc1.z.test.', RRType.TXT));
  t.notOk(served(b).exists('pc2.z.test.'), 'the delete was replayed too');
  t.equal(served(b).serial, 103);
  t.equal(readFileSync(join(a.dir, 'z.zone'), 'utf8'), ZONE(100), 'the zone file is never written');
  t.ok(b.logs.some((l) => l.msg === 'journal replayed' && l.records === 3));
  await b.manager.close();
});

t.test('arrival order, group commit, and no reply before the data is durable and served', async (t) => {
  const s = setup();
  const dz = s.manager.zone('z.test.')!;
  const pending = [];
  for (let i = 0; i < 60; i++) {
    // each update requires the previous one: only arrival order makes all of them succeed
    const pre = i === 0 ? [] : [anyOf(`n${i - 1}.z.test.`)];
    pending.push(submit(s, [rec(`n${i}.z.test. 60 IN A 192.0.2.${i + 1}`), rec(`n${i}.z.test. 60 IN TXT "n${i}"`)], pre).then((r) => {
      t.ok(has(served(s), `n${i}.z.test.`), `n${i} is served when its reply leaves`);
      return r.rcode;
    }));
  }
  t.same(await Promise.all(pending), new Array(60).fill(RCode.NoError));
  t.ok(s.manager.counters.commits < 60, `60 updates in ${s.manager.counters.commits} fsyncs`);
  t.equal(s.manager.counters.committedUpdates, 60);
  t.equal(served(s).serial, 160, 'one serial step per update');
  t.equal(dz.journalSize, statSync(join(s.dir, 'data', 'z.test.journal')).size);
  await s.manager.close();
});

t.test('queries never see half an update', async (t) => {
  const s = setup();
  const seen: Zone[] = [];
  class Watch extends ZoneStore { override set(z: Zone): void { seen.push(z); super.set(z); } }
  const w = new Watch([served(s)]);
  s.manager.attach(w);
  await Promise.all(Array.from({ length: 20 }, (_, i) => submit(s, [rec(`h${i}.z.test. 60 IN A 192.0.2.${i + 1}`), rec(`h${i}.z.test. 60 IN TXT "x"`), rec(`h${i}.z.test. 60 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=`)])));
  t.ok(seen.length > 0);
  for (const z of seen) {
    for (let i = 0; i < 20; i++) {
      const n = `h${i}.z.test.`;
      const parts = [has(z, n), has(z, n, RRType.TXT), has(z, n, RRType.DHCID)];
      t.ok(parts.every((p) => p === parts[0]), `${n} whole or absent in version ${z.serial}`);
    }
  }
  await s.manager.close();
});

t.test('a journal write that fails applies nothing and answers SERVFAIL', async (t) => {
  const s = setup();
  await submit(s, [rec('ok1.z.test. 60 IN A 192.0.2.1')]);
  const j = Journal.prototype; // the disk fills up: every append fails
  const orig = j.append;
  j.append = async function () { throw new Error('ENOSPC: no space left on device'); };
  t.teardown(() => { j.append = orig; });
  const before = served(s);
  const r = await submit(s, [rec('lost.z.test. 60 IN A 192.0.2.2')]);
  t.equal(r.rcode, RCode.ServFail);
  t.equal(r.failure!.reason, 'journal');
  t.equal(served(s), before, 'nothing served');
  j.append = orig;
  t.equal((await submit(s, [rec('ok2.z.test. 60 IN A 192.0.2.3')])).rcode, RCode.NoError);
  t.notOk(served(s).exists('lost.z.test.'));
  t.equal(served(s).serial, before.serial + 1, 'the failed update used no serial');
  t.ok(s.logs.some((l) => l.reason === 'journal' && l.level === 'error'));
  await s.manager.close();
});

t.test('a new zone file keeps the dynamic records; the serial never goes back', async (t) => {
  const s = setup();
  await submit(s, [rec('pc.z.test. 60 IN A 192.0.2.50')]);
  await submit(s, [rec('kea-nas.z.test. 60 IN A 192.0.2.60')]);
  t.equal(served(s).serial, 102);
  s.reload(ZONE(101, 'printer A 192.0.2.70\nkea-nas A 192.0.2.99\n'));
  let z = served(s);
  t.ok(has(z, 'printer.z.test.'), 'new static data');
  t.ok(has(z, 'pc.z.test.'), 'dynamic data on top');
  t.same([...z.rrset('kea-nas.z.test.', RRType.A)!.rrs[0]!.rdata], [192, 0, 2, 99], 'a name the file now defines: the file wins');
  await submit(s, [rec('after.z.test. 60 IN A 192.0.2.51')]); // waits behind the queued serial increment
  z = served(s);
  t.equal(z.serial, 104, 'file serial 101 < 102: incremented for the new content, then by the update');
  s.reload(ZONE(2024010100, 'printer A 192.0.2.70\n'));
  t.equal(served(s).serial, 2024010100, 'a file serial ahead of ours is taken as is');
  t.ok(has(served(s), 'pc.z.test.') && has(served(s), 'after.z.test.'));
  s.reload();
  t.equal(served(s).serial, 2024010100, 'a reload without changes does not move the serial');
  await s.manager.close();
  const b = setup({ dir: s.dir });
  t.equal(served(b).serial, 2024010100);
  t.ok(has(served(b), 'pc.z.test.'));
  await b.manager.close();
});

t.test('a zone file change without a serial change is made durable with a new serial', async (t) => {
  const s = setup();
  await submit(s, [rec('pc.z.test. 60 IN A 192.0.2.50')]);
  s.reload(ZONE(100, 'printer A 192.0.2.70\n'));
  await submit(s, []);
  t.equal(served(s).serial, 102);
  await s.manager.close();
  const b = setup({ dir: s.dir });
  t.equal(served(b).serial, 102, 'still 102 after a restart, not back to 101');
  await b.manager.close();
});

t.test('compaction keeps the journal small and the data identical', async (t) => {
  const s = setup({ compactBytes: 2048 });
  for (let i = 0; i < 40; i++) await submit(s, [rec(`c${i % 5}.z.test. 60 IN A 192.0.2.${i + 1}`)]);
  await submit(s, [anyOf('c4.z.test.')]);
  t.ok(s.manager.counters.compactions > 0, `${s.manager.counters.compactions} compactions`);
  const size = statSync(join(s.dir, 'data', 'z.test.journal')).size;
  t.ok(size < 4096, `journal is ${size} bytes after 41 updates`);
  const before = served(s);
  await s.manager.close();
  const b = setup({ dir: s.dir });
  const after = served(b);
  t.equal(after.serial, before.serial);
  for (let i = 0; i < 4; i++) t.same(after.rrset(`c${i}.z.test.`, 1)!.rrs.map((r) => [...r.rdata]), before.rrset(`c${i}.z.test.`, 1)!.rrs.map((r) => [...r.rdata]));
  t.notOk(after.exists('c4.z.test.'));
  await b.manager.close();
});

t.test('scavenging removes DHCID-tagged names after TTL + grace, nothing else', async (t) => {
  const s = setup();
  const dhcid = 'AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=';
  await submit(s, [rec('lease.z.test. 60 IN A 192.0.2.50'), rec(`lease.z.test. 60 IN DHCID ${dhcid}`)]);
  await submit(s, [rec('manual.z.test. 60 IN A 192.0.2.51')]);
  const dz = s.manager.zone('z.test.')!;
  s.clock.now += 60_000 + 30_000;
  dz.scavenge(60);
  await submit(s, []);
  t.ok(served(s).exists('lease.z.test.'), 'TTL 60 s + grace 60 s not yet over');
  s.clock.now += 31_000;
  dz.scavenge(60);
  await submit(s, []);
  t.notOk(served(s).exists('lease.z.test.'), 'gone once TTL + grace passed');
  t.ok(served(s).exists('manual.z.test.'), 'names without DHCID stay');
  t.ok(served(s).exists('nas.z.test.'), 'static names stay');
  t.equal(s.manager.counters.scavenged, 1);
  await s.manager.close();
  t.notOk(served(setup({ dir: s.dir })).exists('lease.z.test.'), 'scavenging is journaled');
});

t.test('read-only: shows the dynamic data and writes nothing', async (t) => {
  const s = setup();
  await submit(s, [rec('pc.z.test. 60 IN A 192.0.2.50')]);
  const path = join(s.dir, 'data', 'z.test.journal');
  const size = statSync(path).size;
  const ro = setup({ dir: s.dir, readOnly: true });
  t.ok(has(served(ro), 'pc.z.test.'));
  const text = dumpZone(served(ro), rrToText);
  t.match(text, /^pc\.z\.test\.\t60\tIN\tA\t192\.0\.2\.50$/m, 'zone dump prints the dynamic records');
  t.match(text, /^z\.test\.\t300\tIN\tSOA\tns\.z\.test\. hostmaster\.z\.test\. 101 /m, 'with the serial as served');
  t.equal((await submit(ro, [rec('x.z.test. 60 IN A 192.0.2.9')])).rcode, RCode.ServFail);
  t.equal(statSync(path).size, size);
  await ro.manager.close();
  await s.manager.close();
});

t.test('updates switched off: journaled data stays served, updates are refused', async (t) => {
  const s = setup();
  await submit(s, [rec('pc.z.test. 60 IN A 192.0.2.50')]);
  s.reload(undefined, 'null');
  t.ok(has(served(s), 'pc.z.test.'));
  const r = await submit(s, [rec('x.z.test. 60 IN A 192.0.2.9')]);
  t.equal(r.rcode, RCode.Refused);
  t.equal(r.failure!.reason, 'disabled');
  await s.manager.close();
});
