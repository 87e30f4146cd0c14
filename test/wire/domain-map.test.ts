import t from 'tap';
import { DomainMap } from '../../src/wire/domain-map.js';
import { nameToWire } from '../../src/wire/name.js';

t.test('longest suffix match on label boundaries, case-insensitive', async (t) => {
  const m = new DomainMap<string>();
  m.set('example.com', 'ex');
  m.set('Corp.Example.Com.', 'corp');
  m.set('lab.corp.example.com', 'lab');
  t.equal(m.size, 3);
  t.equal(m.matchName('example.com'), 'ex', 'the name itself');
  t.equal(m.matchName('WWW.EXAMPLE.COM'), 'ex');
  t.equal(m.matchName('a.b.corp.example.com'), 'corp');
  t.equal(m.matchName('x.LAB.corp.example.com.'), 'lab');
  t.equal(m.matchName('notexample.com'), undefined, 'not a label boundary');
  t.equal(m.matchName('com'), undefined);
  t.equal(m.matchName('.'), undefined);
  m.set('EXAMPLE.com', 'replaced');
  t.equal(m.size, 3, 'same name replaces');
  t.equal(m.matchName('www.example.com'), 'replaced');
});

t.test('the root matches everything; reads a question inside a message', async (t) => {
  const m = new DomainMap<number>();
  m.set('.', 1);
  m.set('home.arpa', 2);
  t.equal(m.matchName('anything.example'), 1);
  const msg = Buffer.concat([Buffer.alloc(12), nameToWire('printer.Home.Arpa.'), Buffer.from([0, 1, 0, 1])]);
  t.equal(m.match(msg, 12), 2);
  t.equal(m.match(msg.subarray(0, 20), 12), undefined, 'a name running past the buffer matches nothing');
});

t.test('many names with colliding buckets still match exactly', async (t) => {
  const m = new DomainMap<number>();
  for (let i = 0; i < 2000; i++) m.set(`n${i}.example`, i);
  for (let i = 0; i < 2000; i += 97) t.equal(m.matchName(`host.n${i}.example`), i);
  t.equal(m.matchName('n2000.example'), undefined);
});
