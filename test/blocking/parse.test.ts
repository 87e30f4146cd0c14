import t from 'tap';
import { EntryKind, parseList } from '../../src/blocking/parse.js';

function parse(text: string | Buffer, allowOnly = false) {
  const entries: string[] = [];
  const stats = parseList(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'), {
    entry(kind, buf, from, to, line) {
      entries.push(`${kind === EntryKind.Allow ? 'allow' : 'block'} ${Buffer.from(buf.subarray(from, to)).toString('latin1')} @${line}`);
    },
  }, allowOnly);
  return { entries, stats };
}

t.test('every supported format, line by line', async (t) => {
  const { entries, stats } = parse([
    '# hosts file',
    '0.0.0.0 ads.example.com',
    '127.0.0.1 Tracker.Example.NET  # inline comment',
    '::1 six.example.org',
    '0.0.0.0 a.example b.example c.example',
    '127.0.0.1 localhost',
    '::1 ip6-localhost ip6-loopback',
    '255.255.255.255 broadcasthost',
    'plain.example.com',
    'trailing.example.com.',
    '*.wild.example.com',
    '! adblock comment',
    '[Adblock Plus 2.0]',
    '||adblock.example.com^',
    '||important.example.com^$important',
    '@@||allowed.example.com^',
    '',
    '   \t ',
  ].join('\r\n'));
  t.same(entries, [
    'block ads.example.com @2',
    'block Tracker.Example.NET @3',
    'block six.example.org @4',
    'block a.example @5', 'block b.example @5', 'block c.example @5',
    'block plain.example.com @9',
    'block trailing.example.com @10',
    'block wild.example.com @11',
    'block adblock.example.com @14',
    'block important.example.com @15',
    'allow allowed.example.com @16',
  ]);
  t.equal(stats.entries, 11);
  t.equal(stats.allowEntries, 1);
  t.equal(stats.skipped, 4, 'localhost-style hosts entries are skipped');
  t.equal(stats.invalid, 0);
  t.equal(stats.unsupported, 0);
  t.equal(stats.lines, 18);
});

t.test('other AdBlock syntax is unsupported, broken lines are invalid, both sampled', async (t) => {
  const { entries, stats } = parse([
    '||example.com/ads/*',
    '/banner[0-9]+/',
    'example.com##.ad-banner',
    '||third.example.com^$third-party',
    '@@/regex/',
    '|https://example.com/x',
    '||ads*.example.com^',
    'not a domain line',
    'bad..name.example',
    '-',
    `${'a'.repeat(64)}.example.com`,
    '0.0.0.0',
    '1.2.3.4 ok.example.com',
  ].join('\n'));
  t.same(entries, ['block ok.example.com @13']);
  t.equal(stats.unsupported, 7);
  t.equal(stats.invalid, 5);
  t.same(stats.unsupportedSamples, ['line 1: ||example.com/ads/*', 'line 2: /banner[0-9]+/', 'line 3: example.com##.ad-banner']);
  t.equal(stats.invalidSamples.length, 3);
  t.match(stats.invalidSamples[0], /^line 8: not a domain line$/);
});

t.test('binary garbage is invalid, never an entry', async (t) => {
  const junk = Buffer.alloc(4096);
  let x = 12345;
  for (let i = 0; i < junk.length; i++) { x = (x * 1103515245 + 12345) & 0x7fffffff; junk[i] = x & 0xff; }
  const { entries, stats } = parse(junk);
  t.equal(entries.length, 0);
  t.ok(stats.invalid > 0);
  t.ok(stats.invalidSamples.every((s) => /^line \d+: [\x20-\x7e]*$/.test(s)), 'samples are printable');
});

t.test('allowlist sources make every entry an allow entry; a BOM is ignored', async (t) => {
  const { entries, stats } = parse(Buffer.from('\ufeffgood.example\n0.0.0.0 also.example\n||third.example^\n', 'utf8'), true);
  t.same(entries, ['allow good.example @1', 'allow also.example @2', 'allow third.example @3']);
  t.equal(stats.allowEntries, 3);
  t.equal(stats.entries, 0);
});
