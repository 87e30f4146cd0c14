import t from 'tap';
import { BlockSet, compileNames, compileSource, mergeParts, ALL_GROUPS } from '../../src/blocking/set.js';
import { nameToWire } from '../../src/wire/name.js';

function wire(name: string): Uint8Array {
  return nameToWire(name.endsWith('.') ? name : `${name}.`);
}

t.test('a listed name blocks itself and below; allow entries win for the name and below', async (t) => {
  const ads = compileSource(Buffer.from('ads.example.com\n||tracker.net^\n@@||ok.tracker.net^\n'));
  const malware = compileSource(Buffer.from('0.0.0.0 evil.example\n'));
  const allow = compileSource(Buffer.from('good.ads.example.com\n'), true);
  const set = new BlockSet(mergeParts([
    { keys: ads.block, bits: 1 << 0 }, { keys: ads.allow, bits: (1 << 0) << 16 },
    { keys: malware.block, bits: 1 << 1 }, { keys: malware.allow, bits: (1 << 1) << 16 },
    { keys: allow.allow, bits: ALL_GROUPS << 16 },
  ]));
  const m = (name: string, mask = 0b11) => set.match(wire(name), 0, mask);
  t.equal(m('ads.example.com'), 0);
  t.equal(m('ADS.Example.COM'), 0, 'case-insensitive');
  t.equal(m('x.y.ads.example.com'), 0, 'below a listed name');
  t.equal(m('example.com'), -1, 'above is not blocked');
  t.equal(m('bads.example.com'), -1, 'not a label boundary');
  t.equal(m('good.ads.example.com'), -1, 'allowlist wins');
  t.equal(m('deep.good.ads.example.com'), -1, 'allowlist wins below too');
  t.equal(m('tracker.net'), 0);
  t.equal(m('ok.tracker.net'), -1, '@@ exception');
  t.equal(m('a.ok.tracker.net'), -1, '@@ exception below');
  t.equal(m('evil.example'), 1);
  t.equal(m('evil.example', 0b01), -1, 'group not in the view mask');
  t.equal(m('evil.example', 0b10), 1);
  t.equal(m('ads.example.com', 0), -1, 'empty mask');
});

t.test('an @@ exception in one group does not unblock another group', async (t) => {
  const a = compileSource(Buffer.from('@@||shared.example^\n'));
  const b = compileSource(Buffer.from('shared.example\n'));
  const set = new BlockSet(mergeParts([
    { keys: a.allow, bits: 1 << 16 }, { keys: b.block, bits: 1 << 1 },
  ]));
  t.equal(set.match(wire('shared.example'), 0, 0b11), 1);
});

t.test('the query buffer is read in place: QNAME at an offset', async (t) => {
  const src = compileSource(Buffer.from('blocked.test\n'));
  const set = new BlockSet(mergeParts([{ keys: src.block, bits: 1 }]));
  const q = Buffer.concat([Buffer.alloc(12), wire('www.Blocked.Test'), Buffer.from([0, 1, 0, 1])]);
  t.equal(set.match(q, 12, 1), 0);
  t.equal(set.match(Buffer.from([3, 0x61, 0x62]), 0, 1), -1, 'truncated name');
  t.equal(BlockSet.empty().match(q, 12, 1), -1);
});

t.test('a large random set: every listed name found, unlisted ones not', async (t) => {
  const names: string[] = [];
  let x = 42;
  const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x; };
  for (let i = 0; i < 50_000; i++) names.push(`h${rnd().toString(36)}.d${rnd() % 5000}.example`);
  const set = new BlockSet(mergeParts([{ keys: compileNames(names), bits: 1 }]));
  t.ok(set.size <= names.length && set.size > names.length - 10);
  let found = 0;
  for (const n of names) if (set.match(wire(n), 0, 1) === 0) found++;
  t.equal(found, names.length);
  let miss = 0;
  for (let i = 0; i < 50_000; i++) if (set.match(wire(`u${rnd().toString(36)}.d${rnd() % 5000}.example`), 0, 1) === -1) miss++;
  t.equal(miss, 50_000);
});
