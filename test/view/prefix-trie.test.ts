import t from 'tap';
import { createRequire } from 'node:module';
import type * as IpAddr from 'ipaddr.js';
import { formatAddress } from '../../src/view/address.js';
import { PrefixTrie } from '../../src/view/prefix-trie.js';
import { prng, testSeed } from '../helpers/prng.js';

// ipaddr.js is CommonJS with `export =`: load it the way Node does (an independent reference here).
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr;

const seed = testSeed();
t.comment(`seed ${seed}`);
const rand = prng(seed);

function trieOf(entries: [string, string][], options?: { mapIPv4?: boolean }): PrefixTrie<string> {
  const trie = new PrefixTrie<string>(options);
  for (const [cidr, value] of entries) trie.insertCidr(ipaddr.parseCIDR(cidr), value);
  return trie;
}

t.test('longest prefix wins, whatever the insertion order', async (t) => {
  const entries: [string, string][] = [
    ['10.0.0.0/8', 'net8'], ['10.1.0.0/16', 'net16'], ['10.1.2.0/24', 'net24'], ['10.1.2.128/25', 'net25'],
    ['10.1.2.3/32', 'host'], ['2001:db8::/32', 'v6-32'], ['2001:db8:1::/48', 'v6-48'], ['2001:db8:1:2::/64', 'v6-64'],
  ];
  for (const order of [entries, [...entries].reverse()]) {
    const trie = trieOf(order);
    t.equal(trie.lookupString('10.200.0.1'), 'net8');
    t.equal(trie.lookupString('10.1.9.9'), 'net16');
    t.equal(trie.lookupString('10.1.2.4'), 'net24');
    t.equal(trie.lookupString('10.1.2.200'), 'net25');
    t.equal(trie.lookupString('10.1.2.3'), 'host');
    t.equal(trie.lookupString('11.0.0.1'), undefined, 'outside every prefix');
    t.equal(trie.lookupString('2001:db8:ffff::1'), 'v6-32');
    t.equal(trie.lookupString('2001:db8:1:ffff::1'), 'v6-48');
    t.equal(trie.lookupString('2001:db8:1:2:3:4:5:6'), 'v6-64');
    t.equal(trie.lookupString('2001:db9::1'), undefined);
    t.equal(trie.lookupString('::1'), undefined);
  }
});

t.test('equal prefixes: first in config order', async (t) => {
  const trie = trieOf([['192.168.0.0/16', 'first'], ['192.168.0.0/16', 'second'], ['192.168.5.0/16', 'third, host bits set']]);
  t.equal(trie.lookupString('192.168.1.1'), 'first');
  const ordered = new PrefixTrie<string>();
  ordered.insert([192, 168, 0, 0], 16, 'late in config', 7);
  ordered.insert([192, 168, 0, 0], 16, 'early in config', 2);
  ordered.insert([192, 168, 0, 0], 17, 'longer', 9);
  t.equal(ordered.lookupString('192.168.200.1'), 'early in config', 'lower order wins regardless of insertion');
  t.equal(ordered.lookupString('192.168.1.1'), 'longer', 'a longer prefix beats a lower order');
  t.equal(ordered.size, 3);
  const built = PrefixTrie.from([
    { address: [192, 168, 0, 0], length: 16, value: 'b', order: 3 },
    { address: ipaddr.parse('192.168.0.0'), length: 16, value: 'a', order: 1 },
    { address: [192, 168, 0, 0], length: 16, value: 'c' },
  ]);
  t.equal(built.lookupString('192.168.0.1'), 'a', 'from(): explicit orders');
});

t.test('IPv4-mapped IPv6 client addresses match IPv4 prefixes', async (t) => {
  const trie = trieOf([['192.168.1.0/24', 'lan'], ['::/0', 'any-v6'], ['::ffff:10.0.0.0/104', 'mapped-config']]);
  t.equal(trie.lookupString('::ffff:192.168.1.5'), 'lan');
  t.equal(trie.lookupString('::FFFF:192.168.1.5'), 'lan');
  t.equal(trie.lookupString('0:0:0:0:0:ffff:c0a8:105'), 'lan');
  t.equal(trie.lookupString('::ffff:c0a8:105'), 'lan');
  t.equal(trie.lookupString('10.1.2.3'), 'mapped-config', 'a mapped prefix in config covers plain IPv4');
  t.equal(trie.lookupString('::ffff:192.168.2.5'), undefined, 'mapped clients do not fall to ::/0');
  t.equal(trie.lookupString('2001:db8::1'), 'any-v6');
  const mapped = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 9]);
  t.equal(trie.lookupBytes(mapped, 6), 'lan');
  t.equal(trie.lookupBytes(mapped, 6, 120), 'lan', 'ECS-style /120 of a mapped address');

  const raw = trieOf([['192.168.1.0/24', 'lan'], ['::/0', 'any-v6']], { mapIPv4: false });
  t.equal(raw.lookupString('::ffff:192.168.1.5'), 'any-v6', 'mapIPv4: false keeps IPv6 as IPv6');
  t.equal(raw.lookupBytes(mapped, 6), 'any-v6');
});

