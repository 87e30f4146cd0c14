import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ROOT } from '../helpers/daemon.js';
import { BlockSet } from '../../src/blocking/set.js';
import { nameToWire } from '../../src/wire/name.js';

/** The compiled worker script (dist/, what the daemon starts for large lists) rebuilds a set. */
t.test('dist/blocking/worker.js compiles a list and hands back shared arrays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-worker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'l.txt'), '0.0.0.0 a.example\n||b.example^\n@@||ok.b.example^\n');
  const worker = new Worker(join(ROOT, 'dist/blocking/worker.js'));
  t.teardown(() => worker.terminate());
  const reply = await new Promise<{ ok: boolean; result: { set: ConstructorParameters<typeof BlockSet>[0]; sources: { stats: { entries: number } }[] } }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.postMessage({ sources: [{ id: 'x', bits: 1, allowOnly: false, path: join(dir, 'l.txt'), previous: null }], exempt: [], maxSize: 1 << 20 });
  });
  t.equal(reply.ok, true);
  t.equal(reply.result.sources[0]!.stats.entries, 2);
  t.ok(reply.result.set.keys.buffer instanceof SharedArrayBuffer, 'shared, not copied');
  const set = new BlockSet(reply.result.set);
  t.equal(set.match(nameToWire('x.a.example.'), 0, 1), 0);
  t.equal(set.match(nameToWire('ok.b.example.'), 0, 1), -1);
});
