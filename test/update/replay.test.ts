import t from 'tap';
import { ReplayGuard } from '../../src/update/replay.js';

t.test('the same MAC twice within the window is a replay; other MACs and keys are not', async (t) => {
  const g = new ReplayGuard(600);
  const mac = Buffer.from('0123456789abcdef0123456789abcdef');
  t.notOk(g.check('k.', mac, 1000));
  t.ok(g.check('k.', mac, 1001));
  t.ok(g.check('k.', Buffer.from(mac), 1500), 'compared by value');
  t.notOk(g.check('other.', mac, 1002), 'per key');
  t.notOk(g.check('k.', Buffer.from('fedcba9876543210fedcba9876543210'), 1003));
});

t.test('old MACs are forgotten after the window, and the memory is bounded', async (t) => {
  const g = new ReplayGuard(600, 100);
  const mac = Buffer.from('0123456789abcdef');
  g.check('k.', mac, 1000);
  t.notOk(g.check('k.', mac, 1601), 'outside the window the Time Signed check rejects it anyway');
  for (let i = 0; i < 1000; i++) g.check('k.', Buffer.from(`mac-${i}`), 2000);
  t.ok(g.size <= 100, `${g.size} entries kept`);
});