t.test('/0 defaults are per family', async (t) => {
  const trie = trieOf([['0.0.0.0/0', 'v4-default'], ['10.0.0.0/8', 'ten']]);
  t.equal(trie.lookupString('203.0.113.1'), 'v4-default');
  t.equal(trie.lookupString('10.0.0.1'), 'ten');
  t.equal(trie.lookupString('2001:db8::1'), undefined, 'no IPv6 default');
  t.equal(trie.lookupBytes([10, 0, 0, 1], 4, 0), 'v4-default', 'maxBits 0 sees only /0');
  trie.insertCidr(ipaddr.parseCIDR('::/0'), 'v6-default');
  t.equal(trie.lookupString('2001:db8::1'), 'v6-default');
  t.equal(trie.lookupString('255.255.255.255'), 'v4-default');
});

t.test('/32 and /128 host prefixes match exactly one address', async (t) => {
  const trie = trieOf([['192.0.2.77/32', 'host4'], ['2001:db8::77/128', 'host6'], ['0.0.0.0/0', 'd4'], ['::/0', 'd6']]);
  t.equal(trie.lookupString('192.0.2.77'), 'host4');
  t.equal(trie.lookupString('192.0.2.76'), 'd4');
  t.equal(trie.lookupString('192.0.2.78'), 'd4');
  t.equal(trie.lookupString('2001:db8::77'), 'host6');
  t.equal(trie.lookupString('2001:db8::76'), 'd6');
  t.equal(trie.lookupString('2001:db8::1:77'), 'd6');
  t.equal(trie.lookupString('fe80::1%eth0'), 'd6', 'zone suffix ignored');
  t.equal(trie.lookupBytes([192, 0, 2, 77], 4, 31), 'd4', 'a /31 client subnet cannot prove the /32');
});

t.test('ECS-style truncated address bytes and source prefix length', async (t) => {
  const trie = trieOf([
    ['192.0.0.0/22', 'net22'], ['192.0.2.0/24', 'net24'], ['192.0.2.128/25', 'net25'], ['0.0.0.0/0', 'any'],
    ['2001:db8::/32', 'v6-32'], ['2001:db8:1::/48', 'v6-48'], ['2001:db8:1:2::/63', 'v6-63'],
  ]);
  t.equal(trie.lookupBytes([192, 0, 2], 4, 24), 'net24', '3 bytes for /24');
  t.equal(trie.lookupBytes([192, 0, 2, 200], 4, 24), 'net24', '/25 needs 25 bits');
  t.equal(trie.lookupBytes([192, 0, 2, 200], 4, 25), 'net25');
  t.equal(trie.lookupBytes([192, 0, 2], 4, 23), 'net22', 'a /24 in the same stride does not hide the /22');
  t.equal(trie.lookupBytes([192, 0, 2], 4, 22), 'net22');
  t.equal(trie.lookupBytes([192, 0, 0], 4, 21), 'any');
  t.equal(trie.lookupBytes([192, 0, 2], 4, 32), 'net24', 'maxBits clipped to the bytes present');
  t.equal(trie.lookupBytes([], 4, 24), 'any', 'no bytes');
  t.equal(trie.lookupBytes([192, 0, 2], 4, Number.NaN), 'any', 'a NaN length reads nothing');
  t.equal(trie.lookupBytes([192, 0, 2], 4, 24.9), 'net24', 'a fractional length is truncated');
  t.equal(trie.lookupBytes([0x20, 0x01, 0x0d, 0xb8, 0, 1], 6, 48), 'v6-48');
  t.equal(trie.lookupBytes([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2], 6, 56), 'v6-48');
  t.equal(trie.lookupBytes([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3], 6, 64), 'v6-63');
  t.equal(trie.lookupBytes([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3], 6, 62), 'v6-48');
  const packet = new Uint8Array([0xaa, 0xbb, 192, 0, 2, 130, 0xcc]);
  t.equal(trie.lookupBytes(packet, 4, 32, 2), 'net25', 'address at an offset inside a packet');
  t.equal(trie.lookupBytes(packet, 4, 32, 5), 'any', 'offset near the end: only the bytes present are read');
  t.equal(trie.lookupIPv4(0xc0000282), 'net25');
  t.equal(trie.lookupIPv4(0xc0000282, 24), 'net24');
});

