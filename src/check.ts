import { loadConfig } from './config/index.js';
import type { Config, ZoneConfig } from './config/types.js';
import { createLogger } from './observability/log.js';
import { displayPath } from './zone/catalog.js';
import { formatIssue } from './zone/errors.js';
import { loadZoneFile } from './zone/load.js';

/** Where `check` writes its report (the process's stdout/stderr, or a test's buffers). */
export interface CheckOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * `horizond check`: loads the config, reports every zone (records or the first error), then
 * builds everything the daemon builds at start (the same Server.create, as a query worker does:
 * no data directory lock, journals read only, no transfers), so a config check passes exactly
 * when the daemon would start with it, ports aside. Returns the exit code. A ConfigError is
 * thrown to the caller, which prints it as for the daemon.
 */
export async function checkConfig(file: string, o: CheckOutput): Promise<number> {
  const config = await loadConfig(file);
  let errors = 0;
  for (const zc of allZones(config)) {
    if (zc.type === 'secondary') {
      o.out(`zone ${zc.name}: secondary of ${zc.primaries.map((p) => `${p.address}:${p.port}`).join(', ')}`);
      continue;
    }
    try {
      const { zone, warnings } = loadZoneFile(displayPath(zc.file), zc.name, { allowInclude: zc.allowInclude });
      for (const w of warnings) o.err(`warning: ${formatIssue(w)}`);
      o.out(`zone ${zone.origin} serial ${zone.serial}: ${zone.records().length} records`);
    } catch (err) {
      errors++;
      o.err((err as Error).message);
    }
  }
  if (errors > 0) return 1;
  const { Server } = await import('./server.js');
  const server = await Server.create(file, { role: 'query', log: createLogger('silent') });
  await server.stop();
  o.out(`${displayPath(file)}: ok`);
  return 0;
}

/** Global zones, then the zones only a view serves (each configuration once). */
export function allZones(config: Config): ZoneConfig[] {
  return [...new Set([...config.zones, ...config.views.list.flatMap((v) => v.zones)])];
}

