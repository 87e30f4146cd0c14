import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config, ZoneConfig } from '../config/types.js';
import { fileBase } from '../config/sections/replication.js';
import { createLogger } from '../observability/log.js';
import { decodeHistory, HistoryFile, salvageHistory } from '../xfr/history-file.js';
import { historyDefaults } from '../xfr/history.js';
import { serialOf } from '../xfr/diff.js';
import { loadZones } from '../zone/catalog.js';
import { Journal, describeDamage } from './journal.js';
import { UpdateManager } from './manager.js';

/**
 * `horizond journal check ZONE` and `horizond journal repair ZONE`: what a zone's journal and
 * IXFR history hold, what is damaged, and what a repair drops. `check` changes nothing and can
 * run beside a server. `repair` (server stopped) keeps a copy of each damaged file
 * (`<file>.corrupt-<time>`), cuts it at its last good record and, for the journal, raises the
 * serial past anything the dropped records may have served: exactly what the server does at
 * start with `journal.onCorrupt: truncate`.
 */

type Out = (line: string) => void;

/** The journal and history files of a zone (`<dataDir>/<zone>.journal`, `.ixfr`). */
export function zoneFiles(config: Config, zone: string): { journal: string; history: string } {
  const base = join(config.server.dataDir, fileBase(zone));
  return { journal: `${base}.journal`, history: `${base}.ixfr` };
}

/** Prints what is there; returns 1 when a file is damaged before its end, else 0. */
export function checkJournal(config: Config, zc: ZoneConfig, out: Out): number {
  const files = zoneFiles(config, zc.name);
  let damaged = 0;
  if (!existsSync(files.journal)) out(`journal ${files.journal}: none`);
  else {
    const j = Journal.inspect(files.journal);
    const first = j.records[0];
    const last = j.records.at(-1);
    out(`journal ${files.journal}: ${j.size} bytes, ${j.records.length} good record(s)` +
      (first && last ? `, sequence ${first.seq}..${last.seq}, serial ${first.serial}..${last.serial}` : ''));
    if (j.cut) out(`  an interrupted final append (never acknowledged) of ${j.cut.bytes} byte(s) at offset ${j.cut.offset}: ${j.cut.problem}; the server cuts it at start`);
    if (j.damage) {
      damaged++;
      out(`  DAMAGED: ${describeDamage(j.damage)}`);
      out(`  a repair keeps the ${j.damage.kept} good record(s), drops ${j.damage.bytes} byte(s)` +
        (j.damage.salvaged > 0 ? ` holding the damaged record and ${j.damage.salvaged} readable acknowledged record(s) after it (sequence up to ${j.damage.salvagedSeq}, serial up to ${j.damage.salvagedSerial})` : ' (the damaged record and whatever followed it)') +
        ', and raises the serial past every serial they may have served');
    }
  }
  if (!existsSync(files.history)) out(`IXFR history ${files.history}: none`);
  else {
    const buf = readFileSync(files.history);
    const h = decodeHistory(buf);
    const first = h.diffs[0];
    const last = h.diffs.at(-1);
    out(`IXFR history ${files.history}: ${buf.length} bytes, ${h.diffs.length} good difference(s)` +
      (first && last ? `, serial ${serialOf(first.from)}..${serialOf(last.to)}` : ''));
    if (h.damage === 'torn') out(`  an interrupted final append of ${buf.length - h.goodBytes} byte(s) at offset ${h.goodBytes}: ${h.problem}; the server cuts it at start`);
    if (h.damage === 'damaged') {
      damaged++;
      const lost = salvageHistory(buf, Math.max(h.goodBytes, 8));
      out(`  DAMAGED: ${h.problem}; a repair keeps ${h.diffs.length} difference(s) and drops ${buf.length - h.goodBytes} byte(s)` +
        (lost.length > 0 ? ` holding ${lost.length} readable difference(s) up to serial ${serialOf(lost.at(-1)!.to)}` : '') +
        ' (secondaries asking for those serials get a full AXFR)');
    }
  }
  out(damaged > 0 ? `zone ${zc.name}: damaged` : `zone ${zc.name}: ok`);
  return damaged > 0 ? 1 : 0;
}

/** Repairs both files of a zone (copies kept); the caller holds the data directory lock. */
export async function repairJournal(config: Config, zc: ZoneConfig, out: Out): Promise<number> {
  const files = zoneFiles(config, zc.name);
  const before = existsSync(files.journal) ? Journal.inspect(files.journal) : null;
  const hbuf = existsSync(files.history) ? readFileSync(files.history) : null;
  const hdamaged = hbuf !== null && decodeHistory(hbuf).damage === 'damaged';
  if (!before?.damage && !before?.cut && !hdamaged) {
    out(`zone ${zc.name}: nothing to repair`);
    return 0;
  }
  if (before && (before.damage || before.cut)) {
    if (zc.type === 'secondary') {
      out(`zone ${zc.name} is a secondary zone: it has no journal to repair`);
      return 1;
    }
    const log = createLogger('silent');
    const loaded = loadZones([zc], log);
    if (loaded.failures.length > 0) {
      out(`cannot repair: the zone file does not load (needed for the serial): ${loaded.failures[0]!.message}`);
      return 1;
    }
    const updates = new UpdateManager({ dataDir: config.server.dataDir, log });
    const served = updates.adopt([{ ...zc, journal: { onCorrupt: 'truncate' } }], loaded.zones);
    await updates.close();
    const after = Journal.inspect(files.journal);
    if (before.damage) {
      out(`journal ${files.journal}: kept ${before.damage.kept} good record(s), dropped ${before.damage.bytes} byte(s); copy: ${readCopyName(files.journal)}`);
      out(`  serial now ${served[0]?.serial}`);
    } else {
      out(`journal ${files.journal}: cut an interrupted final append of ${before.cut!.bytes} byte(s)`);
    }
    out(`journal ${files.journal}: now ${after.size} bytes, ${after.records.length} good record(s)`);
  }
  if (hdamaged) {
    const loaded = HistoryFile.open(files.history, historyDefaults, () => undefined, 'truncate');
    out(`IXFR history ${files.history}: kept ${loaded.diffs.length} difference(s)` + (loaded.cut?.copy ? `; copy: ${loaded.cut.copy}` : ''));
    await loaded.file.flush();
  }
  return 0;
}

/** The newest `<file>.corrupt-*` copy, for the report. */
function readCopyName(path: string): string {
  const prefix = `${basename(path)}.corrupt-`;
  const copies = readdirSync(dirname(path)).filter((f) => f.startsWith(prefix)).sort();
  return copies.length > 0 ? join(dirname(path), copies.at(-1)!) : '(none)';
}