t.test('rejects malformed prefixes and addresses', async (t) => {
  const trie = new PrefixTrie<number>();
  t.throws(() => trie.insert([10, 0, 0], 8, 1), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => trie.insert([10, 0, 0, 256], 8, 1), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => trie.insert([10, 0, 0, 0], 33, 1), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => trie.insert(new Uint8Array(16), 129, 1), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => trie.insert([10, 0, 0, 0], -1, 1), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  t.throws(() => trie.insert([10, 0, 0, 0], 8.5, 1), { code: 'HZ_ERR_INVALID_ARGUMENT' });
  trie.insert([0, 0, 0, 0], 0, 1);
  for (const bad of ['', 'localhost', '10.0.0', '10.0.0.1.', '::g', '1:2:3']) t.equal(trie.lookupString(bad), undefined, bad);
});

/** Reference: a linear scan over the prefixes with bigint masks (independent of the trie). */
interface Ref { family: 4 | 6; net: bigint; len: number; order: number; value: number }
function toBig(b: ArrayLike<number>): bigint {
  let v = 0n;
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
function refLookup(refs: Ref[], family: 4 | 6, addr: bigint, maxBits: number): number | undefined {
  const bits = family === 4 ? 32 : 128;
  let best: Ref | undefined;
  for (const r of refs) {
    if (r.family !== family || r.len > maxBits) continue;
    const shift = BigInt(bits - r.len);
    if ((r.net >> shift) !== (addr >> shift)) continue;
    if (!best || r.len > best.len || (r.len === best.len && r.order < best.order)) best = r;
  }
  return best?.value;
}

t.test('random prefix sets agree with a linear scan', async (t) => {
  let mismatches = 0;
  for (let round = 0; round < 30; round++) {
    const trie = new PrefixTrie<number>({ mapIPv4: false });
    const refs: Ref[] = [];
    const bases = [4, 4, 6, 6, 6].map((f) => ({ f: f as 4 | 6, b: Array.from({ length: f === 4 ? 4 : 16 }, () => Math.floor(rand() * 256)) }));
    for (let i = 0; i < 60; i++) {
      const base = bases[Math.floor(rand() * bases.length)]!;
      const bits = base.f === 4 ? 32 : 128;
      const net = base.b.map((x) => (rand() < 0.15 ? Math.floor(rand() * 256) : x)); // nested and sibling prefixes
      const len = Math.floor(rand() * (bits + 1));
      const order = Math.floor(rand() * 20); // duplicates on purpose
      trie.insert(net, len, i, order);
      const shift = BigInt(bits - len);
      refs.push({ family: base.f, net: (toBig(net) >> shift) << shift, len, order: order * 1000 + i, value: i });
    }
    for (let q = 0; q < 300; q++) {
      const base = bases[Math.floor(rand() * bases.length)]!;
      const bits = base.f === 4 ? 32 : 128;
      const addr = base.b.map((x) => (rand() < 0.1 ? Math.floor(rand() * 256) : x));
      const maxBits = rand() < 0.5 ? bits : Math.floor(rand() * (bits + 1));
      const expected = refLookup(refs, base.f, toBig(addr), maxBits);
      const got = trie.lookupBytes(addr, base.f, maxBits);
      const gotString = maxBits === bits ? trie.lookupString(formatAddress(addr, base.f)) : got;
      if (got !== expected || gotString !== expected) {
        mismatches++;
        if (mismatches < 5) t.fail(`${formatAddress(addr, base.f)} maxBits ${maxBits}: got ${got}/${gotString}, want ${expected}`);
      }
    }
  }
  t.equal(mismatches, 0, 'no mismatches');
});
