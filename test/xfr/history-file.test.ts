import t from 'tap';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/log.js';
import { RRType } from '../../src/wire/constants.js';
import { rrToText } from '../../src/wire/presentation.js';
import { rdataFromText } from '../../src/wire/rdata/index.js';
import { loadZoneText } from '../../src/zone/load.js';
import type { Zone } from '../../src/zone/zone.js';
import { serialOf, zoneDiff, type ZoneDiff } from '../../src/xfr/diff.js';
import { decodeHistory, HISTORY_MAGIC, HistoryFile, openHistory } from '../../src/xfr/history-file.js';
import { XfrHistory, type HistoryLimits } from '../../src/xfr/history.js';

const ZONE = '$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.10\n';
const LIMITS: HistoryLimits = { maxDiffs: 500, maxRecords: 100_000 };

const a = (addr: string): Uint8Array => rdataFromText(RRType.A, [{ text: addr, quoted: false, line: 1, col: 1 }], 'example.');

/** The next version: serial `serial`, host `h<serial>` added. */
function bump(z: Zone, serial: number): Zone {
  const soa = new Uint8Array(z.soa.rrs[0]!.rdata);
  new DataView(soa.buffer).setUint32(soa.length - 20, serial);
  return z.withChanges([
    { name: `h${serial}.example.`, type: RRType.A, ttl: 60, rdata: [a(`192.0.2.${serial % 250}`)] },
    { name: z.origin, type: RRType.SOA, ttl: z.soa.ttl, rdata: [soa] },
  ]);
}

function logger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { for (const l of c.toString().split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { log: createLogger('info', sink as never), lines };
}

const texts = (d: ZoneDiff): string[] => [d.from, ...d.deleted, d.to, ...d.added].map(rrToText);

/** A history of `n` differences (serials 1 → n+1) mirrored to the file at `path`; returns the versions. */
async function build(path: string, n: number, limits = LIMITS): Promise<{ zones: Zone[]; history: XfrHistory; file: HistoryFile }> {
  const zones = [loadZoneText(ZONE, 'example.').zone];
  const { history, file } = openHistory(path, limits, zones[0]!, logger().log)!;
  for (let i = 0; i < n; i++) {
    const next = bump(zones.at(-1)!, i + 2);
    history.push(next, zoneDiff(zones.at(-1)!, next));
    zones.push(next);
  }
  await file.flush();
  return { zones, history, file };
}

t.test('the differences survive a restart and answer IXFR for the same serial', async (t) => {
  const path = join(t.testdir(), 'example.ixfr');
  const { zones, history } = await build(path, 3);
  t.ok(readFileSync(path).subarray(0, 8).equals(HISTORY_MAGIC), 'a history file');
  const { log, lines } = logger();
  const served = zones[3]!;
  const again = openHistory(path, LIMITS, served, log)!;
  t.equal(again.history.length, 3);
  const d = again.history.since(1, served)!;
  t.equal(d.length, 3, 'from serial 1: three differences');
  t.same(d.map(texts), history.since(1, zones[3]!)!.map(texts), 'the same records as before the restart');
  t.equal(again.history.since(3, served)!.length, 1);
  t.ok(lines.some((l) => l.msg === 'IXFR history restored' && l.differences === 3));
  t.equal(again.history.since(1, zones[2]!), null, 'a version other than the one it was restored for gets none');
});

t.test('a torn tail is cut off and logged; damage before the end is left alone unless onCorrupt is truncate', async (t) => {
  const path = join(t.testdir(), 'example.ixfr');
  const { zones } = await build(path, 3);
  const good = statSync(path).size;
  appendFileSync(path, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 5, 6])); // a record cut short by a crash
  const { log, lines } = logger();
  const h = openHistory(path, LIMITS, zones[3]!, log)!;
  t.equal(h.history.length, 3);
  t.equal(statSync(path).size, good, 'the file is cut back to its last good record');
  t.ok(lines.some((l) => l.msg === 'IXFR history file: an interrupted final append was cut off' && /cut short/.test(String(l.problem))));

  const buf = readFileSync(path);
  buf[buf.length - 3] ^= 0xff; // a flipped bit in the last record
  writeFileSync(path, buf);
  const d = decodeHistory(readFileSync(path));
  t.match(d.problem, /checksum mismatch/);
  t.equal(d.damage, 'damaged');
  t.equal(d.diffs.length, 2);
  const { log: log1, lines: lines1 } = logger();
  let seen: Error | null = null;
  t.equal(openHistory(path, LIMITS, zones[2]!, log1, 'refuse', (e) => { seen = e; }), null, 'refuse: no file-backed history');
  t.ok(seen, 'the damage is reported to the caller');
  t.same(readFileSync(path), buf, 'refuse: the file is left exactly as it was');
  t.ok(readdirSync(dirname(path)).some((f) => f.startsWith('example.ixfr.corrupt-')), 'a copy is kept');
  t.ok(lines1.some((l) => /IXFR history .* is damaged: checksum mismatch/.test(String(l.msg))));
  const { log: log2 } = logger();
  const h2 = openHistory(path, LIMITS, zones[2]!, log2, 'truncate')!;
  t.equal(h2.history.length, 2, 'truncate: the damaged difference is dropped; the rest leads to serial 3');
  t.equal(serialOf(h2.history.since(1, zones[2]!)!.at(-1)!.to), 3);
});

