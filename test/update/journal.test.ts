import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/update/journal.js';
import { decodeJournal, encodeRecord, encodeRecordGently, MAGIC, type JournalRecord } from '../../src/update/journal-format.js';

const TMP = mkdtempSync(join(tmpdir(), 'horizond-update-test-'));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));

const dir = (): string => mkdtempSync(join(TMP, 'horizond-journal-'));
const record = (seq: number, name = `h${seq}.z.test.`): JournalRecord => ({
  seq, time: 1_700_000_000_000 + seq, serial: 100 + seq, kind: 'u',
  changes: [{ name, type: 1, ttl: 60, rdata: [Uint8Array.from([192, 0, 2, seq & 0xff])] }, { name: `gone${seq}.z.test.`, type: 16, ttl: 0, rdata: [] }],
});

t.test('records round-trip through the file format', async (t) => {
  const r = record(7);
  const d = decodeJournal(Buffer.concat([MAGIC, encodeRecord(r), encodeRecord(record(8))]));
  t.equal(d.problem, null);
  t.equal(d.records.length, 2);
  t.same(d.records[0], { ...r, changes: r.changes.map((c) => ({ ...c, rdata: c.rdata.map((x) => new Uint8Array(x)) })) });
});

t.test('append is durable across reopen; a new file starts with the magic', async (t) => {
  const path = join(dir(), 'z.test.journal');
  const a = Journal.open(path);
  t.same(a.records, []);
  t.equal(a.cut, null);
  t.same(readFileSync(path), MAGIC);
  await a.journal.append([record(1)]);
  await a.journal.append([record(2), record(3)]);
  t.equal(a.journal.size, statSync(path).size);
  await a.journal.close();
  const b = Journal.open(path);
  t.same(b.records.map((r) => r.seq), [1, 2, 3]);
  t.equal(b.cut, null);
  await b.journal.close();
});

t.test('a torn tail is detected, reported, cut at the last good record, and appending resumes', async (t) => {
  const path = join(dir(), 'z.test.journal');
  const a = Journal.open(path);
  await a.journal.append([record(1), record(2)]);
  const good = a.journal.size;
  await a.journal.append([record(3)]);
  await a.journal.close();
  const full = statSync(path).size;
  for (const cutAt of [full - 1, good + 5, good + 3]) {
    truncateSync(path, cutAt);
    const ro = Journal.open(path, true);
    t.same(ro.records.map((r) => r.seq), [1, 2], `read-only, torn at ${cutAt}`);
    t.equal(statSync(path).size, cutAt, 'read-only leaves the file alone');
    const b = Journal.open(path);
    t.same(b.records.map((r) => r.seq), [1, 2]);
    t.match(b.cut, { offset: good, bytes: cutAt - good });
    t.equal(statSync(path).size, good, 'cut back to the last good record');
    await b.journal.append([record(3)]);
    await b.journal.close();
    t.same(Journal.open(path, true).records.map((r) => r.seq), [1, 2, 3], 'the next record follows cleanly');
  }
});

t.test('a corrupt record is never applied: checksum, garbage, sequence gap', async (t) => {
  const path = join(dir(), 'z.test.journal');
  const a = Journal.open(path);
  await a.journal.append([record(1), record(2), record(3)]);
  await a.journal.close();
  const bytes = readFileSync(path);
  const second = MAGIC.length + encodeRecord(record(1)).length;
  const flipped = Buffer.from(bytes);
  flipped[second + 20]! ^= 0x01; // inside record 2's payload
  writeFileSync(path, flipped);
  let o = Journal.open(path, true);
  t.same(o.records.map((r) => r.seq), [1], 'stops before the damaged record, later ones are not trusted either');
  t.match(o.cut!.problem, /checksum/);
  writeFileSync(path, Buffer.concat([bytes, Buffer.from('garbage after the end')]));
  o = Journal.open(path, true);
  t.same(o.records.map((r) => r.seq), [1, 2, 3]);
  t.ok(o.cut, 'trailing garbage is reported');
  writeFileSync(path, Buffer.concat([MAGIC, encodeRecord(record(1)), encodeRecord(record(3))]));
  o = Journal.open(path, true);
  t.same(o.records.map((r) => r.seq), [1]);
  t.match(o.cut!.problem, /sequence 3, expected 2/);
  const huge = Buffer.concat([MAGIC, encodeRecord(record(1)), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]);
  writeFileSync(path, huge);
  t.match(Journal.open(path, true).cut!.problem, /impossible record length/);
});

