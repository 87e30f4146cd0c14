import t from 'tap';
import packet from 'dns-packet';
import { RRType } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { nameToWire } from '../../src/wire/name.js';
import type { Token } from '../../src/wire/presentation.js';
import {
  canonicalRdata, rdataEquals, rdataFromText, rdataTargetName, rdataToText, readRdata, rrTypeFromString,
  svcbAddressHints, writeRdata,
} from '../../src/wire/rdata/index.js';
import { Writer } from '../../src/wire/writer.js';

/** Whitespace splitter with "quoted" strings; enough for the simple RDATA used here. */
function toks(s: string): Token[] {
  const out: Token[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out.push({ text: m[1] ?? m[2]!, quoted: m[1] !== undefined, line: 1, col: m.index + 1 });
  }
  return out;
}

const type = (name: string): number => rrTypeFromString(name)!;
const parse = (tn: string, text: string): Uint8Array => rdataFromText(type(tn), toks(text), 'example.com.');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** One sample per supported type; names share the suffix example.com. with earlier message names. */
const samples: [string, string][] = [
  ['A', '10.0.0.1'], ['AAAA', '2001:db8::1'], ['NS', 'ns1'], ['CNAME', 'www'], ['PTR', 'host'],
  ['SOA', 'ns1 hostmaster 2024010101 3600 900 604800 300'], ['MX', '10 mail'], ['MINFO', 'rm em'],
  ['MB', 'mb'], ['MG', 'mg'], ['MR', 'mr'],
  ['TXT', `"hello" "${'x'.repeat(255)}" "${'y'.repeat(100)}"`], ['SPF', '"v=spf1 -all"'], ['HINFO', 'PC Linux'],
  ['SRV', '0 5 5060 sip'], ['NAPTR', '100 10 u E2U+sip "!^.*$!sip:info@example.com!" naptr'],
  ['RP', 'mbox txt'], ['AFSDB', '1 afs'], ['RT', '10 relay'], ['PX', '10 map822 mapx400'], ['KX', '10 kx'],
  ['DNAME', 'other.example.com.'], ['CAA', '0 issue "letsencrypt.org"'], ['URI', '10 1 "ftp://example.com/"'],
  ['DHCID', 'AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA='],
  ['SSHFP', '1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac'],
  ['TLSA', '3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6'],
  ['DS', '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118'], ['CDS', '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118'],
  ['DNSKEY', '256 3 13 AQID'], ['CDNSKEY', '257 3 13 AQID'], ['OPENPGPKEY', 'mQINBFit'],
  ['RRSIG', 'A 13 3 86400 20300101000000 20000101000000 2642 example.com. AAAA'],
  ['SIG', 'A 13 3 86400 20300101000000 20000101000000 2642 example.com. AAAA'],
  ['NSEC', 'host.example.com. A MX RRSIG NSEC TYPE1234'],
  ['NSEC3', '1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG'], ['NSEC3PARAM', '1 0 10 -'],
  ['CSYNC', '66 3 A NS AAAA'], ['ZONEMD', '2018031500 1 1 FEBE3D4C'],
  ['SVCB', '1 svc.example.com. alpn=h2,h3 port=8443 ipv4hint=1.2.3.4 ipv6hint=2001:db8::1'], ['HTTPS', '1 . alpn=h2'],
  ['LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m'], ['APL', '1:192.168.32.0/21'],
  ['IPSECKEY', '10 3 2 gw.example.com. AQID'], ['CERT', 'PKIX 0 0 AQID'], ['EUI48', '00-00-5e-00-53-2a'],
  ['EUI64', '00-00-5e-ef-10-00-00-2a'], ['TYPE65400', '\\# 4 0a000001'], ['NULL', '\\# 0'],
];
const COMPRESSIBLE = new Set(['NS', 'CNAME', 'PTR', 'SOA', 'MX', 'MINFO', 'MB', 'MG', 'MR']);

