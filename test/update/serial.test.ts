import t from 'tap';
import { maxSerial, nextSerial, serialGt, withSerial } from '../../src/update/serial.js';

t.test('RFC 1982 comparison wraps at 2^32 and is undefined at exactly half', async (t) => {
  t.ok(serialGt(2, 1));
  t.notOk(serialGt(1, 2));
  t.notOk(serialGt(5, 5));
  t.ok(serialGt(0, 0xffffffff), '0 follows 2^32-1');
  t.ok(serialGt(10, 0xfffffff0), 'small after wrap is greater');
  t.notOk(serialGt(0xfffffff0, 10));
  t.notOk(serialGt(0x80000000, 0), 'half the space apart: neither is greater');
  t.notOk(serialGt(0, 0x80000000));
  t.ok(serialGt(0x7fffffff, 0));
});

t.test('increment wraps and never yields 0', async (t) => {
  t.equal(nextSerial(2024060101), 2024060102);
  t.equal(nextSerial(0xfffffffe), 0xffffffff);
  t.equal(nextSerial(0xffffffff), 1, '2^32-1 + 1 skips 0');
  t.ok(serialGt(nextSerial(0xffffffff), 0xffffffff), 'still greater in RFC 1982 terms');
  t.equal(maxSerial(0xfffffff0, 5), 5);
  t.equal(maxSerial(7, 3), 7);
});

t.test('withSerial rewrites only the SERIAL field of SOA RDATA', async (t) => {
  const soa = Uint8Array.from([1, 0x61, 0, 1, 0x62, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
  const out = withSerial(soa, 0x01020304);
  t.same([...out.subarray(6, 10)], [1, 2, 3, 4]);
  t.same([...out.subarray(0, 6)], [...soa.subarray(0, 6)]);
  t.same([...out.subarray(10)], [...soa.subarray(10)]);
  t.equal(soa[9], 1, 'the input is not modified');
});
