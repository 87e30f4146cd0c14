import t from 'tap';
import { RClass, RRType } from '../../src/wire/constants.js';
import { PresentationError, rrToText, type Token } from '../../src/wire/presentation.js';
import { rdataFromText, rdataToText, rrTypeFromString } from '../../src/wire/rdata/index.js';

/** Minimal zone-field splitter for tests: quoted strings, escapes kept raw, `key="v"` kept whole. */
function toks(s: string, line = 1): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') { i++; continue; }
    const col = i + 1;
    let text = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') { text += s.slice(i, i + 2); i += 2; } else text += s[i++];
      }
      i++;
      out.push({ text, quoted: true, line, col });
      continue;
    }
    let inQuote = false;
    while (i < s.length && (inQuote || (s[i] !== ' ' && s[i] !== '\t'))) {
      if (s[i] === '\\') { text += s.slice(i, i + 2); i += 2; continue; }
      if (s[i] === '"') inQuote = !inQuote;
      text += s[i++];
    }
    out.push({ text, quoted: false, line, col });
  }
  return out;
}

const ORIGIN = 'example.com.';
const type = (name: string): number => rrTypeFromString(name)!;
const parse = (tn: string, text: string, origin = ORIGIN): Uint8Array => rdataFromText(type(tn), toks(text), origin);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const DNSKEY_B64 = 'AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==';
const DNSKEY_BIND = 'AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8no kfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6z Mv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1U aNvv4w==';
const TLSA_HEX = '0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6';
const TLSA_BIND = '0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6';

