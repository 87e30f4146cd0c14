import t from 'tap';
import { rrToText } from '../../src/wire/presentation.js';
import type { RR } from '../../src/wire/types.js';
import { ZoneParser, parseZone, type ZoneParserOptions } from '../../src/zone/parser.js';
import { parseTtl } from '../../src/zone/ttl.js';

const SOA = '@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n';

function parse(text: string, opts: Partial<ZoneParserOptions> = {}) {
  return parseZone(text, { origin: 'example.', file: 'zones/example.zone', ...opts });
}

/** Records as `owner ttl class type rdata` lines, tabs made single spaces. */
function lines(text: string, opts: Partial<ZoneParserOptions> = {}): string[] {
  return parse(text, opts).rrs.map((rr: RR) => rrToText(rr).replace(/\t/g, ' '));
}

t.test('TTL syntax', async (t) => {
  t.equal(parseTtl('3600'), 3600);
  t.equal(parseTtl('1h30m'), 5400);
  t.equal(parseTtl('1w'), 604800);
  t.equal(parseTtl('2d'), 172800);
  t.equal(parseTtl('1W2D3h4M5s'), 788645);
  t.equal(parseTtl('0'), 0);
  t.equal(parseTtl('1h30'), undefined, 'a number without a unit after a unit is not a TTL');
  t.equal(parseTtl('h'), undefined);
  t.equal(parseTtl('4294967296'), Infinity);
});

t.test('names: @, relative, absolute, $ORIGIN absolute and relative, escapes', async (t) => {
  const out = lines(`$TTL 60\n${SOA}a A 192.0.2.1\nb.example.org. A 192.0.2.2\n$ORIGIN sub.example.\nc A 192.0.2.3\n@ A 192.0.2.4\n$ORIGIN deeper\nd A 192.0.2.5\nx\\.y A 192.0.2.6\n\\065bc A 192.0.2.7\n`);
  t.same(out.slice(1), [
    'a.example. 60 IN A 192.0.2.1',
    'b.example.org. 60 IN A 192.0.2.2',
    'c.sub.example. 60 IN A 192.0.2.3',
    'sub.example. 60 IN A 192.0.2.4',
    'd.deeper.sub.example. 60 IN A 192.0.2.5',
    'x\\.y.deeper.sub.example. 60 IN A 192.0.2.6',
    'Abc.deeper.sub.example. 60 IN A 192.0.2.7',
  ]);
  t.equal(out[0], 'example. 60 IN SOA ns1.example. hostmaster.example. 1 3600 900 604800 300');
});

t.test('blank owner repeats the previous owner, also across $ORIGIN (with a warning)', async (t) => {
  const r = parse(`$TTL 60\n${SOA}  NS ns1\nhost A 192.0.2.1\n\tAAAA 2001:db8::1\n$ORIGIN other.example.\n  TXT "still host"\n`);
  t.same(r.rrs.map((rr) => rr.name), ['example.', 'example.', 'host.example.', 'host.example.', 'host.example.']);
  t.same(r.warnings.map((w) => `${w.pos!.line}:${w.pos!.col} ${w.message}`), [
    '7:3 record inherits the owner host.example. right after $ORIGIN other.example.',
  ]);
});

t.test('TTL and class in either order, both optional, any case', async (t) => {
  const out = lines(`$TTL 1d\n${SOA}a 300 IN A 192.0.2.1\nb IN 300 A 192.0.2.2\nc in a 192.0.2.3\nd 1h30m A 192.0.2.4\ne A 192.0.2.5\nf CLASS1 TYPE1 \\# 4 c0000206\n`);
  t.same(out.slice(1), [
    'a.example. 300 IN A 192.0.2.1',
    'b.example. 300 IN A 192.0.2.2',
    'c.example. 86400 IN A 192.0.2.3',
    'd.example. 5400 IN A 192.0.2.4',
    'e.example. 86400 IN A 192.0.2.5',
    'f.example. 86400 IN A 192.0.2.6',
  ]);
});

