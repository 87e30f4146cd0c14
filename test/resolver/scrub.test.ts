import t from 'tap';
import { scrubAnswer } from '../../src/resolver/scrub.js';
import { decodeMessage, encodeMessage } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { emptyMessage, type RR } from '../../src/wire/types.js';

const A = (name: string, last = 1): RR => ({ name, type: 1, class: 1, ttl: 60, rdata: new Uint8Array([192, 0, 2, last]) });
const named = (name: string, type: number, target: string, pre: number[] = []): RR => ({ name, type, class: 1, ttl: 60, rdata: new Uint8Array([...pre, ...nameToWire(target), ...(type === 47 ? [0, 1, 0x40] : [])]) });
const sig = (name: string): RR => ({ name, type: 46, class: 1, ttl: 60, rdata: new Uint8Array(20) });
const rec = (name: string, type: number): RR => ({ name, type, class: 1, ttl: 60, rdata: new Uint8Array(4) });

function answer(qname: string, qtype: number, sections: { an?: RR[]; ns?: RR[]; ar?: RR[] }): Buffer {
  return encodeMessage(emptyMessage({ id: 1, qr: true, rd: true, ra: true, question: [{ name: qname, type: qtype, class: 1 }], answer: sections.an ?? [], authority: sections.ns ?? [], additional: sections.ar ?? [] }));
}
const names = (wire: Buffer, section: 'answer' | 'authority' | 'additional'): string[] => decodeMessage(wire)[section].map((r) => `${r.name}/${r.type}`);

t.test('a clean answer comes back as the same buffer', async (t) => {
  const w = answer('www.example.', 1, { an: [A('www.example.'), sig('www.example.')], ns: [named('example.', 2, 'ns.example.')], ar: [A('ns.example.', 53)] });
  const s = scrubAnswer(w);
  t.equal(s.removed, 0);
  t.equal(s.wire, w);
});

t.test('DNAME chains, their synthesised CNAMEs and signatures stay; strays go', async (t) => {
  const w = answer('a.old.example.', 1, { an: [
    named('old.example.', 39, 'new.example.'), sig('old.example.'),
    named('a.old.example.', 5, 'a.new.example.'),
    A('a.new.example.'), sig('a.new.example.'),
    A('b.new.example.', 9),
  ] });
  const s = scrubAnswer(w);
  t.equal(s.removed, 1);
  t.same(names(s.wire, 'answer'), ['old.example./39', 'old.example./46', 'a.old.example./5', 'a.new.example./1', 'a.new.example./46']);
});

t.test('ANY keeps every type at the name; a CNAME query keeps the CNAME only', async (t) => {
  const any = scrubAnswer(answer('x.example.', 255, { an: [A('x.example.'), rec('x.example.', 16), A('y.example.')] }));
  t.same(names(any.wire, 'answer'), ['x.example./1', 'x.example./16']);
  const c = scrubAnswer(answer('x.example.', 5, { an: [named('x.example.', 5, 'y.example.'), A('y.example.')] }));
  t.same(names(c.wire, 'answer'), ['x.example./5']);
});

t.test('authority and additional: the zone above the name and the addresses it names', async (t) => {
  const s = scrubAnswer(answer('mx.example.', 15, {
    an: [named('mx.example.', 15, 'mail.example.', [0, 10])],
    ns: [named('example.', 2, 'ns.example.'), named('other.', 2, 'ns.other.'), rec('www.example.', 16), named('z.example.', 47, 'zz.example.'), named('z.other.', 47, 'zz.other.')],
    ar: [A('mail.example.'), A('ns.example.'), A('ns.other.'), rec('mail.example.', 16)],
  }));
  t.same(names(s.wire, 'authority'), ['example./2', 'z.example./47']);
  t.same(names(s.wire, 'additional'), ['mail.example./1', 'ns.example./1']);
  t.equal(s.removed, 5);
});

t.test('a bailiwick removes what lies outside the forwarded domain', async (t) => {
  const s = scrubAnswer(answer('a.corp.example.', 1, { an: [named('a.corp.example.', 5, 'b.elsewhere.'), A('b.elsewhere.')] }), 'corp.example.');
  t.same(names(s.wire, 'answer'), ['a.corp.example./5']);
});

t.test('a CNAME loop ends', async (t) => {
  const s = scrubAnswer(answer('a.example.', 1, { an: [named('a.example.', 5, 'b.example.'), named('b.example.', 5, 'a.example.')] }));
  t.same(names(s.wire, 'answer'), ['a.example./5', 'b.example./5']);
});