/** A response with earlier names (question, owner) in the compression table, then the RR. */
function message(typeNum: number, rdata: Uint8Array): { buf: Buffer; at: number; len: number } {
  const w = new Writer(16);
  w.u16(0x1234); w.u16(0x8400); w.u16(1); w.u16(1); w.u16(0); w.u16(0);
  w.name('example.com.'); w.u16(typeNum); w.u16(1);
  w.name('owner.example.com.'); w.u16(typeNum); w.u16(1); w.u32(300);
  const lenAt = w.offset;
  writeRdata(w, typeNum, rdata);
  const buf = Buffer.from(w.view());
  return { buf, at: lenAt + 2, len: buf.readUInt16BE(lenAt) };
}

t.test('every type: text → wire → compressed message → readRdata gives the same bytes', async (t) => {
  for (const [tn, text] of samples) {
    const ty = type(tn);
    const rdata = parse(tn, text);
    t.equal(parse(tn, rdataToText(ty, rdata)).length, rdata.length, `${tn}: text round trip`);
    t.equal(hex(parse(tn, rdataToText(ty, rdata))), hex(rdata), `${tn}: text round trip bytes`);
    const { buf, at, len } = message(ty, rdata);
    const written = buf.subarray(at, at + len);
    if (COMPRESSIBLE.has(tn)) {
      t.ok(len < rdata.length, `${tn}: names compressed against earlier names`);
      t.ok(written.some((b) => (b & 0xc0) === 0xc0), `${tn}: contains a pointer`);
    } else {
      t.equal(hex(written), hex(rdata), `${tn}: written as is, no compression pointer`);
    }
    t.equal(hex(readRdata(ty, buf, at, len)), hex(rdata), `${tn}: readRdata restores uncompressed rdata`);
  }
});

t.test('RDLENGTH is correct and later names can point into compressed rdata', async (t) => {
  const w = new Writer(8);
  w.bytes(new Uint8Array(12));
  writeRdata(w, RRType.MX, parse('MX', '10 mail'));
  const mxEnd = w.offset;
  w.name('mail.example.com.');
  const buf = w.view();
  t.equal(buf.readUInt16BE(12), mxEnd - 14);
  t.equal(w.offset - mxEnd, 2, 'the second mail.example.com. is a pointer');
  t.equal(buf.readUInt16BE(mxEnd), 0xc000 | 16);
});

/** Packs one answer with dns-packet (which never compresses) and returns its rdata span. */
function packetRdata(answer: packet.Answer): { buf: Buffer; at: number; len: number } {
  const buf = packet.encode({ type: 'response', id: 1, flags: 0, answers: [answer] });
  const at = 12 + 3 + 10; // header, owner "x.", type/class/ttl/rdlength
  return { buf, at, len: buf.readUInt16BE(at - 2) };
}