t.test('a history that does not lead to the served serial is discarded, and the file emptied', async (t) => {
  const path = join(t.testdir(), 'example.ixfr');
  const { zones } = await build(path, 2);
  const changedWhileDown = bump(zones[2]!, 9);
  const { log, lines } = logger();
  const h = openHistory(path, LIMITS, changedWhileDown, log)!;
  t.equal(h.history.length, 0);
  t.equal(h.history.latest, changedWhileDown);
  t.ok(lines.some((l) => /does not lead to the served serial/.test(String(l.msg))));
  await h.file.flush();
  t.same(decodeHistory(readFileSync(path)).diffs, [], 'nothing left in the file');
  t.notOk(existsSync(`${path}.tmp`));
});

t.test('the file stays within twice the limits, rewritten whole when it would grow beyond', async (t) => {
  const path = join(t.testdir(), 'example.ixfr');
  const limits = { maxDiffs: 3, maxRecords: 1000 };
  const { zones, history, file } = await build(path, 10, limits);
  t.equal(history.length, 3);
  const onDisk = decodeHistory(readFileSync(path));
  t.equal(onDisk.problem, null);
  t.ok(onDisk.diffs.length >= 3 && onDisk.diffs.length <= 6, `${onDisk.diffs.length} differences on disk`);
  t.equal(file.length, onDisk.diffs.length);
  t.equal(serialOf(onDisk.diffs.at(-1)!.to), 11, 'ending at the latest serial');
  t.notOk(existsSync(`${path}.tmp`), 'no temporary file left');
  const again = openHistory(path, limits, zones[10]!, logger().log)!;
  t.equal(again.history.length, 3, 'restored within the limits');
  t.equal(again.history.since(8, zones[10]!)!.length, 3);
  t.equal(again.history.since(7, zones[10]!), null, 'older ones were trimmed');
});

t.test('a chain started again (reset) empties the file; a file that is not a history is refused, or replaced with truncate', async (t) => {
  const path = join(t.testdir(), 'example.ixfr');
  const { zones, history, file } = await build(path, 2);
  history.reset(zones[2]!);
  await file.flush();
  t.equal(decodeHistory(readFileSync(path)).diffs.length, 0);
  const other = join(t.testdir(), 'junk.ixfr');
  writeFileSync(other, 'this is not a history file');
  t.equal(openHistory(other, LIMITS, zones[0]!, logger().log), null, 'refused by default');
  t.equal(readFileSync(other, 'utf8'), 'this is not a history file', 'and left alone');
  const { log, lines } = logger();
  const h = openHistory(other, LIMITS, zones[0]!, log, 'truncate')!;
  t.equal(h.history.length, 0);
  t.ok(readFileSync(other).equals(HISTORY_MAGIC), 'replaced by an empty history');
  t.ok(lines.some((l) => /bad magic/.test(String(l.problem))));
});

t.test('a failed write is reported, and the next change rewrites the file whole', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'example.ixfr');
  const errors: Error[] = [];
  const zones = [loadZoneText(ZONE, 'example.').zone];
  const loaded = HistoryFile.open(path, LIMITS, (e) => errors.push(e));
  const history = new XfrHistory(LIMITS, loaded.file);
  history.restore(zones[0]!, loaded.diffs);
  const z2 = bump(zones[0]!, 2);
  const z3 = bump(z2, 3);
  // The append opens the file afresh: a directory in its place makes that fail.
  rmSync(path);
  mkdirSync(path);
  history.push(z2, zoneDiff(zones[0]!, z2));
  await loaded.file.flush();
  t.equal(errors.length, 1, 'reported');
  rmSync(path, { recursive: true });
  history.push(z3, zoneDiff(z2, z3));
  await loaded.file.flush();
  const d = decodeHistory(readFileSync(path));
  t.equal(d.problem, null);
  t.same(d.diffs.map((x) => serialOf(x.to)), [2, 3], 'both differences are in the rewritten file');
});
