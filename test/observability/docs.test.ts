import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HORIZOND_METRICS } from '../../src/observability/catalog.js';
import { ROOT } from '../helpers/daemon.js';

/** docs/operations.md documents every metric, with its type and labels, and no other. */

const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');

t.test('every metric is in the table with its type, labels and help', async (t) => {
  for (const def of HORIZOND_METRICS) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${def.name}\` |`));
    t.ok(row, `${def.name} documented`);
    if (row === undefined) continue;
    const [, type, labels, help] = row.slice(1, -1).split('|').map((c) => c.trim());
    t.equal(type, def.type, `${def.name} type`);
    t.same(labels === '' ? [] : labels!.split(', ').map((l) => l.replaceAll('`', '')), def.labelNames, `${def.name} labels`);
    t.equal(help, def.help, `${def.name} help`);
  }
});

t.test('no metric is documented that does not exist', async (t) => {
  const known = new Set(HORIZOND_METRICS.map((d) => d.name));
  const histograms = HORIZOND_METRICS.filter((d) => d.type === 'histogram').map((d) => d.name);
  for (const name of new Set(doc.match(/\bhorizond_[a-z0-9_]+/g) ?? [])) {
    const base = histograms.find((h) => name === `${h}_bucket` || name === `${h}_sum` || name === `${h}_count`);
    t.ok(known.has(name) || base !== undefined, `${name} exists`);
  }
});
