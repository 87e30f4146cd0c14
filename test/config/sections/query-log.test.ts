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

t.test('the issue\'s keys: sinks with their settings, retention in seconds', async (t) => {
  const c = parseConfig([
    'queryLog:',
    '  enabled: true',
    '  sampleRate: 1.0',
    '  retention: 3d',
    '  queueSize: 5000',
    '  sinks:',
    '    - { type: sqlite, file: logs/q.sqlite, maxSize: 256MiB }',
    '    - { type: stdout }',
  ].join('\n'), 'h.yaml', '/etc/horizond');
  t.same(c.queryLog, {
    enabled: true, sampleRate: 1, views: [], file: null, retention: 3 * 86_400, queueSize: 5000,
    sinks: [{ type: 'sqlite', file: '/etc/horizond/logs/q.sqlite', maxSize: 256 * 1024 * 1024 }, { type: 'stdout' }], liveStats: true,
  });
  t.same(parseConfig('queryLog: { sinks: [] }', 'h.yaml', '/').queryLog.sinks, [], 'no sinks is allowed');
});

t.test('bad sinks are refused with their position', async (t) => {
  t.same(errors('queryLog:\n  sinks:\n    - { type: kafka }'), ['h.yaml:3:15: queryLog.sinks[0].type: expected one of sqlite, postgres, stdout']);
  t.same(errors('queryLog:\n  sinks:\n    - { type: stdout, maxSize: 1GiB }'), ['h.yaml:3:32: queryLog.sinks[0].maxSize: is only used by the sqlite sink']);
  t.match(errors('queryLog:\n  sinks:\n    - { type: sqlite }\n    - { type: sqlite }')[0], /queryLog\.sinks\[1\]\.type: duplicate sink type/);
  t.match(errors('queryLog: { sinks: [ { type: sqlite, maxSize: 1KiB } ] }')[0], /maxSize: expected 1MiB\.\./);
  t.match(errors('queryLog: { retention: 10s }')[0], /queryLog\.retention: expected 1m/);
  t.match(errors('queryLog: { sinks: [ { file: x } ] }')[0], /queryLog\.sinks\[0\]\.type: .*required/);
});
