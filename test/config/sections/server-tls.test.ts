import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

function errors(text: string): string[] {
  try {
    parseConfig(text, 'h.yaml', '/etc/horizond');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

t.test('the issue #18 example: tls and https listeners, server.tls, trustedProxies', async (t) => {
  const c = parseConfig([
    'server:',
    '  listen:',
    '    - { address: 0.0.0.0, port: 853, protocols: [tls] }',
    '    - { address: 0.0.0.0, port: 443, protocols: [https], path: /dns-query }',
    '  tls: { certFile: /etc/horizond/tls.crt, keyFile: /etc/horizond/tls.key }',
    '  trustedProxies: [192.168.1.225]',
  ].join('\n'), 'h.yaml', '/etc/horizond');
  t.same(c.server.listen.map((l) => [l.address, l.port, l.protocols, l.path]), [
    ['0.0.0.0', 853, ['tls'], null],
    ['0.0.0.0', 443, ['https'], '/dns-query'],
  ]);
  t.same(c.server.tls, {
    certFile: '/etc/horizond/tls.crt', keyFile: '/etc/horizond/tls.key',
    handshakeTimeout: 5, idleTimeout: 30, maxConnections: 1000, maxHandshakes: 100, sessionTickets: true,
  });
  t.same(c.server.trustedProxies.map((p) => `${p.address}/${p.length}`), ['192.168.1.225/32']);
});

t.test('default ports and path; relative certificate paths', async (t) => {
  const c = parseConfig([
    'server:',
    '  listen: [{ address: "::1", protocols: [tls] }, { address: "::1", protocols: [https] }, { address: "::1" }]',
    '  tls: { certFile: tls/tls.crt, keyFile: tls/tls.key, handshakeTimeout: 2s, maxHandshakes: 10, sessionTickets: false }',
  ].join('\n'), 'h.yaml', '/etc/horizond');
  t.same(c.server.listen.map((l) => [l.port, l.path]), [[853, null], [443, '/dns-query'], [53, null]]);
  t.equal(c.server.tls!.certFile, '/etc/horizond/tls/tls.crt');
  t.equal(c.server.tls!.handshakeTimeout, 2);
  t.equal(c.server.tls!.sessionTickets, false);
  t.equal(parseConfig('', 'h.yaml', '/').server.tls, null, 'no tls section: null');
});

t.test('errors', async (t) => {
  t.same(errors('server:\n  listen: [{ address: 127.0.0.1, protocols: [tls] }]\n'), [
    'h.yaml:2:3: server.tls: is required by the tls listener on 127.0.0.1:853 (certFile and keyFile)',
  ]);
  t.match(errors('server:\n  listen: [{ address: 127.0.0.1, port: 8853, protocols: [tcp, tls] }]\n  tls: { certFile: a, keyFile: b }\n'), [
    /^h\.yaml:2:57: server\.listen\[0\]\.protocols: tls must be the only protocol of its listen entry/,
  ]);
  t.match(errors('server:\n  listen: [{ address: 127.0.0.1, protocols: [udp], path: /x }]\n'), [/server\.listen\[0\]\.path: is only for the https protocol/]);
  t.match(errors('server:\n  listen: [{ address: 127.0.0.1, protocols: [https], path: "dns?x" }]\n  tls: { certFile: a, keyFile: b }\n'), [/server\.listen\[0\]\.path: expected an absolute URL path/]);
  t.match(errors('server:\n  tls: { certFile: a }\n'), [/server\.tls\.keyFile: is required/]);
  t.match(errors('server:\n  tls: { certFile: a, keyFile: b, maxHandshakes: 0 }\n'), [/server\.tls\.maxHandshakes: expected 1\.\.1000000/]);
  t.match(errors('server:\n  trustedProxies: [nowhere]\n'), [/server\.trustedProxies\[0\]/]);
});