t.test('cross-check with dns-packet in both directions', async (t) => {
  const key = Buffer.from('AQID', 'base64');
  const sig = Buffer.from('AAAA', 'base64');
  const ds = Buffer.from('2BB183AF5F22588179A53B0A98631FAD1A292118', 'hex');
  const tlsa = Buffer.from('0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6', 'hex');
  const pairs: [packet.Answer, string][] = [
    [{ type: 'A', name: 'x', data: '192.0.2.1' }, '192.0.2.1'],
    [{ type: 'AAAA', name: 'x', data: '2001:db8::42' }, '2001:db8::42'],
    [{ type: 'NS', name: 'x', data: 'ns1.example.com' }, 'ns1.example.com.'],
    [{ type: 'CNAME', name: 'x', data: 'www.example.com' }, 'www.example.com.'],
    [{ type: 'PTR', name: 'x', data: 'host.example.com' }, 'host.example.com.'],
    [{ type: 'DNAME', name: 'x', data: 'other.example' }, 'other.example.'],
    [{ type: 'MX', name: 'x', data: { preference: 10, exchange: 'mail.example.com' } }, '10 mail.example.com.'],
    [{ type: 'TXT', name: 'x', data: ['hello world', 'a"b', 'x'.repeat(255), 'y'.repeat(100)] }, `"hello world" "a\\"b" "${'x'.repeat(255)}" "${'y'.repeat(100)}"`],
    [{ type: 'SRV', name: 'x', data: { priority: 0, weight: 5, port: 5060, target: 'sip.example.com' } }, '0 5 5060 sip.example.com.'],
    [{ type: 'CAA', name: 'x', data: { flags: 0, tag: 'issue', value: 'letsencrypt.org' } }, '0 issue "letsencrypt.org"'],
    [{ type: 'CAA', name: 'x', data: { flags: 128, tag: 'iodef', value: 'mailto:a@b.c' } }, '128 iodef "mailto:a@b.c"'],
    [{ type: 'SOA', name: 'x', data: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2024010101, refresh: 3600, retry: 900, expire: 604800, minimum: 300 } },
      'ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 300'],
    [{ type: 'NAPTR', name: 'x', data: { order: 100, preference: 10, flags: 'u', services: 'E2U+sip', regexp: '!^.*$!sip:info@example.com!', replacement: 'a.example' } },
      '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" a.example.'],
    [{ type: 'SSHFP', name: 'x', data: { algorithm: 1, hash: 1, fingerprint: 'dd465c09cfa51fb45020cc83316fff21b9ec74ac' } }, '1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac'],
    [{ type: 'TLSA', name: 'x', data: { usage: 3, selector: 1, matchingType: 1, certificate: tlsa } }, `3 1 1 ${tlsa.toString('hex')}`],
    [{ type: 'DS', name: 'x', data: { keyTag: 60485, algorithm: 5, digestType: 1, digest: ds } }, `60485 5 1 ${ds.toString('hex')}`],
    [{ type: 'DNSKEY', name: 'x', data: { flags: 257, algorithm: 13, key } }, '257 3 13 AQID'],
    [{ type: 'RRSIG', name: 'x', data: { typeCovered: 'AAAA', algorithm: 13, labels: 3, originalTTL: 86400, expiration: 1893456000, inception: 946684800, keyTag: 2642, signersName: 'example.com', signature: sig } },
      'AAAA 13 3 86400 20300101000000 20000101000000 2642 example.com. AAAA'],
    [{ type: 'NSEC', name: 'x', data: { nextDomain: 'host.example.com', rrtypes: ['A', 'MX', 'RRSIG', 'NSEC', 'CAA'] } }, 'host.example.com. A MX RRSIG NSEC CAA'],
    [{ type: 'HINFO', name: 'x', data: { cpu: 'PC', os: 'Linux' } }, '"PC" "Linux"'],
    [{ type: 'RP', name: 'x', data: { mbox: 'mbox.example.com', txt: 'txt.example.com' } }, 'mbox.example.com. txt.example.com.'],
  ];
  for (const [answer, text] of pairs) {
    const ty = type(answer.type);
    const ours = rdataFromText(ty, toks(text), '.');
    const theirs = packetRdata(answer);
    t.equal(hex(readRdata(ty, theirs.buf, theirs.at, theirs.len)), hex(ours), `${answer.type}: dns-packet encoding equals ours`);
    // ours (compressed where allowed) decoded by dns-packet and re-encoded uncompressed
    const { buf } = message(ty, ours);
    const decoded = packet.decode(buf);
    const again = packetRdata({ ...decoded.answers![0]!, name: 'x' } as packet.Answer);
    t.equal(hex(again.buf.subarray(again.at, again.at + again.len)), hex(ours), `${answer.type}: dns-packet reads our message`);
  }
});

