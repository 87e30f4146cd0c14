import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULTS } from '../../src/config/index.js';
import { BUILTIN_NETWORKS } from '../../src/config/net.js';
import { ROOT } from '../helpers/daemon.js';

const README = readFileSync(join(ROOT, 'src/config/README.md'), 'utf8');
const rows = new Map<string, string>();
for (const line of README.split('\n')) {
  const m = /^\| `([^`]+)`/.exec(line);
  if (m) rows.set(m[1]!, line);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf keys of the defaults table with their values (`x[]` entries are list-item defaults). */
function leaves(value: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(value)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    const perProtocol = isMap(v) && Object.values(v).every((x) => typeof x === 'number');
    if (isMap(v) && Object.keys(v).length > 0 && !perProtocol) out.push(...leaves(v, path));
    else out.push([path, v]);
  }
  return out;
}

function render(v: unknown): string[] {
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? [`\`[${v.join(', ')}]\``] : [];
  if (isMap(v)) return Object.keys(v).length === 0 ? ['`{}`'] : Object.values(v).map((x) => `\`${x}\``);
  return [`\`${v}\``];
}

t.test('every default is documented, with its value', async (t) => {
  for (const [path, value] of leaves(DEFAULTS)) {
    const row = rows.get(path);
    if (!t.ok(row, `${path} is documented`)) continue;
    const cell = row!.split('|')[2]!;
    for (const text of render(value)) t.ok(cell.includes(text), `${path}: default ${text} in "${cell.trim()}"`);
  }
});

t.test('every network keyword is documented with its prefixes', async (t) => {
  for (const [name, prefixes] of Object.entries(BUILTIN_NETWORKS)) {
    const m = new RegExp('`' + name + '` \\(([^)]*)\\)').exec(README);
    if (!t.ok(m, `${name} documented`)) continue;
    t.equal(m![1]!.split(',').length, prefixes.length, `${name} lists ${prefixes.length} prefixes`);
  }
});
