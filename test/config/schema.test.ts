import t from 'tap';
import { ConfigError, parseConfig } from '../../src/config/index.js';

/** The formatted errors of a config that must be rejected. */
function errors(text: string): string[] {
  try {
    parseConfig(text, 'config/horizond.yaml', '/nonexistent');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

t.test('unknown keys are errors, with a suggestion for near misses', async (t) => {
  const text = [
    'sever:',                                   // 1
    '  workers: 2',                             // 2
    'server:',                                  // 3
    '  lisen: []',                              // 4
    '  tcp: { idletimeout: 5s, maxConn: 10 }',  // 5
    'cache:',                                   // 6
    '  serveStale: { maxstale: 1d }',           // 7
    'forward:',                                 // 8
    '  upstream: []',                           // 9
    'flavour: vanilla',                         // 10
  ].join('\n');
  t.same(errors(text), [
    'config/horizond.yaml:1:1: sever: unknown key (did you mean "server"?)',
    'config/horizond.yaml:4:3: server.lisen: unknown key (did you mean "listen"?)',
    'config/horizond.yaml:5:10: server.tcp.idletimeout: unknown key (did you mean "idleTimeout"?)',
    'config/horizond.yaml:5:27: server.tcp.maxConn: unknown key',
    'config/horizond.yaml:7:17: cache.serveStale.maxstale: unknown key (did you mean "maxStale"?)',
    'config/horizond.yaml:9:3: forward.upstream: unknown key (did you mean "upstreams"?)',
    'config/horizond.yaml:10:1: flavour: unknown key',
  ]);
});

t.test('wrong kinds of values name what was expected and what was found', async (t) => {
  const text = [
    'server:',                          // 1
    '  workers: two',                   // 2
    '  udpPayloadSize: 1232.5',         // 3
    '  listen: { address: 127.0.0.1 }', // 4
    '  tcp: [1]',                       // 5
    'cache:',                           // 6
    '  prefetch: yes',                  // 7
    '  maxTtl: true',                   // 8
    '  maxBytes: lots',                 // 9
    '  minTtl: 1.5s',                   // 10
    'log: info',                        // 11
    'forward: { upstreams: [ { protocol: tsl, address: 192.0.2.1 } ] }', // 12
  ].join('\n');
  t.same(errors(text), [
    'config/horizond.yaml:2:12: server.workers: expected an integer, got a string',
    'config/horizond.yaml:3:19: server.udpPayloadSize: expected an integer, got a number',
    'config/horizond.yaml:4:11: server.listen: expected a list, got a mapping',
    'config/horizond.yaml:5:8: server.tcp: expected a mapping, got a list',
    'config/horizond.yaml:7:13: cache.prefetch: expected true or false, got a string',
    'config/horizond.yaml:8:11: cache.maxTtl: expected a duration such as 10s, 500ms or 1h30m, got a boolean',
    'config/horizond.yaml:9:13: cache.maxBytes: expected a size such as 64MiB or a number of bytes',
    'config/horizond.yaml:10:11: cache.minTtl: expected whole seconds',
    'config/horizond.yaml:11:6: log: expected a mapping, got a string',
    'config/horizond.yaml:12:37: forward.upstreams[0].protocol: expected one of udp, tcp, tls, https (did you mean "tls"?)',
  ]);
});

t.test('required keys name the missing key at its parent', async (t) => {
  const text = ['zones:', '  - file: a.zone', '  - name: b.'].join('\n');
  t.same(errors(text), [
    'config/horizond.yaml:2:5: zones[0].name: is required',
    'config/horizond.yaml:2:11: zones[0].file: cannot read /nonexistent/a.zone: no such file',
    'config/horizond.yaml:3:5: zones[1].file: is required',
  ]);
});

t.test('an empty value means "use the default"', async (t) => {
  const c = parseConfig('server:\n  listen:\n  workers:\ncache: ~\nforward: { upstreams: null }\n', 'h.yaml', '/');
  t.equal(c.server.listen.length, 2);
  t.equal(c.server.workers, 1);
  t.equal(c.cache.maxEntries, 100_000);
  t.same(c.forward.upstreams, []);
});

t.test('duplicates in lists point at the second one and name the first', async (t) => {
  const text = [
    'server:',                                                     // 1
    '  listen:',                                                   // 2
    '    - { address: 127.0.0.1, port: 53 }',                      // 3
    '    - { address: 127.0.0.1, port: 53, protocols: [udp, udp] }', // 4
    'forward:',                                                    // 5
    '  nxdomain: [a.example, A.Example.]',                          // 6
  ].join('\n');
  t.same(errors(text), [
    'config/horizond.yaml:4:7: server.listen[1]: duplicate listen address "127.0.0.1:53" (first at line 3)',
    'config/horizond.yaml:4:56: server.listen[1].protocols[1]: duplicate protocol "udp" (first at line 4)',
    'config/horizond.yaml:6:25: forward.nxdomain[1]: duplicate name "a.example." (first at line 6)',
  ]);
});
