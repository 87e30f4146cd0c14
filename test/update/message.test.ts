import t from 'tap';
import { parseUpdate } from '../../src/update/message.js';
import { RClass, RRType } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { Writer } from '../../src/wire/writer.js';
import { buildUpdate, anyOf, noneOf, rec, deleteRR } from '../fixtures/kea/update-client.js';

t.test('sections: zone, prerequisites, updates; empty RDATA for class ANY and NONE', async (t) => {
  const wire = buildUpdate('home.lan.', [noneOf('a.home.lan.'), anyOf('b.home.lan.', RRType.A)],
    [anyOf('c.home.lan.', RRType.AAAA), noneOf('c.home.lan.', RRType.A), deleteRR('d.home.lan. 0 IN A 192.0.2.1'), rec('e.home.lan. 60 IN TXT "x"')], { id: 77 });
  const m = parseUpdate(wire);
  t.equal(m.id, 77);
  t.same(m.zone, { name: 'home.lan.', type: RRType.SOA, class: RClass.IN });
  t.equal(m.prereqs.length, 2);
  t.equal(m.prereqs[0]!.class, RClass.NONE);
  t.equal(m.prereqs[0]!.rdata.length, 0);
  t.equal(m.updates.length, 4);
  t.equal(m.updates[0]!.rdata.length, 0, 'ANY AAAA with RDLENGTH 0 is read, not rejected as a bad AAAA');
  t.equal(m.updates[1]!.rdata.length, 0, 'NONE A with RDLENGTH 0');
  t.same([...m.updates[2]!.rdata], [192, 0, 2, 1]);
  t.equal(m.updates[3]!.ttl, 60);
});

t.test('compression pointers in every section and inside PTR RDATA are followed', async (t) => {
  const w = new Writer(256);
  w.u16(1); w.u16(5 << 11); w.u16(1); w.u16(1); w.u16(1); w.u16(0);
  w.name('1.168.192.in-addr.arpa.'); w.u16(RRType.SOA); w.u16(RClass.IN);
  w.name('50.1.168.192.in-addr.arpa.'); w.u16(RRType.PTR); w.u16(RClass.IN); w.u32(0);
  const at = w.offset; w.u16(0); w.name('host.home.lan.'); w.patchU16(at, w.offset - at - 2);
  w.name('50.1.168.192.in-addr.arpa.'); w.u16(RRType.PTR); w.u16(RClass.IN); w.u32(300);
  const at2 = w.offset; w.u16(0); w.name('host.home.lan.'); w.patchU16(at2, w.offset - at2 - 2);
  const wire = Buffer.from(w.view());
  t.ok(wire.length < 120, 'the message really is compressed');
  const m = parseUpdate(wire);
  t.equal(m.prereqs[0]!.name, '50.1.168.192.in-addr.arpa.');
  t.equal(m.updates[0]!.name, '50.1.168.192.in-addr.arpa.');
  t.same([...m.updates[0]!.rdata], [4, 104, 111, 115, 116, 4, 104, 111, 109, 101, 3, 108, 97, 110, 0], 'PTR target expanded');
});

t.test('malformed messages throw WireError (answered FORMERR)', async (t) => {
  const good = buildUpdate('home.lan.', [], [rec('a.home.lan. 60 IN A 192.0.2.1')]);
  t.throws(() => parseUpdate(good.subarray(0, good.length - 2)), WireError, 'record cut short');
  t.throws(() => parseUpdate(Buffer.concat([good, Buffer.from([0])])), WireError, 'trailing byte');
  const two = Buffer.from(good);
  two.writeUInt16BE(2, 4);
  t.throws(() => parseUpdate(two), /exactly one/, 'ZOCOUNT 2');
  const badA = buildUpdate('home.lan.', [], [{ name: 'a.home.lan.', type: RRType.A, class: RClass.IN, ttl: 60, rdata: Uint8Array.from([1, 2, 3]) }]);
  t.throws(() => parseUpdate(badA), WireError, 'A with 3 bytes of RDATA');
});