t.test('default TTL: $TTL, else previous explicit TTL, else SOA MINIMUM (as BIND)', async (t) => {
  const dollar = parse(`$TTL 120\n${SOA}a 30 A 192.0.2.1\nb A 192.0.2.2\n`);
  t.same(dollar.rrs.map((r) => r.ttl), [120, 30, 120], '$TTL wins over the previous TTL');
  t.same(dollar.warnings, []);

  const rfc1035 = parse(`@ 500 IN SOA ns1 hostmaster 1 3600 900 604800 300\na A 192.0.2.1\nb 30 A 192.0.2.2\nc A 192.0.2.3\n`);
  t.same(rfc1035.rrs.map((r) => r.ttl), [500, 500, 30, 30], 'without $TTL the last explicit TTL carries');
  t.same(rfc1035.warnings.map((w) => `${w.pos!.line} ${w.message}`), [
    '2 no TTL and no $TTL: using the previous TTL (RFC 1035 rule)',
  ]);

  const soaMin = parse(`${SOA}a 30 A 192.0.2.1\nb A 192.0.2.2\n`);
  t.same(soaMin.rrs.map((r) => r.ttl), [300, 30, 300], 'the SOA MINIMUM becomes the default, like $TTL');
  t.match(soaMin.warnings[0]!.message, 'using the SOA MINIMUM (300)');

  t.throws(() => parse(`a A 192.0.2.1\n${SOA}`), {
    name: 'ZoneParseError',
    message: 'zones/example.zone:1:1: no TTL specified (use $TTL or give one on the first record)',
  });
});

t.test('a TTL above 2^31-1 loads as 0 with a warning; above 2^32-1 is an error', async (t) => {
  const r = parse(`$TTL 60\n${SOA}a 2147483648 A 192.0.2.1\nb 2147483647 A 192.0.2.2\n`);
  t.same(r.rrs.slice(1).map((x) => x.ttl), [0, 2147483647]);
  t.same(r.warnings.map((w) => `${w.pos!.line}:${w.pos!.col} ${w.message}`), [
    '3:3 TTL 2147483648 is above 2^31-1; using 0 (RFC 2181 §8)',
  ]);
  t.throws(() => parse(`$TTL 60\n${SOA}a 4294967296 A 192.0.2.1\n`), {
    message: 'zones/example.zone:3:3: TTL 4294967296 is out of range',
  });
});

t.test('parentheses, comments and quoted strings inside RDATA', async (t) => {
  const out = lines(`$TTL 60\n@ IN SOA ( ns1 ; primary\n  hostmaster ( 2024 ) ; nested\n  1h 15m 2w 300 )\nt TXT "a ; b" ( "(c)" ; not a comment: the quote is closed\n  "d" )\n`);
  t.same(out, [
    'example. 60 IN SOA ns1.example. hostmaster.example. 2024 3600 900 1209600 300',
    't.example. 60 IN TXT "a ; b" "(c)" "d"',
  ]);
});

t.test('RFC 3597: TYPEnnn, CLASSnnn and \\# for known and unknown types', async (t) => {
  const out = lines(`$TTL 60\n${SOA}u TYPE65280 \\# 3 abcdef\nv CLASS1 TYPE65281 \\# 0\nw A \\# 4 C0 00 02 01\nx TYPE16 "text"\n`);
  t.same(out.slice(1), [
    'u.example. 60 IN TYPE65280 \\# 3 ABCDEF',
    'v.example. 60 IN TYPE65281 \\# 0',
    'w.example. 60 IN A 192.0.2.1',
    'x.example. 60 IN TXT "text"',
  ]);
});

t.test('pull API: one record per next(), null at the end, position of each', async (t) => {
  const p = new ZoneParser(`$TTL 60\n${SOA}  NS ns1\n\nns1 A 192.0.2.1\n`, { origin: 'example.', file: 'f.zone' });
  const seen: string[] = [];
  for (let rr = p.next(); rr !== null; rr = p.next()) seen.push(`${rr.name} ${rr.type} @${p.position.line}:${p.position.col}`);
  t.same(seen, ['example. 6 @2:1', 'example. 2 @3:3', 'ns1.example. 1 @5:1']);
  t.equal(p.next(), null, 'stays at the end');
});