/** [type, zone-file RDATA, what named-compilezone -o - prints] (outputs taken from BIND 9.18). */
const cases: [string, string, string][] = [
  ['A', '10.0.0.1', '10.0.0.1'],
  ['AAAA', '2001:db8::1', '2001:db8::1'],
  ['AAAA', '2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['AAAA', '::ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['AAAA', '::1.2.3.4', '::1.2.3.4'],
  ['AAAA', '0:0:0:0:0:0:0:0', '::'],
  ['AAAA', '::1', '::1'],
  ['AAAA', 'fe80::1:2', 'fe80::1:2'],
  ['NS', 'ns1', 'ns1.example.com.'],
  ['NS', '@', 'example.com.'],
  ['CNAME', 'Target.Example.NET.', 'Target.Example.NET.'],
  ['PTR', 'host\\.name.lan.', 'host\\.name.lan.'],
  ['SOA', 'ns1 hostmaster 2024010101 1h 15M 1w 300', 'ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300'],
  ['MX', '10 mail', '10 mail.example.com.'],
  ['MX', '0 .', '0 .'],
  ['TXT', '"hello world" "a\\"b" "\\\\x" "\\011tab" unq', '"hello world" "a\\"b" "\\\\x" "\\011tab" "unq"'],
  ['TXT', '"semi;colon" "paren(" "at@" "dollar$" "ü"', '"semi;colon" "paren(" "at@" "dollar$" "\\195\\188"'],
  ['TXT', 'ab c\\059d "\\065"', '"ab" "c;d" "A"'],
  ['TXT', '""', '""'],
  ['SPF', '"v=spf1 -all"', '"v=spf1 -all"'],
  ['HINFO', 'PC Linux', '"PC" "Linux"'],
  ['SRV', '0 5 5060 sip', '0 5 5060 sip.example.com.'],
  ['CAA', '0 issue "letsencrypt.org"', '0 issue "letsencrypt.org"'],
  ['CAA', '128 tbs "a\\"b;c"', '128 tbs "a\\"b;c"'],
  ['CAA', '0 iodef mailto:a@b.c', '0 iodef "mailto:a@b.c"'],
  ['CAA', '0 issue ""', '0 issue ""'],
  ['DHCID', 'AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=', 'AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA='],
  ['NAPTR', '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .', '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .'],
  ['SSHFP', '1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac', '1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC'],
  ['TLSA', `3 1 1 ${TLSA_HEX}`, `3 1 1 ${TLSA_BIND}`],
  ['TLSA', `3 1 1 ${TLSA_HEX.slice(0, 20)} ${TLSA_HEX.slice(20)}`, `3 1 1 ${TLSA_BIND}`],
  ['SMIMEA', `3 1 1 ${TLSA_HEX}`, `3 1 1 ${TLSA_BIND}`],
  ['DS', '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118', '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118'],
  ['CDS', '60485 RSASHA1 1 2bb183af5f22588179a53b0a98631fad1a292118', '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118'],
  ['DNSKEY', `256 3 5 ${DNSKEY_B64}`, `256 3 5 ${DNSKEY_BIND}`],
  ['CDNSKEY', `256 3 5 ${DNSKEY_BIND}`, `256 3 5 ${DNSKEY_BIND}`],
  ['RRSIG', 'A 5 3 86400 20300101000000 20000101000000 2642 example.com. AAAA', 'A 5 3 86400 20300101000000 20000101000000 2642 example.com. AAAA'],
  ['RRSIG', 'A 5 3 86400 1893456000 946684800 2642 example.com. AAAA', 'A 5 3 86400 20300101000000 20000101000000 2642 example.com. AAAA'],
  ['NSEC', 'host.example.com. A MX RRSIG NSEC TYPE1234', 'host.example.com. A MX RRSIG NSEC TYPE1234'],
  ['NSEC3', '1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG', '1 1 12 AABBCCDD 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG'],
  ['NSEC3', '1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s', '1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S'],
  ['NSEC3PARAM', '1 0 10 -', '1 0 10 -'],
  ['DNAME', 'other.example.', 'other.example.'],
  ['URI', '10 1 "ftp://ftp1.example.com/public"', '10 1 "ftp://ftp1.example.com/public"'],
  ['OPENPGPKEY', 'mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2YhvyDMXjq', 'mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2Y hvyDMXjq'],
  ['SVCB', '1 svc2 alpn="h2,h3" port=8443 ipv4hint=1.2.3.4,5.6.7.8 ipv6hint=2001:db8::1 mandatory=alpn,port',
    '1 svc2.example.com. mandatory=alpn,port alpn="h2,h3" port=8443 ipv4hint=1.2.3.4,5.6.7.8 ipv6hint=2001:db8::1'],
  ['SVCB', '0 svc', '0 svc.example.com.'],
  ['HTTPS', '1 . alpn=h2 no-default-alpn ech=AEX+DQBBpQAgACB/SxX8vjYzLjiMk5fVS0eFsgHTqkABRxH+gMIRQE+jdwAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA=',
    '1 . alpn="h2" no-default-alpn ech=AEX+DQBBpQAgACB/SxX8vjYzLjiMk5fVS0eFsgHTqkABRxH+gMIRQE+jdwAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA='],
  ['HTTPS', '1 . key667=hello key666="a\\,b" dohpath="/q{?dns}"', '1 . key7="/q{?dns}" key666="a,b" key667="hello"'],
  ['HTTPS', '1 . alpn="h2\\\\,x,h3"', '1 . alpn="h2\\\\,x,h3"'],
  ['HTTPS', '1 x ech="AEX+" port="53"', '1 x.example.com. port=53 ech=AEX+'],
  ['HTTPS', '16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1', '16 foo.example.org. mandatory=alpn,ipv4hint alpn="h2,h3-19" ipv4hint=192.0.2.1'],
  ['SVCB', '1 . key8 key9="" key10=', '1 . key8 key9 key10'],
  ['SVCB', '1 . mandatory=key9,port key9=x port=1 ipv6hint=::1,2001:db8::2', '1 . mandatory=port,key9 port=1 ipv6hint=::1,2001:db8::2 key9="x"'],
  ['SVCB', '1 . alpn="a\\"b,c d"', '1 . alpn="a\\"b,c\\032d"'],
  ['SVCB', '1 . key65000="\\000\\255"', '1 . key65000="\\000\\255"'],
  ['SVCB', '1 . alpn= "h2,h3"', '1 . alpn="h2,h3"'],
  ['LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m', '52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m'],
  ['LOC', '42 21 54 N 71 06 18 W -24m 30m', '42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m'],
  ['LOC', '0 S 0 W 0m 1m 1m 1m', '0 0 0.000 N 0 0 0.000 E 0.00m 1m 1m 1m'],
  ['LOC', '89 59 59.999 N 180 0 0 E 42849672.95m 90000000m 0.01m 0.1m', '89 59 59.999 N 180 0 0.000 E 42849672.95m 90000000m 0.01m 0.10m'],
  ['LOC', '1 N 1 E 1.5m 1.5m', '1 0 0.000 N 1 0 0.000 E 1.50m 1m 10000m 10m'],
  ['RP', 'mbox txt', 'mbox.example.com. txt.example.com.'],
  ['AFSDB', '1 afs', '1 afs.example.com.'],
  ['KX', '10 kx', '10 kx.example.com.'],
  ['CSYNC', '66 3 A NS AAAA', '66 3 A NS AAAA'],
  ['ZONEMD', '2018031500 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE',
    '2018031500 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B6 41A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE'],
  ['CERT', 'PKIX 0 0 AQID', 'PKIX 0 0 AQID'],
  ['CERT', '254 0 0 AQID', 'OID 0 0 AQID'],
  ['CERT', '65535 0 254 AQID', '65535 0 PRIVATEOID AQID'],
  ['EUI48', '00-00-5e-00-53-2a', '00-00-5e-00-53-2a'],
  ['EUI64', '00-00-5E-EF-10-00-00-2A', '00-00-5e-ef-10-00-00-2a'],
  ['MINFO', 'rm em', 'rm.example.com. em.example.com.'],
  ['MB', 'mb', 'mb.example.com.'],
  ['APL', '1:192.168.32.0/21 !1:192.168.38.0/28', '1:192.168.32.0/21 !1:192.168.38.0/28'],
  ['APL', '2:2001:db8::/32', '2:2001:db8::/32'],
  ['IPSECKEY', '10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==', '10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=='],
  ['IPSECKEY', '10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==', '10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=='],
  ['IPSECKEY', '10 3 2 gw AQNR', '10 3 2 gw.example.com. AQNR'],
  ['TYPE65400', '\\# 4 0a000001', '\\# 4 0A000001'],
  ['TYPE65400', '\\# 3 01 0203', '\\# 3 010203'],
  ['TYPE65401', '\\# 0', '\\# 0'],
  ['NULL', '\\# 2 abcd', '\\# 2 ABCD'],
  ['A', '\\# 4 0a000002', '10.0.0.2'],
  ['NS', '\\# 5 036e733200', 'ns2.'],
];

t.test('zone-file RDATA parses and prints as named-compilezone does', async (t) => {
  for (const [tn, input, expected] of cases) {
    const wire = parse(tn, input);
    t.equal(rdataToText(type(tn), wire), expected, `${tn} ${input}`);
    t.equal(hex(parse(tn, expected)), hex(wire), `${tn} ${expected} reparses to the same bytes`);
  }
});

t.test('RFC 3597 generic form equals the native form for known types', async (t) => {
  t.equal(hex(parse('A', '\\# 4 0a000001')), hex(parse('A', '10.0.0.1')));
  t.equal(hex(parse('MX', '\\# 6 000a 026d7800')), hex(parse('MX', '10 mx.')));
  t.equal(hex(parse('TXT', '\\# 4 03616263')), hex(parse('TXT', 'abc')));
  t.equal(parse('TYPE65400', '\\# 0').length, 0);
  t.throws(() => parse('A', '\\# 3 0a0000'), { name: 'PresentationError', message: /A: \\# data is not valid A rdata/ });
  t.throws(() => parse('NS', '\\# 6 036e73320000'), /trailing bytes/);
  t.throws(() => parse('TYPE65400', '\\# 4 0a00'), /2 bytes, \\# said 4/);
  t.throws(() => parse('TYPE65400', '\\# 1 zz'), /not valid hex/);
  t.throws(() => parse('TYPE65400', '\\#'), /missing RDATA length/);
  t.throws(() => parse('TYPE65400', '0a000001'), /TYPE65400: no presentation format known/);
});

t.test('TXT: several strings, total > 255, each string at most 255 bytes', async (t) => {
  const s200 = 'x'.repeat(200);
  const wire = parse('TXT', `"${s200}" "${s200}" ${s200}`);
  t.equal(wire.length, 603);
  t.equal(rdataToText(RRType.TXT, wire), `"${s200}" "${s200}" "${s200}"`);
  t.equal(parse('TXT', `"${'y'.repeat(255)}"`).length, 256);
  const err = t.throws(() => rdataFromText(RRType.TXT, toks(`"ok" "${'y'.repeat(256)}"`, 7), ORIGIN)) as PresentationError;
  t.ok(err instanceof PresentationError);
  t.match(err.message, /TXT: character-string is 256 bytes long, more than 255/);
  t.equal(err.line, 7);
  t.equal(err.col, 6);
  // escapes count as one byte each
  t.equal(parse('TXT', `"${'\\065'.repeat(255)}"`).length, 256);
});

t.test('TXT escapes', async (t) => {
  t.same([...parse('TXT', '"a\\"b\\\\c\\010d\\;"')], [8, 0x61, 0x22, 0x62, 0x5c, 0x63, 10, 0x64, 0x3b]);
  t.throws(() => parse('TXT', '"bad\\300"'), /bad escape \\300/);
  t.throws(() => parse('TXT', 'x\\'), /dangling backslash/);
  t.equal(rdataToText(RRType.TXT, Uint8Array.from([3, 0x22, 0x5c, 0x7f])), '"\\"\\\\\\127"');
});

t.test('bad presentation gives PresentationError with the token position', async (t) => {
  const bad: [string, string, RegExp, number][] = [
    ['A', '10.0.0.256', /^A: "10\.0\.0\.256" is not an IPv4 address$/, 1],
    ['A', '10.0.0.01', /not an IPv4 address/, 1],
    ['A', '10.0.0.1 extra', /unexpected "extra" after the RDATA/, 10],
    ['AAAA', '2001:db8::1::2', /not an IPv6 address/, 1],
    ['AAAA', '1:2:3:4:5:6:7', /not an IPv6 address/, 1],
    ['MX', '70000 mx', /MX: preference 70000 is out of range/, 1],
    ['MX', '10', /MX: missing exchange/, 1],
    ['MX', 'ten mx', /"ten" is not a valid preference/, 1],
    ['NS', 'a..b', /not a valid nsdname/, 1],
    ['SOA', 'a b 1 2 3 4 5x', /"5x" is not a valid minimum/, 13],
    ['CAA', '0 is-sue "x"', /not a valid CAA tag/, 3],
    ['SSHFP', '1 1 abc', /fingerprint is not valid hex/, 5],
    ['DNSKEY', '256 3 8 AQ=', /public key is not valid base64/, 9],
    ['RRSIG', 'A 8 2 300 20301301000000 20200101000000 1 example. AAAA', /not a valid expiration/, 11],
    ['RRSIG', 'BOGUS 8 2 300 1 2 1 example. AAAA', /"BOGUS" is not a known RR type/, 1],
    ['NSEC', 'next.', /NSEC: missing type bitmap/, 1],
    ['NSEC3', '1 0 0 abc 2vptu5timamqttgl4luu9kg21e0aor3s', /not a valid salt/, 7],
    ['NSEC3', '1 0 0 - 2vptu5tima!', /not a valid next hashed owner/, 9],
    ['URI', '1 1 ""', /target must not be empty/, 5],
    ['HINFO', 'PC', /missing os/, 1],
    ['SVCB', '1 . alpn=h2 alpn=h3', /duplicate SvcParamKey alpn/, 13],
    ['SVCB', '1 . no-default-alpn', /no-default-alpn needs alpn/, 5],
    ['SVCB', '1 . mandatory=alpn', /mandatory lists alpn, which is not present/, 5],
    ['SVCB', '1 . mandatory=mandatory,port port=1', /must not list mandatory/, 5],
    ['SVCB', '1 . ipv4hint=', /ipv4hint: "" is not an IPv4 address/, 5],
    ['SVCB', '1 . port=99999', /"99999" is not a port number/, 5],
    ['SVCB', '1 . frob=1', /"frob" is not a SvcParamKey/, 5],
    ['SVCB', '1 . key65535=1', /"key65535" is not a SvcParamKey/, 5],
    ['SVCB', '1 . key7=""', /must be a relative URI template/, 5],
    ['SVCB', '1 . alpn="h2,,h3"', /protocol ids must be 1..255 bytes/, 5],
    ['SVCB', '1 . ech', /ech: needs a value/, 5],
    ['LOC', '91 N 0 E 0m', /latitude out of range/, 1],
    ['LOC', '10 61 N 0 E 0m', /bad latitude/, 1],
    ['APL', '3:1.2.3.4/8', /not a valid APL item/, 1],
    ['EUI48', '00-00-5e-00-53', /not an EUI-48 address/, 1],
    ['CERT', 'NOPE 0 0 AQID', /not a valid cert type/, 1],
  ];
  for (const [tn, input, re, col] of bad) {
    const err = t.throws(() => rdataFromText(type(tn), toks(input, 42), ORIGIN), `${tn} ${input}`) as PresentationError;
    t.ok(err instanceof PresentationError, `${tn} ${input}: PresentationError`);
    t.match(err.message, re, `${tn} ${input}: message`);
    t.equal(err.line, 42);
    t.equal(err.col, col, `${tn} ${input}: column`);
  }
  const none = t.throws(() => rdataFromText(RRType.A, [], ORIGIN)) as PresentationError;
  t.match(none.message, 'A: missing address');
  t.equal(none.token, null);
});

t.test('relative names take the origin; absolute and @ forms', async (t) => {
  t.equal(rdataToText(RRType.CNAME, parse('CNAME', 'www', 'Home.LAN.')), 'www.Home.LAN.');
  t.equal(rdataToText(RRType.CNAME, parse('CNAME', '@', 'home.lan.')), 'home.lan.');
  t.equal(rdataToText(RRType.CNAME, parse('CNAME', 'x.', 'home.lan.')), 'x.');
  t.equal(rdataToText(RRType.CNAME, parse('CNAME', 'a\\032b', '.')), 'a\\032b.');
});

t.test('RRSIG times: date form wraps modulo 2^32; numbers accepted', async (t) => {
  const w = parse('RRSIG', 'A 8 2 300 20300101000000 4294967295 1 example. AAAA');
  t.same([...w.subarray(8, 16)], [0x70, 0xdb, 0xd8, 0x80, 0xff, 0xff, 0xff, 0xff]);
  t.throws(() => parse('RRSIG', 'A 8 2 300 4294967296 1 1 example. AAAA'), /not a valid expiration/);
});

t.test('rrToText prints owner, TTL, class, type and RDATA tab-separated', async (t) => {
  const rr = { name: 'www.example.com.', type: RRType.MX, class: RClass.IN, ttl: 300, rdata: parse('MX', '10 mail') };
  t.equal(rrToText(rr), 'www.example.com.\t300\tIN\tMX\t10 mail.example.com.');
  t.equal(rrToText({ ...rr, type: 65400, rdata: Uint8Array.from([1]) }), 'www.example.com.\t300\tIN\tTYPE65400\t\\# 1 01');
  t.equal(rrToText({ ...rr, type: 108, rdata: parse('EUI48', '00-00-5e-00-53-2a') }), 'www.example.com.\t300\tIN\tEUI48\t00-00-5e-00-53-2a');
});

t.test('RDATA that does not match its layout prints in generic form', async (t) => {
  t.equal(rdataToText(RRType.A, Uint8Array.from([1, 2, 3])), '\\# 3 010203');
  t.equal(rdataToText(RRType.MX, Uint8Array.from([0, 1, 5, 0x61])), '\\# 4 00010561');
  t.equal(rdataToText(RRType.TXT, new Uint8Array(0)), '\\# 0');
});
