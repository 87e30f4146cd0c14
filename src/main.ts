#!/usr/bin/env -S node --optimize-for-size
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/index.js';
import { createLogger } from './observability/log.js';
import { serve } from './daemon.js';
import { loadZoneFile } from './zone/load.js';
import { displayPath, loadZones } from './zone/catalog.js';
import { UpdateManager } from './update/manager.js';
import { canonicalName, fqdn } from './wire/name.js';
import type { Config, ZoneConfig } from './config/types.js';
import { formatIssue } from './zone/errors.js';
import { rrToText } from './wire/presentation.js';
import { dumpZone } from './zone/dump.js';
import { ERRORS, HzError } from './errors/index.js';
import { checkJournal, repairJournal } from './update/journal-cli.js';
import { DataDirLock } from './util/data-dir-lock.js';

const USAGE = `usage:
  horizond [--config FILE]                 serve (default config: config/horizond.yaml)
  horizond check [--config FILE]           validate config and zones, exit non-zero on error
  horizond zone dump NAME [--config FILE]  print a zone as served, in RFC 1035 format
  horizond journal check ZONE [--config FILE]   show a zone's journal and IXFR history, and any damage
  horizond journal repair ZONE [--config FILE]  cut damaged files at their last good record (server
                                                stopped; copies kept as <file>.corrupt-<time>)
  horizond --version`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface Args { command: 'serve' | 'check' | 'dump' | 'journal-check' | 'journal-repair' | 'version' | 'help'; config: string; zone?: string }

function parseArgs(argv: string[]): Args {
  const out: Args = { command: 'serve', config: 'config/horizond.yaml' };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (!v) throw new UsageError('--config needs a file');
      out.config = v;
    } else if (a.startsWith('--config=')) out.config = a.slice(9);
    else if (a === '--version' || a === '-v') out.command = 'version';
    else if (a === '--help' || a === '-h') out.command = 'help';
    else rest.push(a);
  }
  if (rest[0] === 'check' && rest.length === 1) out.command = 'check';
  else if (rest[0] === 'zone' && rest[1] === 'dump' && rest.length === 3) { out.command = 'dump'; out.zone = rest[2]!; }
  else if (rest[0] === 'journal' && (rest[1] === 'check' || rest[1] === 'repair') && rest.length === 3) { out.command = `journal-${rest[1]}`; out.zone = rest[2]!; }
  else if (rest.length > 0) throw new UsageError(`unknown arguments: ${rest.join(' ')}`);
  return out;
}

class UsageError extends HzError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('HZ_ERR_USAGE', message);
  }
}

async function check(file: string): Promise<number> {
  const config = await loadConfig(file);
  let errors = 0;
  for (const zc of allZones(config)) {
    if (zc.type === 'secondary') {
      process.stdout.write(`zone ${zc.name}: secondary of ${zc.primaries.map((p) => `${p.address}:${p.port}`).join(', ')}\n`);
      continue;
    }
    try {
      const { zone, warnings } = loadZoneFile(displayPath(zc.file), zc.name, { allowInclude: zc.allowInclude });
      for (const w of warnings) process.stderr.write(`warning: ${formatIssue(w)}\n`);
      process.stdout.write(`zone ${zone.origin} serial ${zone.serial}: ${zone.records().length} records\n`);
    } catch (err) {
      errors++;
      process.stderr.write(`${(err as Error).message}\n`);
    }
  }
  if (errors > 0) return 1;
  process.stdout.write(`${displayPath(file)}: ok\n`);
  return 0;
}

/** Global zones, then the zones only a view serves (each configuration once). */
function allZones(config: Config): ZoneConfig[] {
  return [...new Set([...config.zones, ...config.views.list.flatMap((v) => v.zones)])];
}

/**
 * The zone as served: the file's records with the journaled dynamic records on top (the
 * journal is read, never written, so this is safe beside a running server), or the
 * transferred copy of a secondary zone.
 */
async function dump(file: string, name: string): Promise<number> {
  const config = await loadConfig(file);
  const key = canonicalName(fqdn(name));
  const zc = allZones(config).find((z) => z.name === key);
  if (!zc) {
    process.stderr.write(`zone ${name} is not configured in ${displayPath(file)}\n`);
    return 1;
  }
  const log = createLogger('silent');
  const loaded = zc.type === 'secondary' ? null : loadZones([zc], log);
  if (loaded && loaded.failures.length > 0) {
    process.stderr.write(`${loaded.failures[0]!.message}\n`);
    return 1;
  }
  let zone;
  if (loaded) {
    const updates = new UpdateManager({ dataDir: config.server.dataDir, log, readOnly: true });
    zone = updates.adopt([zc], loaded.zones, config.server.journal)[0];
    await updates.close();
    if (zone === undefined) {
      process.stderr.write(`${updates.failures()[0]?.message ?? 'the zone is not served'}\n`);
      return 1;
    }
  } else {
    zone = loadZoneFile(displayPath(zc.file), zc.name).zone;
  }
  process.stdout.write(dumpZone(zone, rrToText));
  return 0;
}

/** `journal check|repair ZONE`: see update/journal-cli.ts. */
async function journal(file: string, name: string, repair: boolean): Promise<number> {
  const config = await loadConfig(file);
  const key = canonicalName(fqdn(name));
  const zc = allZones(config).find((z) => z.name === key);
  if (!zc) {
    process.stderr.write(`zone ${name} is not configured in ${displayPath(file)}\n`);
    return 1;
  }
  const out = (line: string): void => { process.stdout.write(`${line}\n`); };
  if (!repair) return checkJournal(config, zc, out);
  const lock = await DataDirLock.acquire(config.server.dataDir); // never repair under a running server
  try {
    return await repairJournal(config, zc, out);
  } finally {
    await lock.release();
  }
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  try {
    switch (args.command) {
      case 'version': process.stdout.write(`horizond ${version()}\n`); return;
      case 'help': process.stdout.write(`${USAGE}\n`); return;
      case 'check': process.exitCode = await check(args.config); return;
      case 'dump': process.exitCode = await dump(args.config, args.zone!); return;
      case 'journal-check': process.exitCode = await journal(args.config, args.zone!, false); return;
      case 'journal-repair': process.exitCode = await journal(args.config, args.zone!, true); return;
      case 'serve': await serve(args.config); return;
    }
  } catch (err) {
    // Errors meant for the operator (src/errors, docs/errors.md) are printed without a stack.
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    if (err instanceof HzError && ERRORS[err.code].operator) {
      process.stderr.write(`horizond: ${err.message} [${err.code}]\n`);
      process.exit(1);
    }
    process.stderr.write(`horizond: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}

void main();
