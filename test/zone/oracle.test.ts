/**
 * Oracle test: what loadZoneFile reads must equal what BIND's `named-compilezone -o - -i none
 * ORIGIN FILE` reads from the same file. Compared twice, as sets:
 * - as text, `owner ttl class type rdata` with case and whitespace outside quoted strings
 *   normalised (our rrToText against BIND's lines);
 * - as data: BIND's output parsed back into wire RDATA and compared byte for byte.
 * named-compilezone (package bind9-utils) must be installed: without it this test fails.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { canonicalName } from '../../src/wire/name.js';
import { rrToText } from '../../src/wire/presentation.js';
import type { RR } from '../../src/wire/types.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { parseZone } from '../../src/zone/parser.js';

const TOOL = 'named-compilezone';

function bindRead(file: string, origin: string): string {
  return execFileSync(TOOL, ['-o', '-', '-i', 'none', origin, basename(file)], {
    cwd: dirname(file),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Lower-cases and collapses whitespace outside "quoted strings" (escapes respected). */
function normalise(s: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') { out += quoted ? c + (s[i + 1] ?? '') : (c + (s[i + 1] ?? '')).toLowerCase(); i++; continue; }
    if (c === '"') { quoted = !quoted; out += c; continue; }
    if (quoted) { out += c; continue; }
    if (/\s/.test(c)) { if (!out.endsWith(' ')) out += ' '; continue; }
    out += c.toLowerCase();
  }
  return out.trim();
}

function bindLines(out: string): string[] {
  return out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';')).map(normalise).sort();
}

const wireKey = (rr: RR): string =>
  `${canonicalName(rr.name)} ${rr.ttl} ${rr.class} ${rr.type} ${Buffer.from(rr.rdata).toString('hex')}`;

function compare(t: Test, file: string, origin: string): void {
  let out: string;
  try {
    out = bindRead(file, origin);
  } catch (e) {
    const err = e as { code?: string; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') {
      t.fail(`${TOOL} is not installed: install bind9-utils (apt-get install bind9-utils) to run the oracle test`);
    } else {
      t.fail(`${TOOL} rejected ${file}: ${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
    return;
  }
  const ours = loadZoneFile(file, origin, { allowInclude: true }).zone.records();
  t.ok(ours.length > 0, `${file} has records`);
  t.same(ours.map((rr) => normalise(rrToText(rr))).sort(), bindLines(out), `${file}: text equals BIND's`);
  const theirs = parseZone(out, { origin: '.', file: `${TOOL} output` }).rrs;
  t.same(ours.map(wireKey).sort(), theirs.map(wireKey).sort(), `${file}: data equals BIND's`);
}

t.test(`${TOOL} is installed`, async (t) => {
  try {
    t.match(execFileSync(TOOL, ['-v'], { encoding: 'utf8' }), /^9\./);
  } catch {
    t.fail(`${TOOL} is not installed: install bind9-utils (apt-get install bind9-utils) to run the oracle test`);
  }
});

t.test('zones/home.lan.zone', async (t) => compare(t, 'zones/home.lan.zone', 'home.lan.'));
t.test('zones/1.168.192.in-addr.arpa.zone', async (t) => compare(t, 'zones/1.168.192.in-addr.arpa.zone', '1.168.192.in-addr.arpa.'));
t.test('test/fixtures/zones/tricky.zone (with $INCLUDE)', async (t) => compare(t, 'test/fixtures/zones/tricky.zone', 'tricky.example.'));

t.test('default TTL and RRset TTL rules match BIND', async (t) => {
  const dir = t.testdir({
    // no $TTL: RFC 1035 rule (previous explicit TTL), groups of one owner, a later group wins
    'rfc1035.zone': `@ 3600 IN SOA ns1 host 1 2 3 4 300
  NS ns1
ns1 A 192.0.2.1
x 700 A 192.0.2.10
y A 192.0.2.11
x 600 A 192.0.2.12
x 800 A 192.0.2.13
w 500 A 192.0.2.14
y A 192.0.2.15
w 900 A 192.0.2.16
`,
    // SOA without TTL: its MINIMUM becomes the default; types interleaved in one group
    'soamin.zone': `@ IN SOA ns1 host 1 2 3 4 300
  NS ns1
ns1 A 192.0.2.1
x 700 A 192.0.2.10
x 600 TXT "a"
x 800 A 192.0.2.11
X 900 A 192.0.2.12
z A 192.0.2.13
big 2147483648 A 192.0.2.14
`,
  });
  compare(t, join(dir, 'rfc1035.zone'), 'example.');
  compare(t, join(dir, 'soamin.zone'), 'example.');
});

t.test('the comparison notices a difference', async (t) => {
  const dir = t.testdir({ 'z.zone': '$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n' });
  const file = join(dir, 'z.zone');
  const out = bindRead(file, 'example.');
  const ours = loadZoneFile(file, 'example.').zone.records();
  writeFileSync(file, '$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.2\n');
  const changed = bindRead(file, 'example.');
  t.same(ours.map((rr) => normalise(rrToText(rr))).sort(), bindLines(out));
  t.notSame(ours.map((rr) => normalise(rrToText(rr))).sort(), bindLines(changed));
});
