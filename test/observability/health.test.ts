import t from 'tap';
import { Readiness } from '../../src/observability/health.js';

t.test('readiness follows the lifecycle: loading, starting, ready, stopping', async (t) => {
  const r = new Readiness();
  t.same(r.status(), { ready: false, state: 'loading' });
  r.loaded();
  t.same(r.status(), { ready: false, state: 'starting' });
  r.listening();
  t.same(r.status(), { ready: true, state: 'ready' });
  r.stopping();
  t.same(r.status(), { ready: false, state: 'stopping' });
});

t.test('a warm-up condition holds readiness back once, and only until it is first met', async (t) => {
  let waiting: string | null = 'waiting for the first transfer of home.test.';
  let asked = 0;
  const r = new Readiness(() => { asked++; return waiting; });
  r.loaded();
  t.same(r.status(), { ready: false, state: 'starting' }, 'not asked before the listeners are bound');
  t.equal(asked, 0);
  r.listening();
  t.same(r.status(), { ready: false, state: 'waiting for the first transfer of home.test.' });
  waiting = null;
  t.same(r.status(), { ready: true, state: 'ready' });
  waiting = 'expired';
  t.same(r.status(), { ready: true, state: 'ready' }, 'a zone expiring later does not take the replica out');
  t.equal(asked, 2);
  r.stopping();
  t.same(r.status(), { ready: false, state: 'stopping' });
});
