import { join } from 'node:path';
import t from 'tap';
import { formatConfig, parseConfig } from '../../../src/config/index.js';
import { configErrors as errors } from '../../helpers/config.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

t.test('upstreams get protocol defaults, ports, TLS names and ids', async (t) => {
  const dir = t.testdir({ 'ca.pem': PEM });
  const c = parseConfig([
    'forward:',
    '  upstreams:',
    '    - { address: 192.0.2.53 }',
    '    - { address: "2001:db8:0::53", protocol: tcp, port: 5353 }',
    '    - { address: 1.1.1.1, protocol: tls, serverName: Cloudflare-DNS.com. }',
    '    - { address: 9.9.9.9, protocol: tls, caFile: ca.pem }',
    '    - { url: "https://dns.example/dns-query", address: 127.0.0.1, protocol: https }',
    '    - { url: "https://[2001:db8::1]:8443/q", protocol: https, caFile: ca.pem }',
    '  timeout: 500ms',
    '  attempts: 2',
    '  domains:',
    '    - { name: Corp.Example, upstreams: [ { address: 10.1.1.1 } ] }',
    '  nxdomain: [secret.example]',
  ].join('\n'), 'h.yaml', dir);
  const f = c.forward;
  t.same(f.upstreams.map((u) => [u.id, u.protocol, u.address?.address ?? null, u.port, u.serverName, u.url, u.caFile]), [
    ['udp://192.0.2.53:53', 'udp', '192.0.2.53', 53, null, null, null],
    ['tcp://[2001:db8::53]:5353', 'tcp', '2001:db8::53', 5353, null, null, null],
    ['tls://1.1.1.1:853', 'tls', '1.1.1.1', 853, 'cloudflare-dns.com', null, null],
    ['tls://9.9.9.9:853', 'tls', '9.9.9.9', 853, null, null, join(dir, 'ca.pem')],
    ['https://dns.example/dns-query', 'https', '127.0.0.1', 443, 'dns.example', 'https://dns.example/dns-query', null],
    ['https://[2001:db8::1]:8443/q', 'https', null, 8443, null, 'https://[2001:db8::1]:8443/q', join(dir, 'ca.pem')],
  ]);
  t.equal(f.timeout, 0.5);
  t.equal(f.attempts, 2);
  t.same(f.domains.map((d) => [d.name, d.upstreams.map((u) => u.id)]), [['corp.example.', ['udp://10.1.1.1:53']]]);
  t.same(f.nxdomain, ['secret.example.']);
});

t.test('upstream and forwarding errors', async (t) => {
  const dir = t.testdir({ 'ca.pem': PEM, 'notca.pem': 'not a cert\n' });
  const text = [
    'forward:',                                                                  // 1
    '  upstreams:',                                                              // 2
    '    - { address: 192.0.2.53, port: 0 }',                                    // 3
    '    - { address: 192.0.2.1.5 }',                                            // 4
    '    - { protocol: https }',                                                 // 5
    '    - { protocol: https, url: "http://dns.example/dns-query" }',            // 6
    '    - { protocol: https, url: "https://user:pw@dns.example/q", address: "::1" }', // 7
    '    - { protocol: https, url: "https://dns.example/q", port: 443 }',        // 8
    '    - { address: 10.0.0.1, url: "https://dns.example/dns-query", serverName: dns.example, caFile: ca.pem }', // 9
    '    - { protocol: tls, address: 1.1.1.1, caFile: notca.pem }',              // 10
    '    - { protocol: tls, address: 1.1.1.1, caFile: nope.pem, serverName: "bad name" }', // 11
    '    - { protocol: tcp }',                                                   // 12
    '    - { address: 192.0.2.53 }',                                             // 13
    '    - { address: 192.0.2.53, port: 53, protocol: udp }',                    // 14
    '  timeout: 0s',                                                             // 15
    '  attempts: 11',                                                            // 16
    '  domains:',                                                                // 17
    '    - { name: corp.example., upstreams: [] }',                              // 18
    '    - { name: ., upstreams: [ { address: 10.1.1.1 } ] }',                   // 19
    '    - { name: lab.example, upstreams: [ { address: 10.1.1.1 } ] }',         // 20
    '    - { name: Lab.Example., upstreams: [ { address: 10.1.1.2 } ] }',        // 21
    '  nxdomain: [secret.example., "bad name"]',                                 // 22
  ].join('\n');
  t.same(errors(text, dir), [
    'h.yaml:3:36: forward.upstreams[0].port: expected 1..65535',
    'h.yaml:4:18: forward.upstreams[1].address: expected an IP address such as 192.0.2.1 or 2001:db8::1',
    'h.yaml:5:7: forward.upstreams[2].url: is required for protocol https',
    'h.yaml:6:31: forward.upstreams[3].url: expected an https:// URL such as https://dns.example/dns-query',
    'h.yaml:7:31: forward.upstreams[4].url: must not contain credentials',
    'h.yaml:8:62: forward.upstreams[5].port: is not used with https: put the port in the url',
    'h.yaml:9:33: forward.upstreams[6].url: is only used with protocol https',
    'h.yaml:9:78: forward.upstreams[6].serverName: is only used with protocol tls or https',
    'h.yaml:9:99: forward.upstreams[6].caFile: is only used with protocol tls or https',
    `h.yaml:10:50: forward.upstreams[7].caFile: ${join(dir, 'notca.pem')} holds no PEM certificate`,
    `h.yaml:11:50: forward.upstreams[8].caFile: cannot read ${join(dir, 'nope.pem')}: no such file`,
    'h.yaml:11:72: forward.upstreams[8].serverName: expected a host name such as dns.example',
    'h.yaml:12:7: forward.upstreams[9].address: is required',
    'h.yaml:14:7: forward.upstreams[11]: duplicate upstream "udp://192.0.2.53:53" (first at line 13)',
    'h.yaml:15:12: forward.timeout: must be greater than 0',
    'h.yaml:16:13: forward.attempts: expected 1..10',
    'h.yaml:18:41: forward.domains[0].upstreams: must not be empty',
    'h.yaml:19:15: forward.domains[1].name: the root domain is not allowed here',
    'h.yaml:21:15: forward.domains[3].name: duplicate domain "lab.example." (first at line 20)',
    'h.yaml:22:31: forward.nxdomain[1]: expected a domain name such as home.lan. (labels of 1..63 letters, digits, "-" or "_"; at most 255 bytes)',
  ]);
});