t.test('a file that is not a journal is moved aside, never read as one', async (t) => {
  const d = dir();
  const path = join(d, 'z.test.journal');
  writeFileSync(path, 'this is not a journal');
  const o = Journal.open(path);
  t.same(o.records, []);
  t.match(o.cut!.problem, /bad magic/);
  t.ok(readdirSync(d).some((f) => f.startsWith('z.test.journal.corrupt-')), 'kept for inspection');
  t.same(readFileSync(path), MAGIC);
  await o.journal.close();
});

t.test('compaction: one snapshot record replaces the file atomically', async (t) => {
  const d = dir();
  const path = join(d, 'z.test.journal');
  const a = Journal.open(path);
  await a.journal.append([record(1), record(2), record(3)]);
  t.equal(a.journal.sinceSnapshot, a.journal.size - MAGIC.length);
  const snap: JournalRecord = { seq: 3, time: 5, serial: 103, kind: 's', changes: [{ name: 'h3.z.test.', type: 1, ttl: 60, rdata: [Uint8Array.from([192, 0, 2, 3])], at: 4 }] };
  await a.journal.compact(snap);
  t.equal(a.journal.sinceSnapshot, 0);
  t.equal(statSync(path).size, a.journal.size);
  t.notOk(existsSync(path + '.tmp'));
  await a.journal.append([record(4)]);
  await a.journal.close();
  const b = Journal.open(path);
  t.same(b.records.map((r) => [r.seq, r.kind]), [[3, 's'], [4, 'u']]);
  t.equal(b.records[0]!.changes[0]!.at, 4, 'entry times survive in snapshots');
  t.equal(b.journal.sinceSnapshot, encodeRecord(record(4)).length);
  await b.journal.close();
  appendFileSync(path + '.tmp', 'half a snapshot from a crash during compaction');
  const c = Journal.open(path);
  t.notOk(existsSync(path + '.tmp'), 'a leftover temp file is removed at open');
  t.same(c.records.map((r) => r.seq), [3, 4]);
  await c.journal.close();
});

t.test('appends during a compaction land in the compacted file, in order', async (t) => {
  const path = join(dir(), 'z.test.journal');
  const a = Journal.open(path);
  await a.journal.append([record(1), record(2)]);
  const snap: JournalRecord = { seq: 2, time: 9, serial: 102, kind: 's', changes: [{ name: 'h2.z.test.', type: 1, ttl: 60, rdata: [Uint8Array.from([192, 0, 2, 2])] }] };
  const compaction = a.journal.compact(snap);
  t.ok(a.journal.compacting);
  await Promise.all([a.journal.append([record(3)]), a.journal.append([record(4), record(5)]), compaction]);
  await a.journal.append([record(6)]);
  t.notOk(a.journal.compacting);
  t.equal(a.journal.size, statSync(path).size);
  await a.journal.close();
  const b = Journal.open(path, true);
  t.equal(b.cut, null);
  t.same(b.records.map((r) => [r.seq, r.kind]), [[2, 's'], [3, 'u'], [4, 'u'], [5, 'u'], [6, 'u']]);
});

t.test('a large snapshot is encoded in chunks to exactly the same bytes', async (t) => {
  const changes = Array.from({ length: 2500 }, (_, i) => ({ name: `h${i}.z.test.`, type: 1, ttl: 60, rdata: [Uint8Array.from([10, 0, i >> 8, i & 255])], at: i % 3 === 0 ? 7 : 9 }));
  const snap: JournalRecord = { seq: 9, time: 9, serial: 5, kind: 's', changes };
  const gentle = await encodeRecordGently(snap);
  t.same(gentle, encodeRecord(snap));
  const d = decodeJournal(Buffer.concat([MAGIC, gentle]));
  t.equal(d.problem, null);
  t.equal(d.records[0]!.changes.length, 2500);
  t.equal(d.records[0]!.changes[3]!.at, 7);
  t.equal(d.records[0]!.changes[4]!.at, undefined, 'an entry written at the record time keeps it implicit');
});
