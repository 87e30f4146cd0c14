import t from 'tap';
import { parseConfig } from '../../../src/config/index.js';
import { configErrors } from '../../helpers/config.js';

t.test('cookies: defaults and a shared secret', async (t) => {
  const d = parseConfig('', 'h.yaml', '/etc/horizond');
  t.same(d.cookies, { enabled: true, secret: null, previousSecret: null, requireServerCookie: false });
  const c = parseConfig('cookies: { secret: "0123456789ABCDEF0123456789abcdef", previousSecret: "fedcba9876543210fedcba9876543210" }', 'h.yaml', '/etc/horizond');
  t.equal(c.cookies.secret, '0123456789abcdef0123456789abcdef', 'lower-cased');
  t.equal(c.cookies.previousSecret, 'fedcba9876543210fedcba9876543210');
});

t.test('cookies: a secret that is not 32 hex digits is refused with its place', async (t) => {
  const errs = configErrors('cookies:\n  secret: "abc"\n  requireServerCookie: maybe\n', '/etc/horizond');
  t.match(errs.join('\n'), /h\.yaml:2:11: cookies\.secret: .*32 hex digits/);
  t.match(errs.join('\n'), /h\.yaml:3:\d+: cookies\.requireServerCookie/);
});