t.test('compression pointers on receipt: expanded where RFC 3597 allows, rejected elsewhere', async (t) => {
  const head = Buffer.concat([Buffer.alloc(12), nameToWire('example.com.')]); // example.com. at 12
  const ptr = [0xc0, 12];
  const label = (s: string): number[] => [s.length, ...Buffer.from(s)];
  const withRdata = (bytes: number[]): { buf: Buffer; at: number; len: number } =>
    ({ buf: Buffer.concat([head, Buffer.from(bytes)]), at: head.length, len: bytes.length });
  const expands: [string, number[], string][] = [
    ['MX', [0, 10, ...label('mail'), ...ptr], '10 mail.example.com.'],
    ['SRV', [0, 1, 0, 2, 0, 3, ...label('sip'), ...ptr], '1 2 3 sip.example.com.'],
    ['SOA', [...label('ns1'), ...ptr, ...label('hm'), 0xc0, head.length, ...new Array(20).fill(0)], 'ns1.example.com. hm.ns1.example.com. 0 0 0 0 0'],
    ['RP', [...ptr, ...label('t'), ...ptr], 'example.com. t.example.com.'],
    ['AFSDB', [0, 1, ...ptr], '1 example.com.'],
    ['NAPTR', [0, 1, 0, 2, 1, 0x75, 0, 0, ...ptr], '1 2 "u" "" "" example.com.'],
  ];
  for (const [tn, bytes, text] of expands) {
    const { buf, at, len } = withRdata(bytes);
    const rd = readRdata(type(tn), buf, at, len);
    t.equal(rdataToText(type(tn), rd), text, `${tn}: pointer expanded`);
  }
  const rejects: [string, number[]][] = [
    ['DNAME', [...ptr]],
    ['RRSIG', [0, 1, 13, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 4, ...ptr, 1, 2]],
    ['NSEC', [...ptr, 0, 1, 0x40]],
    ['SVCB', [0, 1, ...ptr]],
    ['KX', [0, 1, ...ptr]],
    ['MX', [0, 10, 0xc0, head.length + 2]], // points at itself: not backwards
    ['MX', [0, 10, 0xc0, 200]],
  ];
  for (const [tn, bytes] of rejects) {
    const { buf, at, len } = withRdata(bytes);
    t.throws(() => readRdata(type(tn), buf, at, len), WireError, `${tn} ${hex(Uint8Array.from(bytes))}: rejected`);
  }
});

t.test('malformed rdata throws WireError', async (t) => {
  const bad: [string, number[]][] = [
    ['A', [10, 0, 0]], ['A', [10, 0, 0, 1, 2]], ['AAAA', [0, 0, 0, 1]], ['MX', [0, 10]], ['MX', [0, 10, 4, 0x61]],
    ['MX', [0, 10, 0, 9]], ['TXT', []], ['TXT', [5, 0x61]], ['SOA', [0, 0, 0, 0, 0, 1]], ['HINFO', [1, 0x61]],
    ['CAA', [0, 0]], ['CAA', [0, 2, 0x61, 0x2d]], ['NSEC', [0, 0, 0]], ['NSEC', [0, 0, 33, ...new Array(33).fill(1)]],
    ['NSEC', [0, 1, 1, 0x40, 0, 1, 0x40]], ['NSEC', [0, 0, 2, 0x40, 0]], ['NSEC3', [1, 0, 0, 0, 0, 0]],
    ['NSEC3PARAM', [1, 0, 0, 0, 4, 1]], ['LOC', [0, 0x12, 0x16, 0x13, 0, 0, 0, 0]], ['LOC', [1, ...new Array(15).fill(0)]],
    ['SVCB', [0, 1, 0, 0, 3, 0, 1, 1]], ['SVCB', [0, 1, 0, 0, 3, 0, 3, 1, 2, 3]],
    ['SVCB', [0, 1, 0, 0, 3, 0, 2, 1, 0xbb, 0, 1, 0, 3, 2, 0x68, 0x32]], ['SVCB', [0, 1, 0, 0, 1, 0, 2, 0, 0]],
    ['SVCB', [0, 1, 0, 0, 4, 0, 5, 1, 2, 3, 4, 5]], ['SVCB', [0, 1, 0, 0, 1, 0, 2, 0, 0x68]],
    ['SVCB', [0, 1, 0, 0xff, 0xff, 0, 0]], ['SRV', [0, 1, 0, 2, 0, 3]], ['DS', [0, 1, 8]],
    ['URI', [0, 1, 0, 1]], ['APL', [0, 1, 24, 5, 1, 2, 3, 4, 5]], ['IPSECKEY', [1, 4, 1, 0]],
  ];
  for (const [tn, bytes] of bad) {
    const buf = Buffer.from([0xee, ...bytes, 0xee]); // rdata sits inside a larger buffer
    t.throws(() => readRdata(type(tn), buf, 1, bytes.length), WireError, `${tn} ${hex(Uint8Array.from(bytes))}`);
  }
  t.throws(() => readRdata(RRType.A, Buffer.from([1, 2, 3]), 0, 4), /past the end of the message/);
  const unknown = readRdata(65400, Buffer.from([9, 1, 2, 3, 9]), 1, 3);
  t.same([...unknown], [1, 2, 3], 'unknown types are copied');
});

