import t from 'tap';
import { cnameEntersZones, spliceLocalChain } from '../../src/view/local-chain.js';
import { RRType } from '../../src/wire/constants.js';
import { encodeMessage } from '../../src/wire/message.js';
import { nameToWire } from '../../src/wire/name.js';
import { emptyMessage } from '../../src/wire/types.js';
import { A, CNAME, answers, decode, loadTestViews, response } from '../fixtures/views/setup.js';

const { views } = loadTestViews();
const lan = views.get('lan')!;
const k8s = views.get('k8s')!;

const intoExampleNet = response('cdn.example.com', 'A', {
  answers: [CNAME('cdn.example.com', 'edge.example.org'), CNAME('edge.example.org', 'app.example.net'), A('app.example.net', '198.51.100.99', 20)],
});

t.test('the chain continues from the view\'s own zone', async (t) => {
  const out = spliceLocalChain(intoExampleNet, lan, RRType.A)!;
  t.same(answers(out), [
    'cdn.example.com CNAME edge.example.org',
    'edge.example.org CNAME app.example.net',
    'app.example.net CNAME example.net', // the LAN zone's wildcard
    'example.net A 192.168.1.50',
  ]);
  const msg = decode(out);
  t.equal(msg.rcode, 'NOERROR');
  t.notOk(msg.flag_aa);
  t.ok(msg.flag_ra, 'header flags kept');
  t.equal(msg.id, 0x4242);
});

t.test('the same upstream answer completed from the global zone for another view', async (t) => {
  const out = spliceLocalChain(intoExampleNet, k8s, RRType.A)!;
  t.same(answers(out).slice(2), ['app.example.net A 203.0.113.10']);
  t.equal((decode(out).answers![2] as { ttl: number }).ttl, 300, 'TTL of the zone record');
  const gone = response('old.example.com', 'A', { answers: [CNAME('old.example.com', 'gone.example.net'), A('gone.example.net', '198.51.100.1')] });
  const nx = decode(spliceLocalChain(gone, k8s, RRType.A)!);
  t.equal(nx.rcode, 'NXDOMAIN', 'the local zone does not have the name');
  t.same(nx.answers!.map((r) => r.type), ['CNAME']);
  t.equal(nx.authorities![0]!.type, 'SOA');
});

t.test('an upstream NXDOMAIN for a name we serve becomes our answer', async (t) => {
  const wire = response('nas.example.com', 'A', { rcode: 3, answers: [CNAME('nas.example.com', 'nas.example.net')] });
  const out = spliceLocalChain(wire, lan, RRType.A)!;
  t.equal(decode(out).rcode, 'NOERROR');
  t.same(answers(out), ['nas.example.com CNAME nas.example.net', 'nas.example.net A 192.168.1.20']);
});

t.test('fallthrough zones: held names are local, others keep the upstream chain', async (t) => {
  const held = response('w.example.com', 'A', { answers: [CNAME('w.example.com', 'wiki.corp.example'), A('wiki.corp.example', '198.51.100.80')] });
  t.same(answers(spliceLocalChain(held, lan, RRType.A)!), ['w.example.com CNAME wiki.corp.example', 'wiki.corp.example A 192.168.1.80']);
  const missing = response('j.example.com', 'A', { answers: [CNAME('j.example.com', 'jira.corp.example'), A('jira.corp.example', '198.51.100.81')] });
  t.equal(spliceLocalChain(missing, lan, RRType.A), null);
});

t.test('nothing to do', async (t) => {
  const plain = response('www.example.com', 'A', { answers: [CNAME('www.example.com', 'web.example.org'), A('web.example.org', '198.51.100.5')] });
  t.equal(spliceLocalChain(plain, lan, RRType.A), null, 'chain never enters a local zone');
  t.equal(spliceLocalChain(intoExampleNet, lan, RRType.CNAME), null, 'the client asked for the CNAME itself');
  const loop = response('a.example.com', 'A', { answers: [CNAME('a.example.com', 'b.example.com'), CNAME('b.example.com', 'a.example.com'), CNAME('c.example.com', 'x.example.net')] });
  t.equal(spliceLocalChain(loop, lan, RRType.A), null, 'a loop outside local zones; the stray CNAME is not on the chain');
});

t.test('compressed CNAME targets are followed', async (t) => {
  const wire = encodeMessage(emptyMessage({
    id: 9, qr: true, rd: true, ra: true,
    question: [{ name: 'x.example.net.', type: RRType.A, class: 1 }],
    answer: [{ name: 'alias.example.com.', type: RRType.CNAME, class: 1, ttl: 60, rdata: nameToWire('x.example.net.') }],
  }));
  t.ok(wire.includes(Buffer.from([0xc0, 12])), 'the target is a pointer to the question');
  t.ok(cnameEntersZones(wire, lan.zoneMap));
  const plain = encodeMessage(emptyMessage({
    id: 9, qr: true, question: [{ name: 'x.example.org.', type: RRType.A, class: 1 }],
    answer: [{ name: 'alias.example.com.', type: RRType.CNAME, class: 1, ttl: 60, rdata: nameToWire('x.example.org.') }],
  }));
  t.notOk(cnameEntersZones(plain, lan.zoneMap));
  const bad = Buffer.from(wire);
  bad[bad.length - 1] = 0xff; // pointer forward: malformed
  t.notOk(cnameEntersZones(bad, lan.zoneMap));
});