t.test('syntax errors name file:line:col', async (t) => {
  const cases: [string, string][] = [
    [`$TTL 60\n${SOA}host IN AA 192.0.2.2\n`, '3:9: unknown RR type "AA"'],
    [`$TTL 60\n${SOA}host 1h30 A 192.0.2.2\n`, '3:6: bad TTL "1h30"'],
    [`$TTL 60\n${SOA}host 60 60 A 192.0.2.2\n`, '3:9: TTL given twice ("60")'],
    [`$TTL 60\n${SOA}host IN IN A 192.0.2.2\n`, '3:9: class given twice ("IN")'],
    [`$TTL 60\n${SOA}v CH TXT "x"\n`, '3:3: class CH does not match the zone class IN'],
    [`$TTL 60\n${SOA}host 60 IN\n`, '3:9: missing RR type'],
    [`$TTL 60\n${SOA}host AXFR x\n`, '3:6: AXFR is not a type of zone data'],
    [`$TTL 60\n${SOA}host A 192.0.2.300\n`, '3:8: A: "192.0.2.300" is not an IPv4 address'],
    [`$TTL 60\n${SOA}"quoted" A 192.0.2.1\n`, '3:1: a name cannot be quoted: "quoted"'],
    [`$TTL 60\n${SOA}a..b A 192.0.2.1\n`, '3:1: bad name "a..b": empty label in name "a..b.example."'],
    [`$TTL 60\n${SOA}${'x'.repeat(64)} A 192.0.2.1\n`, `3:1: bad name "${'x'.repeat(64)}": label longer than 63 bytes in "${'x'.repeat(64)}.example."`],
    [`$TTL\n`, '1:1: $TTL needs a value'],
    [`$TTL 1x\n`, '1:6: bad $TTL value "1x"'],
    [`$ORIGIN a. b.\n`, '1:12: unexpected text after $ORIGIN value'],
    [`$GENERATE 1-2 h$ A 192.0.2.$\n`, '1:1: unsupported directive $GENERATE'],
    [`$TTL 60\n   A 192.0.2.1\n`, '2:4: no owner name, and no previous record to take it from'],
    [`$TTL 60\n$INCLUDE other.zone\n`, '2:1: $INCLUDE is not enabled for this zone'],
  ];
  for (const [text, msg] of cases) {
    t.throws(() => parse(text), { name: 'ZoneParseError', message: `zones/example.zone:${msg}` }, msg);
  }
});

t.test('$INCLUDE: relative to the including file, origin argument, state restored', async (t) => {
  const files: Record<string, string> = {
    '/srv/zones/sub/inc.zone': '$TTL 99\n@ A 192.0.2.100\nhost A 192.0.2.101\n  TXT "inside"\n$ORIGIN deep.example.\nd A 192.0.2.102\n',
  };
  const read = (p: string): string => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return f;
  };
  const text = `$TTL 60\n${SOA}before A 192.0.2.1\n$INCLUDE sub/inc.zone inc ; comment\n  TXT "after"\nlast A 192.0.2.2\n`;
  const opts = { file: '/srv/zones/main.zone', allowInclude: true, readFile: read };
  const r = parse(text, opts);
  t.same(r.rrs.map((rr) => `${rr.name} ${rr.ttl}`), [
    'example. 60', 'before.example. 60', 'inc.example. 99', 'host.inc.example. 99', 'host.inc.example. 99',
    'd.deep.example. 99', 'before.example. 99', 'last.example. 99',
  ], 'origin and previous owner come back after the include; $TTL carries over (BIND)');
  t.same(r.positions.map((p) => `${p.file}:${p.line}`).slice(2, 4), ['/srv/zones/sub/inc.zone:2', '/srv/zones/sub/inc.zone:3']);

  t.throws(() => parse(`$TTL 60\n$INCLUDE nothere.zone\n`, opts), {
    message: '/srv/zones/main.zone:2:10: cannot read $INCLUDE file /srv/zones/nothere.zone: ENOENT',
  });
});

t.test('$INCLUDE loops and runaway nesting are errors', async (t) => {
  const files: Record<string, string> = {
    '/z/a.zone': '$INCLUDE b.zone\n',
    '/z/b.zone': 'x 60 A 192.0.2.1\n$INCLUDE a.zone\n',
  };
  const readFile = (p: string): string => files[p] ?? '';
  t.throws(() => parse(files['/z/a.zone']!, { file: '/z/a.zone', allowInclude: true, readFile }), {
    message: '/z/b.zone:2:10: $INCLUDE loop: /z/a.zone is already being read',
  });
  const chain: Record<string, string> = {};
  for (let i = 0; i < 5; i++) chain[`/c/${i}.zone`] = `$INCLUDE ${i + 1}.zone\n`;
  t.throws(() => parse(chain['/c/0.zone']!, { file: '/c/0.zone', allowInclude: true, maxIncludeDepth: 3, readFile: (p) => chain[p] ?? '' }), {
    message: '/c/3.zone:1:1: $INCLUDE nested deeper than 3 files',
  });
});