t.test('readRdata returns a copy', async (t) => {
  const buf = Buffer.from([10, 0, 0, 1]);
  const rd = readRdata(RRType.A, buf, 0, 4);
  buf[0] = 99;
  t.equal(rdataToText(RRType.A, rd), '10.0.0.1');
});

t.test('rdataTargetName', async (t) => {
  t.equal(rdataTargetName(RRType.NS, parse('NS', 'Ns1')), 'Ns1.example.com.');
  t.equal(rdataTargetName(RRType.CNAME, parse('CNAME', 'a.b.')), 'a.b.');
  t.equal(rdataTargetName(RRType.DNAME, parse('DNAME', 'a.b.')), 'a.b.');
  t.equal(rdataTargetName(RRType.PTR, parse('PTR', 'h')), 'h.example.com.');
  t.equal(rdataTargetName(RRType.MX, parse('MX', '10 mail')), 'mail.example.com.');
  t.equal(rdataTargetName(RRType.SRV, parse('SRV', '1 2 3 sip')), 'sip.example.com.');
  t.equal(rdataTargetName(RRType.HTTPS, parse('HTTPS', '1 . alpn=h2')), '.');
  t.equal(rdataTargetName(RRType.SVCB, parse('SVCB', '0 svc')), 'svc.example.com.');
  t.equal(rdataTargetName(RRType.A, parse('A', '1.2.3.4')), null);
  t.equal(rdataTargetName(RRType.TXT, parse('TXT', 'x')), null);
});

t.test('rdataEquals and canonicalRdata', async (t) => {
  const eq = (tn: string, a: string, b: string): boolean => rdataEquals(type(tn), parse(tn, a), parse(tn, b));
  t.ok(eq('MX', '10 Mail.Example.COM.', '10 mail.example.com.'));
  t.notOk(eq('MX', '10 mail.example.com.', '20 mail.example.com.'));
  t.ok(eq('SOA', 'NS1 HM 1 2 3 4 5', 'ns1 hm 1 2 3 4 5'));
  t.ok(eq('SRV', '1 2 3 SIP', '1 2 3 sip'));
  t.ok(eq('RRSIG', 'A 13 3 1 1 1 1 EXAMPLE.com. AAAA', 'A 13 3 1 1 1 1 example.com. AAAA'));
  t.ok(eq('NSEC', 'Host.example.com. A', 'host.example.com. A'));
  t.notOk(eq('TXT', 'A', 'a'), 'TXT is case-sensitive');
  t.notOk(eq('SVCB', '1 Svc', '1 svc'), 'SVCB is not in the RFC 4034 §6.2 list');
  t.notOk(eq('A', '1.2.3.4', '1.2.3.5'));
  t.ok(eq('A', '1.2.3.4', '1.2.3.4'));
  t.equal(rdataToText(RRType.MX, canonicalRdata(RRType.MX, parse('MX', '10 MAIL.Example.'))), '10 mail.example.');
  t.equal(rdataToText(RRType.SVCB, canonicalRdata(RRType.SVCB, parse('SVCB', '1 SVC.'))), '1 SVC.');
});

t.test('svcbAddressHints gives the offset of every hint address', async (t) => {
  const rd = parse('HTTPS', '1 . alpn=h2 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1');
  const hints = svcbAddressHints(rd);
  t.same(hints.map((h) => h.family), [4, 4, 6]);
  t.same([...rd.subarray(hints[0]!.offset, hints[0]!.offset + 4)], [192, 0, 2, 1]);
  t.same([...rd.subarray(hints[1]!.offset, hints[1]!.offset + 4)], [192, 0, 2, 2]);
  t.equal(hex(rd.subarray(hints[2]!.offset, hints[2]!.offset + 16)), '20010db8000000000000000000000001');
  t.same(svcbAddressHints(parse('SVCB', '1 svc.example. port=53')), []);
});
