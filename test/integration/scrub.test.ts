import t from 'tap';
import { startDaemon, exampleConfig } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { FakeUpstream, aRecord, soaRecord } from '../helpers/fake-upstream.js';
import type { RR } from '../../src/wire/types.js';
import { nameToWire } from '../../src/wire/name.js';

/**
 * Issue #15, finding 4: records in an upstream answer that are not part of the chain from the
 * question name (and unrelated authority/additional records) are removed before the answer is
 * cached or sent, as Unbound's scrubber does. A fake upstream adds them; dig must never see them.
 */

const H = '127.0.0.1';

function rr(name: string, type: number, rdata: Uint8Array, ttl = 300): RR {
  return { name, type, class: 1, ttl, rdata };
}
const cname = (name: string, target: string): RR => rr(name, 5, nameToWire(target));
const ns = (name: string, target: string): RR => rr(name, 2, nameToWire(target));

t.test('an unrelated A record from the upstream never reaches the client', async (t) => {
  const up = await FakeUpstream.start();
  t.teardown(() => up.close());
  up.set('www.example.net.', {
    answer: [aRecord('www.example.net.', '198.51.100.7'), aRecord('bank.example.com.', '203.0.113.66')],
    authority: [ns('example.net.', 'ns1.example.net.'), ns('example.com.', 'ns.evil.example.')],
    additional: [aRecord('ns1.example.net.', '198.51.100.53'), aRecord('ns.evil.example.', '203.0.113.67'), aRecord('mail.example.org.', '203.0.113.68')],
  });
  up.set('alias.example.net.', {
    answer: [
      cname('alias.example.net.', 'target.example.org.'),
      aRecord('unrelated.example.org.', '203.0.113.69'),
      aRecord('target.example.org.', '198.51.100.8'),
    ],
  });
  up.set('bank.example.com.', { answer: [aRecord('bank.example.com.', '198.51.100.99')] });
  up.set('gone.example.net.', { rcode: 3, authority: [soaRecord('example.net.', 600, 60), soaRecord('example.com.', 600, 60)] });
  const d = await startDaemon({
    config: exampleConfig(`forward:
  upstreams: [{ address: 127.0.0.1, port: ${up.port}, protocol: udp }]
  timeout: 500ms
  attempts: 1
`).replace('metrics: { enabled: false }', 'metrics: { enabled: true, listen: "127.0.0.1:0" }'),
    copyZones: true,
  });
  t.teardown(() => d.stop());

  for (const pass of ['from upstream', 'from cache']) {
    const r = await dig(H, d.port, 'www.example.net', 'A');
    t.equal(r.status, 'NOERROR');
    t.same(r.answer, ['www.example.net. 300 IN A 198.51.100.7'], `${pass}: only the asked name in the answer`);
    t.same(r.authority, ['example.net. 300 IN NS ns1.example.net.'], `${pass}: only the zone's NS`);
    t.same(r.additional, ['ns1.example.net. 300 IN A 198.51.100.53'], `${pass}: only the NS address`);
    t.notMatch(r.raw, /203\.0\.113\.6[6-8]/, `${pass}: no injected address anywhere`);
  }
  t.equal(up.count('www.example.net.'), 1, 'the second answer came from the cache');

  const chain = await dig(H, d.port, 'alias.example.net', 'A');
  t.same(chain.answer, ['alias.example.net. 300 IN CNAME target.example.org.', 'target.example.org. 300 IN A 198.51.100.8'], 'the CNAME chain stays, the stray record goes');

  const nx = await dig(H, d.port, 'gone.example.net', 'A');
  t.equal(nx.status, 'NXDOMAIN');
  t.equal(nx.authority.length, 1, 'only the SOA of the zone above the name');
  t.match(nx.authority[0], /^example\.net\. 60 IN SOA/);

  const bank = await dig(H, d.port, 'bank.example.com', 'A');
  t.same(bank.answer, ['bank.example.com. 300 IN A 198.51.100.99'], 'the injected address was not cached for its own name either');

  const res = await fetch(`http://${d.metrics!.address}:${d.metrics!.port}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith('horizond_cache_scrubbed_records_total'));
  t.ok(line !== undefined && Number(line.split(' ').pop()) >= 6, `scrubbed records counted: ${line}`);
});