t.test('upstreams: system takes the nameservers of resolvConf, leaving out this server', async (t) => {
  const dir = t.testdir({
    'resolv.conf': [
      '# written by a DHCP client',
      'search home.lan',
      'nameserver 192.0.2.53   # the router',
      'nameserver 2001:DB8::53',
      'nameserver fe80::1%eth0',
      'nameserver 192.0.2.53',
      '; nameserver 198.51.100.1',
      'nameserver 127.0.0.1',
      'options edns0 trust-ad',
    ].join('\n'),
  });
  const base = ['forward:', '  upstreams: system', '  resolvConf: resolv.conf'];
  const c = parseConfig(base.join('\n'), 'h.yaml', dir);
  t.same(c.forward.upstreams.map((u) => u.id), ['udp://192.0.2.53:53', 'udp://[2001:db8::53]:53', 'udp://127.0.0.1:53'], 'file order, duplicates once, port 53');
  t.same(c.forward.system, { resolvConf: join(dir, 'resolv.conf'), skipped: ['fe80::1%eth0: not a plain IP address'] });
  // Listening on 127.0.0.1:53 ourselves: that nameserver would be a forwarding loop.
  const self = parseConfig(['server: { listen: [ { address: 127.0.0.1, port: 53 } ] }', ...base].join('\n'), 'h.yaml', dir);
  t.same(self.forward.upstreams.map((u) => u.id), ['udp://192.0.2.53:53', 'udp://[2001:db8::53]:53']);
  t.same(self.forward.system!.skipped, ['fe80::1%eth0: not a plain IP address', '127.0.0.1: this server (a forwarding loop)']);
  // A wildcard listener on port 53 is every local address, loopback included.
  const wild = parseConfig(['server: { listen: [ { address: 0.0.0.0, port: 53 } ] }', ...base].join('\n'), 'h.yaml', dir);
  t.same(wild.forward.upstreams.map((u) => u.id), ['udp://192.0.2.53:53', 'udp://[2001:db8::53]:53']);
  // Another port is another server (`npm start` listens on 5353 and may forward to a local :53).
  const other = parseConfig(['server: { listen: [ { address: 127.0.0.1, port: 5353 } ] }', ...base].join('\n'), 'h.yaml', dir);
  t.equal(other.forward.upstreams.length, 3);
});

t.test('upstreams: system with no nameserver line means 127.0.0.1 (as the C library reads it)', async (t) => {
  const dir = t.testdir({ 'resolv.conf': 'search lan\n' });
  const c = parseConfig('forward: { upstreams: system, resolvConf: resolv.conf }', 'h.yaml', dir);
  t.same(c.forward.upstreams.map((u) => u.id), ['udp://127.0.0.1:53']);
});

t.test('upstreams: system errors', async (t) => {
  const dir = t.testdir({ 'resolv.conf': 'nameserver 192.0.2.1\n' });
  t.same(errors('forward: { upstreams: sytem }', dir), ['h.yaml:1:23: forward.upstreams: expected a list of upstreams or "system" (the nameservers of resolv.conf)']);
  t.same(errors('forward: { upstreams: system, resolvConf: nope.conf }', dir), [`h.yaml:1:43: forward.resolvConf: cannot read ${join(dir, 'nope.conf')}: no such file`]);
  t.same(errors('forward: { upstreams: [], resolvConf: resolv.conf }', dir), ['h.yaml:1:39: forward.resolvConf: is only used with upstreams: system']);
});

t.test('upstreams: system prints as written and reloads from the same file', async (t) => {
  const dir = t.testdir({ 'resolv.conf': 'nameserver 192.0.2.1\n' });
  const c = parseConfig('forward: { upstreams: system, resolvConf: resolv.conf }', 'h.yaml', dir);
  const text = formatConfig(c);
  t.match(text, /upstreams: system\n\s+resolvConf: .*resolv\.conf/);
  t.same(parseConfig(text, 'h.yaml', dir).forward, c.forward);
});
