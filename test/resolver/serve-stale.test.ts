import t from 'tap';
import { Harness, ScriptedUpstream, AnswerSource, a, soa, servers, ttlOf, type Script } from '../helpers/resolver.js';

const base = { forward: { upstreams: servers('main') } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ip = (r: { msg: { answers?: unknown[] } }) => (r.msg.answers![0] as { data: string }).data;

t.test('the serve-stale timeline (RFC 8767)', async (t) => {
  let script: Script = { answers: [a('app.example.com', '192.0.2.1', 100)] };
  const up = new ScriptedUpstream(() => script);
  const h = await Harness.create({ ...base, cache: { serveStale: { maxStale: 86_400 } } }, { main: up });
  t.teardown(() => h.close());

  // fresh
  t.equal((await h.ask('app.example.com')).source, AnswerSource.Upstream);
  h.clock.advance(50);
  const fresh = await h.ask('app.example.com');
  t.equal(fresh.source, AnswerSource.Cache);
  t.equal(ttlOf(fresh.msg.answers![0]), 50);

  // expired, upstream fine: a normal refresh
  script = { answers: [a('app.example.com', '192.0.2.2', 100)] };
  h.clock.advance(60);
  const refreshed = await h.ask('app.example.com');
  t.equal(refreshed.source, AnswerSource.Upstream);
  t.equal(ip(refreshed), '192.0.2.2');
  t.equal(refreshed.ede, -1, 'no EDE on a fresh answer');
  t.equal(up.count(), 2);

  // expired, upstream down: stale with TTL 30 and EDE 3
  script = { fail: 'timeout' };
  h.clock.advance(150);
  const stale = await h.ask('app.example.com');
  t.equal(stale.source, AnswerSource.Stale);
  t.equal(stale.rcode, 0);
  t.equal(ip(stale), '192.0.2.2', 'the last good answer');
  t.equal(ttlOf(stale.msg.answers![0]), 30, 'stale TTL 30');
  t.equal(stale.ede, 3, 'EDE 3 Stale Answer');
  t.equal(up.count(), 3);

  // failure recheck: stale at once, upstream left alone for 30 s
  h.clock.advance(10);
  const quick = await h.ask('app.example.com');
  t.equal(quick.source, AnswerSource.Stale);
  t.ok(quick.ms < 50, 'answered at once');
  h.clock.advance(19);
  t.equal((await h.ask('app.example.com')).source, AnswerSource.Stale);
  t.equal(up.count(), 3, 'no upstream query inside the recheck window');
  h.clock.advance(1.5);
  t.equal((await h.ask('app.example.com')).source, AnswerSource.Stale);
  t.equal(up.count(), 4, 'asked again once the window passed');

  // upstream back: fresh data again
  script = { answers: [a('app.example.com', '192.0.2.3', 100)] };
  h.clock.advance(31);
  const back = await h.ask('app.example.com');
  t.equal(back.source, AnswerSource.Upstream);
  t.equal(ip(back), '192.0.2.3');

  // beyond maxStale: nothing stale, SERVFAIL
  script = { fail: 'timeout' };
  h.clock.advance(100 + 86_400);
  const gone = await h.ask('app.example.com');
  t.equal(gone.rcode, 2, 'SERVFAIL beyond maxStale');
  t.equal(gone.ede, 22, 'EDE No Reachable Authority');
  t.equal(gone.source, AnswerSource.Error);
  const st = h.resolver.stats();
  t.equal(st.staleServed, 4);
  t.ok(st.upstreamFailures >= 3);
});

t.test('client response timer: stale at the timer, cache updated when the slow answer lands', async (t) => {
  let script: Script = { answers: [a('slow.example.com', '192.0.2.1', 100)] };
  const up = new ScriptedUpstream(() => script);
  const h = await Harness.create(base, { main: up }, { resolutionTimeout: 4 });
  t.teardown(() => h.close());
  await h.ask('slow.example.com');
  h.clock.advance(200);
  script = { answers: [a('slow.example.com', '192.0.2.2', 100)], delayMs: 2300 };
  const stale = await h.ask('slow.example.com');
  t.equal(stale.source, AnswerSource.Stale);
  t.ok(stale.ms >= 1780 && stale.ms < 2250, `stale after ~1.8 s (took ${Math.round(stale.ms)} ms)`);
  t.equal(stale.ede, 3);
  t.equal(ip(stale), '192.0.2.1');
  const during = await h.ask('slow.example.com');
  t.equal(during.source, AnswerSource.Upstream, 'a later client gets the refresh when it lands before its own timer');
  t.equal(ip(during), '192.0.2.2');
  t.ok(during.ms >= 350 && during.ms < 1000, `it waited for the landing (${Math.round(during.ms)} ms)`);
  t.equal(h.resolver.stats().coalesced, 1, 'it joined the refresh in flight');
  const after = await h.ask('slow.example.com');
  t.equal(after.source, AnswerSource.Cache, 'the late answer was stored');
  t.equal(ip(after), '192.0.2.2');
  t.equal(up.count(), 2);
});

t.test('a hanging upstream: stale at the timer, then the recheck window after the budget', async (t) => {
  let script: Script = { answers: [a('hang.example.com', '192.0.2.1', 100)] };
  const up = new ScriptedUpstream(() => script);
  const h = await Harness.create({ ...base, cache: { serveStale: { clientTimeout: 0.1 } } }, { main: up }, { resolutionTimeout: 0.4 });
  t.teardown(() => h.close());
  await h.ask('hang.example.com');
  h.clock.advance(101);
  script = { hang: true };
  const firstP = h.ask('hang.example.com');
  await sleep(60);
  const secondP = h.ask('hang.example.com');
  const [first, second] = await Promise.all([firstP, secondP]);
  t.equal(first.source, AnswerSource.Stale);
  t.ok(first.ms >= 95 && first.ms < 390, `stale at the client timer (${Math.round(first.ms)} ms)`);
  t.equal(second.source, AnswerSource.Stale);
  t.ok(second.ms >= 95 && second.ms < 390, `the second client at its own timer (${Math.round(second.ms)} ms)`);
  t.equal(up.count(), 2, 'both rode one refresh');
  await sleep(400);
  const r = await h.ask('hang.example.com');
  t.equal(r.source, AnswerSource.Stale);
  t.ok(r.ms < 50, 'after the failed refresh stale comes at once');
  t.equal(up.count(), 2, 'without a new upstream query');
});

t.test('waiters without stale data get SERVFAIL when the budget runs out', async (t) => {
  const up = new ScriptedUpstream(() => ({ hang: true }));
  const h = await Harness.create(base, { main: up }, { resolutionTimeout: 0.2 });
  t.teardown(() => h.close());
  const [r1, r2] = await Promise.all([h.ask('void.example.com'), h.ask('void.example.com')]);
  t.equal(r1.rcode, 2);
  t.equal(r2.rcode, 2);
  t.ok(r1.ms >= 190, 'no stale data: the client waits for the budget');
  t.equal(r1.ede, 22);
  t.equal(up.count(), 1);
});

t.test('stale NXDOMAIN carries EDE 19; serve-stale off gives SERVFAIL', async (t) => {
  let script: Script = { rcode: 3, authorities: [soa('example.com', 60, 60)] };
  const up = new ScriptedUpstream(() => script);
  const h = await Harness.create(base, { main: up });
  t.teardown(() => h.close());
  await h.ask('nope.example.com');
  h.clock.advance(61);
  script = { fail: 'failed' };
  const r = await h.ask('nope.example.com');
  t.equal(r.rcode, 3);
  t.equal(r.source, AnswerSource.Stale);
  t.equal(r.ede, 19, 'Stale NXDOMAIN Answer');
  t.equal(ttlOf(r.msg.authorities![0]), 30);

  let s2: Script = { answers: [a('off.example.com', '192.0.2.1', 100)] };
  const up2 = new ScriptedUpstream(() => s2);
  const off = await Harness.create({ ...base, cache: { serveStale: { enabled: false } } }, { main: up2 });
  t.teardown(() => off.close());
  await off.ask('off.example.com');
  off.clock.advance(101);
  s2 = { fail: 'failed' };
  const r2 = await off.ask('off.example.com');
  t.equal(r2.rcode, 2, 'no stale answers when disabled');
  t.equal(r2.source, AnswerSource.Error);
});

t.test('a failed prefetch keeps the fresh entry and waits before trying again', async (t) => {
  let script: Script = { answers: [a('pf.example.com', '192.0.2.1', 100)] };
  const up = new ScriptedUpstream(() => script);
  const h = await Harness.create(base, { main: up });
  t.teardown(() => h.close());
  await h.ask('pf.example.com');
  script = { fail: 'failed' };
  h.clock.advance(95);
  t.equal((await h.ask('pf.example.com')).source, AnswerSource.Cache);
  await sleep(10);
  t.equal(up.count(), 2, 'prefetch tried');
  const again = await h.ask('pf.example.com');
  t.equal(again.source, AnswerSource.Cache, 'entry still served');
  t.equal(ttlOf(again.msg.answers![0]), 5);
  t.equal(up.count(), 2, 'no second prefetch right after a failure');
});
