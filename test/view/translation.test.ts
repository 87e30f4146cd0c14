import t from 'tap';
import { createRequire } from 'node:module';
import type * as IpAddr from 'ipaddr.js';
import { formatAddress } from '../../src/view/address.js';
import { AddressTranslation, type TranslationRule } from '../../src/view/translation.js';
import { prng, testSeed } from '../helpers/prng.js';

// ipaddr.js is CommonJS with `export =`: load it the way Node does (an independent reference here).
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr;

const seed = testSeed();
t.comment(`seed ${seed}`);
const rand = prng(seed);

function rule(external: string, internal: string): TranslationRule {
  const [e, el] = ipaddr.parseCIDR(external.includes('/') ? external : `${external}/${external.includes(':') ? 128 : 32}`);
  const [i] = ipaddr.parseCIDR(internal.includes('/') ? internal : `${internal}/${internal.includes(':') ? 128 : 32}`);
  return { external: e, internal: i, length: el };
}

// bigint model of the expected result, independent of the byte arithmetic under test
const toBig = (b: ArrayLike<number>): bigint => Array.from(b).reduce((v, x) => (v << 8n) | BigInt(x), 0n);
function fromBig(v: bigint, size: number): number[] {
  const out = new Array<number>(size);
  for (let i = size - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}
function expectedTranslation(addr: number[], to: number[], len: number): number[] {
  const bits = BigInt(addr.length * 8);
  const hostMask = (1n << (bits - BigInt(len))) - 1n;
  return fromBig((toBig(to) & ~hostMask) | (toBig(addr) & hostMask), addr.length);
}
function inPrefix(addr: number[], net: number[], len: number): boolean {
  const shift = BigInt(addr.length * 8 - len);
  return toBig(addr) >> shift === toBig(net) >> shift;
}
const randomBytes = (n: number): number[] => Array.from({ length: n }, () => Math.floor(rand() * 256));
function randomInside(net: number[], len: number): number[] {
  const bits = BigInt(net.length * 8);
  const hostMask = (1n << (bits - BigInt(len))) - 1n;
  return fromBig((toBig(net) & ~hostMask) | (toBig(randomBytes(net.length)) & hostMask), net.length);
}
function randomOutside(net: number[], len: number): number[] {
  const a = randomInside(net, len);
  const bit = Math.floor(rand() * len); // flip one network bit: a near miss
  a[bit >> 3]! ^= 0x80 >> (bit & 7);
  return a;
}

/** Runs the rewrite inside a larger buffer with guard bytes, checking nothing else is touched. */
function inBuffer(tr: AddressTranslation, addr: number[], reverse: boolean): { changed: boolean; out: number[]; guardsOk: boolean } {
  const pad = 3 + Math.floor(rand() * 5);
  const buf = new Uint8Array(pad + addr.length + 4).fill(0xa5);
  buf.set(addr, pad);
  const family = addr.length === 4 ? 4 : 6;
  const changed = reverse ? tr.translateReverseInPlace(buf, pad, family) : tr.translateInPlace(buf, pad, family);
  const guardsOk = buf.subarray(0, pad).every((b) => b === 0xa5) && buf.subarray(pad + addr.length).every((b) => b === 0xa5);
  return { changed, out: Array.from(buf.subarray(pad, pad + addr.length)), guardsOk };
}

for (const size of [4, 16]) {
  t.test(`every IPv${size === 4 ? 4 : 6} prefix length, both directions`, async (t) => {
    let failures = 0;
    const check = (ok: boolean, msg: string): void => {
      if (!ok) { failures++; if (failures < 10) t.fail(msg); }
    };
    for (let len = 0; len <= size * 8; len++) {
      for (let r = 0; r < 3; r++) {
        const ext = randomBytes(size);
        const int = randomBytes(size);
        const tr = new AddressTranslation([{ external: ext, internal: int, length: len }]);
        const show = (a: number[]): string => `${formatAddress(a, size === 4 ? 4 : 6)} (/${len} ${formatAddress(ext, size === 4 ? 4 : 6)} -> ${formatAddress(int, size === 4 ? 4 : 6)})`;
        for (let n = 0; n < 12; n++) {
          // forward: external inside → network bits replaced, host bits kept
          const a = randomInside(ext, len);
          const fwd = inBuffer(tr, a, false);
          check(fwd.changed && fwd.guardsOk, `forward did not apply to ${show(a)}`);
          check(fwd.out.join() === expectedTranslation(a, int, len).join(), `forward ${show(a)} gave ${fwd.out.join('.')}`);
          const back = inBuffer(tr, fwd.out, true);
          check(back.changed && back.out.join() === a.join(), `reverse(forward(x)) != x for ${show(a)}`);
          // reverse: internal inside → external network, host bits kept
          const b = randomInside(int, len);
          const rev = inBuffer(tr, b, true);
          check(rev.changed && rev.guardsOk && rev.out.join() === expectedTranslation(b, ext, len).join(), `reverse ${show(b)}`);
          const again = inBuffer(tr, rev.out, false);
          check(again.changed && again.out.join() === b.join(), `forward(reverse(x)) != x for ${show(b)}`);
          if (len === 0) continue; // nothing lies outside /0
          // outside → untouched
          for (const [net, reverse] of [[ext, false], [int, true]] as const) {
            const o = n % 2 === 0 ? randomOutside(net, len) : randomBytes(size);
            if (inPrefix(o, net, len)) continue;
            const res = inBuffer(tr, o, reverse);
            check(!res.changed && res.guardsOk && res.out.join() === o.join(), `${reverse ? 'reverse' : 'forward'} touched outside ${show(o)}`);
          }
        }
      }
    }
    t.equal(failures, 0, 'all prefix lengths translate exactly');
  });
}

t.test('documented examples', async (t) => {
  const tr = new AddressTranslation([
    rule('203.0.113.0/28', '10.0.20.0/28'),
    rule('2001:db8:1::/48', 'fd00:1::/48'),
    rule('2001:db8:2:aa00::/56', 'fd00:2:0:3300::/56'),
    rule('2001:db8:3:4::/64', 'fd00:3:0:5::/64'),
    rule('198.51.100.7', '10.9.9.9'),
  ]);
  t.equal(tr.size, 5);
  t.equal(tr.translateAddressString('203.0.113.5'), '10.0.20.5');
  t.equal(tr.translateAddressString('203.0.113.15'), '10.0.20.15');
  t.equal(tr.translateAddressString('203.0.113.16'), null, 'outside the /28');
  t.equal(tr.translateAddressString('10.0.20.5', 'reverse'), '203.0.113.5');
  t.equal(tr.translateAddressString('2001:db8:1:abcd::5'), 'fd00:1:0:abcd::5', '/48 keeps the first host byte');
  t.equal(tr.translateAddressString('2001:db8:1:ff00::1'), 'fd00:1:0:ff00::1', '/48, host byte 0xff');
  t.equal(tr.translateAddressString('2001:db8:2:aaff::1'), 'fd00:2:0:33ff::1', '/56 keeps byte 7');
  t.equal(tr.translateAddressString('2001:db8:3:4:8000::1'), 'fd00:3:0:5:8000::1', '/64 keeps the interface id');
  t.equal(tr.translateAddressString('fd00:1:0:abcd::5', 'reverse'), '2001:db8:1:abcd::5');
  t.equal(tr.translateAddressString('198.51.100.7'), '10.9.9.9');
  t.equal(tr.translateAddressString('198.51.100.8'), null);
  t.equal(tr.translateAddressString('not an address'), null);
  t.same(tr.forwardLookup([203, 0, 113, 9]), new Uint8Array([10, 0, 20, 9]));
  t.same(tr.reverseLookup([10, 0, 20, 9]), new Uint8Array([203, 0, 113, 9]));
  t.equal(tr.reverseLookup([10, 0, 21, 9]), null);
  t.equal(tr.translateReverseName('5.20.0.10.IN-ADDR.ARPA.'), '5.113.0.203.in-addr.arpa.');
  t.equal(tr.translateReverseName('5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.'),
    '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.');
  t.equal(tr.translateReverseName('20.0.10.in-addr.arpa.'), null, 'not a full address');
  t.equal(tr.translateReverseName('5.21.0.10.in-addr.arpa.'), null, 'no rule');
});

t.test('overlapping rules: longest prefix, then config order', async (t) => {
  const tr = new AddressTranslation([
    rule('203.0.113.0/24', '10.0.0.0/24'),
    rule('203.0.113.64/26', '10.1.0.0/26'),
    rule('203.0.113.64/26', '10.2.0.0/26'),
    rule('203.0.113.70', '10.3.3.3'),
  ]);
  t.equal(tr.translateAddressString('203.0.113.5'), '10.0.0.5');
  t.equal(tr.translateAddressString('203.0.113.65'), '10.1.0.1', 'the /26 beats the /24; first of two equal /26');
  t.equal(tr.translateAddressString('203.0.113.70'), '10.3.3.3', 'the host rule beats both');
  t.equal(tr.translateAddressString('10.2.0.1', 'reverse'), '203.0.113.65', 'the second /26 still maps back');
});

t.test('rejects malformed rules and buffers', async (t) => {
  t.throws(() => new AddressTranslation([{ external: [203, 0, 113, 0], internal: new Uint8Array(16), length: 24 }]), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => new AddressTranslation([{ external: [203, 0, 113, 0], internal: [10, 0, 0, 0], length: 33 }]), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => new AddressTranslation([{ external: [203, 0, 113], internal: [10, 0, 0], length: 24 }]), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  const tr = new AddressTranslation([rule('0.0.0.0/0', '10.0.0.0/0')]);
  t.throws(() => tr.translateInPlace(new Uint8Array(6), 3, 4), { code: 'HZ_ERR_INVALID_ARGUMENT' }, 'address would run past the buffer');
  t.throws(() => tr.translateInPlace(new Uint8Array(12), 0, 6), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  const empty = new AddressTranslation([]);
  const buf = new Uint8Array([1, 2, 3, 4]);
  t.equal(empty.translateInPlace(buf, 0, 4), false);
  t.same(buf, new Uint8Array([1, 2, 3, 4]));
});
