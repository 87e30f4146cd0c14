import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { ROOT } from '../helpers/daemon.js';

/** Every example in config/examples/ loads with the real loader, from the repository root. */
const dir = join(ROOT, 'config', 'examples');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  t.test(file, async (t) => {
    const c = await loadConfig(join(dir, file));
    t.ok(c.zones.length > 0);
  });
}

t.test('querylog-postgres.yaml shows the postgres sink with its password from a file', async (t) => {
  const c = await loadConfig(join(dir, 'querylog-postgres.yaml'));
  t.match(c.queryLog.sinks, [{ type: 'sqlite' }, { type: 'postgres', url: 'postgres://horizond@127.0.0.1:5432/dns', passwordFile: '/run/secrets/pg', batchRows: 5000, flushInterval: 1 }]);
});
