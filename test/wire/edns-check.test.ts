import t from 'tap';
import { checkEdnsOptions } from '../../src/wire/edns-check.js';

const check = (hex: string, query = true): string => {
  const b = Buffer.from(hex, 'hex');
  return checkEdnsOptions(b, 0, b.length, query);
};

t.test('well-formed options pass', async (t) => {
  t.equal(check(''), '');
  t.equal(check('000a0008' + '01'.repeat(8)), '', 'client cookie');
  t.equal(check('000a0018' + '01'.repeat(24)), '', 'client + server cookie');
  t.equal(check('00080007' + '00011800c00002'), '', 'ECS /24');
  t.equal(check('00080004' + '00000000'), '', 'ECS 0/0');
  t.equal(check('00080007' + '00011818c00002', false), '', 'a response may carry a scope');
  t.equal(check('000b0000'), '', 'empty keepalive');
  t.equal(check('000b00020064', false), '', 'keepalive timeout in a response');
});

t.test('malformed options are named', async (t) => {
  t.match(check('000a0005' + '01'.repeat(5)), /COOKIE option of 5 bytes/);
  t.match(check('00080007' + '00031800c00002'), /family 3/);
  t.match(check('00080009' + '00012100c000020100'), /source prefix \/33/);
  t.match(check('00080007' + '00011808c00002'), /scope prefix is not 0/);
  t.match(check('00080008' + '00011800c0000201'), /address of 4 bytes for a \/24/);
  t.match(check('00080007' + '00011700c00003'), /bits set beyond/);
  t.match(check('00080007' + '00011819c00002', false), '', 'a scope up to 32 is fine in a response');
  t.match(check('00080007' + '00011821c00002', false), /scope prefix \/33/);
  t.match(check('000a0010' + '01'.repeat(8)), /runs past/);
  t.match(check('fde9000000'), /header runs past/);
});
