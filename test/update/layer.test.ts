import t from 'tap';
import { DynamicLayer } from '../../src/update/layer.js';
import { RRType } from '../../src/wire/constants.js';
import { loadZoneText } from '../../src/zone/load.js';
import { rec } from '../fixtures/kea/update-client.js';

const file = (extra: string, serial = 10) => loadZoneText(`$ORIGIN z.test.\n@ 300 SOA ns h ${serial} 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n${extra}`, 'z.test.').zone;
const change = (line: string) => { const r = rec(line); return { name: r.name, type: r.type, ttl: r.ttl, rdata: [r.rdata] }; };

t.test('protectStatic: the file wins at names it defines', async (t) => {
  const layer = new DynamicLayer();
  layer.apply([change('pc.z.test. 60 IN A 192.0.2.50'), change('www.z.test. 60 IN A 192.0.2.51')], 12, 1, 1);
  const z = layer.overlay(file('www A 192.0.2.80\n'), true);
  t.same([...z.rrset('www.z.test.', RRType.A)!.rrs[0]!.rdata], [192, 0, 2, 80]);
  t.ok(z.rrset('pc.z.test.', RRType.A));
  t.equal(z.serial, 12);
});

t.test('without protectStatic: updated RRsets win, unless that mixes CNAME with other data', async (t) => {
  const layer = new DynamicLayer();
  layer.apply([change('www.z.test. 60 IN A 192.0.2.51'), { name: 'old.z.test.', type: RRType.TXT, ttl: 0, rdata: [] }], 11, 1, 1);
  let z = layer.overlay(file('www A 192.0.2.80\nold TXT "x"\nold A 192.0.2.3\n'), false);
  t.same([...z.rrset('www.z.test.', RRType.A)!.rrs[0]!.rdata], [192, 0, 2, 51]);
  t.notOk(z.rrset('old.z.test.', RRType.TXT), 'a deleted file RRset stays deleted');
  t.ok(z.rrset('old.z.test.', RRType.A));
  z = layer.overlay(file('www CNAME ns\n'), false);
  t.ok(z.rrset('www.z.test.', RRType.CNAME), 'the file now has a CNAME there: the file wins');
  t.notOk(z.rrset('www.z.test.', RRType.A));
  layer.prune(file(''));
  t.same([...layer.entries()].map((e) => e.name), ['www.z.test.'], 'a deletion of something the file does not have is not worth keeping');
});

t.test('the served serial is the larger of the file and the updates (RFC 1982)', async (t) => {
  const layer = new DynamicLayer();
  t.equal(layer.overlay(file('', 10), true).serial, 10, 'no updates yet');
  layer.apply([], 0xfffffff0, 1, 1);
  t.equal(layer.overlay(file('', 10), true).serial, 10, '10 is after 0xfffffff0 in serial arithmetic');
  layer.apply([], 500, 1, 2);
  t.equal(layer.overlay(file('', 10), true).serial, 500);
});
