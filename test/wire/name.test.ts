import t from 'tap';
import { canonicalName, fqdn, isSubdomain, nameEquals, nameToWire, parentName, readName, splitLabels } from '../../src/wire/name.js';
import { WireError } from '../../src/wire/errors.js';

t.test('presentation to wire and back, escapes and case preserved', async (t) => {
  const wire = nameToWire('Host1.Home.LAN.');
  t.same([...wire], [5, 72, 111, 115, 116, 49, 4, 72, 111, 109, 101, 3, 76, 65, 78, 0]);
  t.equal(readName(wire, 0).name, 'Host1.Home.LAN.');
  const odd = nameToWire('a\\.b.c\\032d.\\\\.');
  t.same([...odd.subarray(0, 4)], [3, 97, 46, 98]);
  t.equal(readName(odd, 0).name, 'a\\.b.c\\032d.\\\\.');
  t.equal(readName(nameToWire('.'), 0).name, '.');
});

t.test('limits: 63-byte labels and 255-byte names', async (t) => {
  t.throws(() => nameToWire('a'.repeat(64) + '.'), WireError);
  t.ok(nameToWire('a'.repeat(63) + '.'));
  const long = (('a'.repeat(62) + '.').repeat(4)); // 4*63 + 1 = 253 bytes
  t.equal(nameToWire(long).length, 253);
  t.throws(() => nameToWire('abc.' + long), /255/);
  t.throws(() => nameToWire('a..b.'), /empty label/);
});

t.test('compression pointers: followed backwards, loops and forward pointers rejected', async (t) => {
  // "example.com." at 0, then "www" + pointer to 0 at 13
  const buf = Buffer.from([7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0, 3, ...Buffer.from('www'), 0xc0, 0]);
  const r = readName(buf, 13);
  t.equal(r.name, 'www.example.com.');
  t.equal(r.next, buf.length);
  const loop = Buffer.from([0xc0, 0x00]);
  t.throws(() => readName(loop, 0), /backwards/);
  const selfLoop = Buffer.from([1, 97, 0xc0, 0x00]);
  t.throws(() => readName(selfLoop, 0), /backwards/);
  const forward = Buffer.from([0xc0, 0x04, 0, 0, 1, 97, 0]);
  t.throws(() => readName(forward, 0), /backwards/);
  const outOfRange = Buffer.from([1, 97, 0xc0, 0x50]);
  t.throws(() => readName(outOfRange, 2), WireError);
  t.throws(() => readName(Buffer.from([5, 97, 98]), 0), /past the end/);
  t.throws(() => readName(Buffer.from([0x80, 0]), 0), /label type/);
});

t.test('case-insensitive comparison and hierarchy helpers', async (t) => {
  t.ok(nameEquals('WWW.Example.COM.', 'www.example.com.'));
  t.notOk(nameEquals('www.example.com.', 'www.example.org.'));
  t.equal(canonicalName('A.b.C.'), 'a.b.c.');
  t.ok(isSubdomain('a.B.home.lan.', 'home.LAN.'));
  t.ok(isSubdomain('home.lan.', 'home.lan.'));
  t.notOk(isSubdomain('xhome.lan.', 'home.lan.'));
  t.notOk(isSubdomain('a\\.home.lan.', 'a.home.lan.')); // "a.home" is one label there
  t.ok(isSubdomain('anything.', '.'));
  t.equal(fqdn('host', 'home.lan.'), 'host.home.lan.');
  t.equal(fqdn('@', 'home.lan.'), 'home.lan.');
  t.equal(fqdn('abs.', 'home.lan.'), 'abs.');
  t.same(splitLabels('a\\.b.c.'), ['a\\.b', 'c']);
  t.equal(parentName('a.b.c.'), 'b.c.');
  t.equal(parentName('c.'), '.');
});
