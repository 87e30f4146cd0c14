import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JournalDamagedError } from '../../src/update/journal.js';
import { decodeJournal, encodeRecord, encodeRecordGently, MAGIC, type JournalRecord } from '../../src/update/journal-format.js';

const TMP = mkdtempSync(join(tmpdir(), 'horizond-update-test-'));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));

/** The JournalDamagedError `fn` throws (a test failure when it throws nothing else). */
function damaged(fn: () => unknown): JournalDamagedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof JournalDamagedError) return err;
    throw err;
  }
  throw new Error('not refused');
}

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

t.test('damage before the end is never applied and never cut on its own: checksum, bad length, garbage, sequence gap', async (t) => {
  const d = dir();
  const path = join(d, 'z.test.journal');
  const a = Journal.open(path);
  await a.journal.append([record(1), record(2), record(3)]);
  await a.journal.close();
  const bytes = readFileSync(path);
  const second = MAGIC.length + encodeRecord(record(1)).length;
  const cases: [string, Buffer, RegExp, number][] = [];
  const flipped = Buffer.from(bytes);
  flipped[second + 20]! ^= 0x01; // inside record 2's payload
  cases.push(['flipped payload byte', flipped, /checksum mismatch in the record at offset/, 1]);
  const longer = Buffer.from(bytes);
  longer.writeUInt32BE(longer.readUInt32BE(second) + 1000, second); // record 2's length runs over record 3
  cases.push(['length field too large', longer, /running over a good record/, 1]);
  const last = MAGIC.length + encodeRecord(record(1)).length + encodeRecord(record(2)).length;
  const lastLen = Buffer.from(bytes);
  lastLen.writeUInt32BE(lastLen.readUInt32BE(last) + 7, last); // the final record, whole, but its length says more
  cases.push(['final record with a bad length', lastLen, /bad length/, 2]);
  cases.push(['garbage after the end', Buffer.concat([bytes, Buffer.from('garbage after the end')]), /impossible record length/, 3]);
  cases.push(['sequence gap', Buffer.concat([MAGIC, encodeRecord(record(1)), encodeRecord(record(3))]), /sequence 3, expected 2/, 1]);
  cases.push(['impossible length', Buffer.concat([MAGIC, encodeRecord(record(1)), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]), /impossible record length/, 1]);
  for (const [what, buf, problem, kept] of cases) {
    writeFileSync(path, buf);
    for (const f of readdirSync(d)) if (f.includes('.corrupt-')) rmSync(join(d, f));
    const e = damaged(() => Journal.open(path));
    t.ok(e, `${what}: refused`);
    t.match(e.damage.problem, problem, what);
    t.equal(e.damage.kept, kept, `${what}: good records before the damage`);
    t.same(readFileSync(path), buf, `${what}: the file is left exactly as it was`);
    const copies = readdirSync(d).filter((f) => f.startsWith('z.test.journal.corrupt-'));
    t.equal(copies.length, 1, `${what}: a copy is kept`);
    t.same(readFileSync(join(d, copies[0]!)), buf, `${what}: the copy is the whole file`);
    t.ok(damaged(() => Journal.open(path)), `${what}: refused again`);
    t.equal(readdirSync(d).filter((f) => f.startsWith('z.test.journal.corrupt-')).length, 1, `${what}: no second identical copy`);
    const ro = damaged(() => Journal.open(path, true));
    t.equal(ro.damage.copy, null, `${what}: read-only makes no copy`);
    const o = Journal.open(path, false, 'truncate');
    t.same(o.records.map((r) => r.seq), Array.from({ length: kept }, (_, i) => i + 1), `${what}: truncate serves the good records`);
    t.ok(o.damage, `${what}: and reports the damage`);
    t.equal(statSync(path).size, o.damage!.offset, `${what}: cut at the last good record`);
    await o.journal.close();
  }
  writeFileSync(path, flipped);
  const e = damaged(() => Journal.open(path));
  t.equal(e.damage.salvaged, 1, 'the readable record after the damage is found');
  t.equal(e.damage.salvagedSeq, 3);
  t.equal(e.damage.salvagedSerial, 103);
  t.match(e.message, /1 readable record\(s\) up to serial 103/);
});

t.test('a file that is not a journal is refused and left alone; truncate starts anew (copy kept)', async (t) => {
  const d = dir();
  const path = join(d, 'z.test.journal');
  writeFileSync(path, 'this is not a journal');
  t.throws(() => Journal.open(path), { code: 'HZ_ERR_JOURNAL_DAMAGED', message: /bad magic/ });
  t.equal(readFileSync(path, 'utf8'), 'this is not a journal');
  const o = Journal.open(path, false, 'truncate');
  t.same(o.records, []);
  t.match(o.damage!.problem, /bad magic/);
  t.ok(readdirSync(d).some((f) => f.startsWith('z.test.journal.corrupt-')), 'kept for inspection');
  t.same(readFileSync(path), MAGIC);
  await o.journal.close();
});

t.test('a file cut inside its magic, or ending in zeros, is an interrupted write: cut', async (t) => {
  const path = join(dir(), 'z.test.journal');
  writeFileSync(path, MAGIC.subarray(0, 5));
  let o = Journal.open(path);
  t.match(o.cut!.problem, /inside its magic/);
  t.same(readFileSync(path), MAGIC);
  await o.journal.append([record(1)]);
  await o.journal.close();
  const good = statSync(path).size;
  writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(300)]));
  o = Journal.open(path);
  t.match(o.cut!.problem, /zero byte/);
  t.equal(statSync(path).size, good);
  await o.journal.close();
  const rec2 = encodeRecord(record(2));
  rec2.fill(0, rec2.length - 10); // the length and checksum landed, the end of the data did not
  writeFileSync(path, Buffer.concat([readFileSync(path), rec2]));
  o = Journal.open(path);
  t.match(o.cut!.problem, /ends in zero bytes/);
  t.same(o.records.map((r) => r.seq), [1]);
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
