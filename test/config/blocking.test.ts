import t from 'tap';
import { parseConfig } from '../../src/config/index.js';
import { configErrors } from '../helpers/config.js';

/** The `blocking` section and `views.list[].blocking`: the keys, defaults and errors. */

const OK = `blocking:
  lists:
    ads: [lists/oisd-big.txt, "https://example.org/hosts"]
    malware: [lists/malware.txt]
  allow: [lists/allow.txt]
  answer: zero
  ttl: 5m
  refresh: 24h
views:
  list:
    - { name: lan, match: [10.0.0.0/8], blocking: [ads, malware] }
    - { name: k8s, match: [10.42.0.0/16], blocking: [] }
    - { name: default }
`;

t.test('the issue\'s config loads as written', async (t) => {
  const c = parseConfig(OK, 'h.yaml', '/etc/horizond');
  t.same(c.blocking?.lists.map((g) => g.name), ['ads', 'malware']);
  t.same(c.blocking?.lists[0]!.sources, [
    { kind: 'file', path: '/etc/horizond/lists/oisd-big.txt', text: 'lists/oisd-big.txt' },
    { kind: 'url', url: 'https://example.org/hosts', text: 'https://example.org/hosts' },
  ]);
  t.same(c.blocking?.allow, [{ kind: 'file', path: '/etc/horizond/lists/allow.txt', text: 'lists/allow.txt' }]);
  t.equal(c.blocking?.answer, 'zero');
  t.equal(c.blocking?.ttl, 300);
  t.equal(c.blocking?.refresh, 86_400);
  t.equal(c.blocking?.maxSize, 64 * 1024 * 1024);
  t.same(c.views.list.map((v) => v.blocking), [['ads', 'malware'], [], null], 'absent: every group');
});

t.test('without a blocking section nothing is blocked', async (t) => {
  t.equal(parseConfig('', 'h.yaml', '/x').blocking, null);
  t.equal(parseConfig('', 'h.yaml', '/x').views.list[0]!.blocking, null);
});

t.test('unknown groups, empty lists, bad URLs: file:line:col errors', async (t) => {
  t.same(configErrors('blocking:\n  lists: {}\n', '/x'), ['h.yaml:2:10: blocking.lists: must name at least one group']);
  t.same(configErrors('blocking:\n  lists:\n    ads: []\n', '/x'), ['h.yaml:3:10: blocking.lists.ads: must not be empty']);
  t.same(configErrors('blocking:\n  lists:\n    ads: ["ftp://example.org/x"]\n', '/x'), ['h.yaml:3:11: blocking.lists.ads[0]: expected an http or https URL, got ftp']);
  t.same(configErrors('blocking:\n  lists:\n    ads: ["https://exa mple.org/"]\n', '/x'), ['h.yaml:3:11: blocking.lists.ads[0]: not a valid URL: https://exa mple.org/']);
  t.same(configErrors('blocking:\n  lists:\n    ads: [a.txt]\n  answer: sinkhole\n', '/x'), ['h.yaml:4:11: blocking.answer: expected one of zero, nxdomain, nodata, refused']);
  t.same(configErrors('blocking:\n  lists:\n    ads: [a.txt]\nviews:\n  list:\n    - { name: lan, match: [10.0.0.0/8], blocking: [ads, add] }\n', '/x'),
    ['h.yaml:6:57: views.list[0].blocking[1]: unknown blocking group "add" (did you mean "ads"?)']);
  t.same(configErrors('views:\n  list:\n    - { name: lan, match: [10.0.0.0/8], blocking: [ads] }\n', '/x'),
    ['h.yaml:3:52: views.list[0].blocking[0]: unknown blocking group "ads"']);
  t.same(configErrors('blocking:\n  lists:\n    ads: [a.txt]\n  refresh: 10s\n', '/x'), ['h.yaml:4:12: blocking.refresh: expected 1m..30d']);
});
