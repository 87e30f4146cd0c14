import t from 'tap';
import type { View } from '../../src/view/views.js';
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import type { QueryLogConfig } from '../../src/config/types.js';
import { QueryLogOutput } from '../../src/observability/query-log.js';
import { AnswerSource, QueryContext, TransportKind, type ReplySink } from '../../src/pipeline/context.js';
import { RCode } from '../../src/wire/constants.js';

/** A stream that keeps every JSON line written to it. */
function sink(): { stream: Writable; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l !== '') records.push(JSON.parse(l));
      done();
    },
  });
  return { stream, records };
}

const cfg = (over: Partial<QueryLogConfig> = {}): QueryLogConfig => ({ enabled: true, sampleRate: 1, views: [], file: null, ...over });
const noSink: ReplySink = { reply() {}, dropped() {} };

function ctxFor(name: string, type: 'A' | 'AAAA', view: View | null, extra: object = {}): QueryContext {
  const msg = dnsPacket.encode({ type: 'query', id: 9, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
  const ctx = new QueryContext();
  ctx.reset(msg, '192.168.1.10', 53211, 4, TransportKind.Tcp, noSink, null, 0);
  ctx.q.parse(msg);
  ctx.view = view;
  ctx.source = AnswerSource.Upstream;
  return Object.assign(ctx, extra);
}

// The query log reads a view's name and index only.
const LAN = { name: 'lan', index: 0 } as View;
const GUEST = { name: 'guest', index: 1 } as View;

t.test('off by default: no logger at all', async (t) => {
  const out = new QueryLogOutput({ destination: sink().stream });
  t.equal(out.forConfig(cfg({ enabled: false }), ['default'], false), null);
});

t.test('one JSON line per answer with every field', async (t) => {
  const { stream, records } = sink();
  const log = new QueryLogOutput({ destination: stream }).forConfig(cfg(), ['lan', 'guest'], true)!;
  log.log(ctxFor('NAS.home.lan', 'AAAA', LAN, { upstream: 'udp://192.0.2.53:53', translated: true }), RCode.NoError, 0.0123456);
  log.log(ctxFor('gone.example', 'A', GUEST), RCode.NXDomain, 0.2);
  t.equal(records.length, 2);
  const r = records[0]!;
  t.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO time');
  t.same({ ...r, time: 'x' }, {
    level: 'info', time: 'x', service: 'horizond', kind: 'query', client: '192.168.1.10', port: 53211, transport: 'tcp', view: 'lan',
    qname: 'NAS.home.lan.', qtype: 'AAAA', rcode: 'NOERROR', source: 'upstream', upstream: 'udp://192.0.2.53:53',
    durationMs: 12.346, translated: true,
  }, 'exactly these fields, no pid or hostname');
  t.match(records[1], { view: 'guest', qname: 'gone.example.', qtype: 'A', rcode: 'NXDOMAIN', upstream: null, translated: false });
});

t.test('per-view enable', async (t) => {
  const { stream, records } = sink();
  const out = new QueryLogOutput({ destination: stream });
  const log = out.forConfig(cfg({ views: ['lan'] }), ['lan', 'guest'], true)!;
  log.log(ctxFor('a.lan', 'A', LAN), 0, 0.001);
  log.log(ctxFor('b.lan', 'A', GUEST), 0, 0.001);
  log.log(ctxFor('c.lan', 'A', null), RCode.Refused, 0.001);
  t.same(records.map((r) => r.qname), ['a.lan.'], 'only the lan view; a query no view matched is not in lan');

  const all = out.forConfig(cfg(), ['lan', 'guest'], true)!;
  all.log(ctxFor('d.lan', 'A', null), RCode.Refused, 0.001);
  t.match(records.at(-1), { qname: 'd.lan.', view: null }, 'every view: unmatched queries too');

  const only = out.forConfig(cfg({ views: ['default'] }), ['default'], false)!;
  only.log(ctxFor('e.lan', 'A', null), 0, 0.001);
  t.match(records.at(-1), { qname: 'e.lan.', view: 'default' }, 'one view for everyone: queries carry no view but belong to it');
});

t.test('sampling keeps the configured fraction', async (t) => {
  const { stream, records } = sink();
  const draws = [0.1, 0.3, 0.24, 0.9, 0.25, 0.0];
  let i = 0;
  let calls = 0;
  const out = new QueryLogOutput({ destination: stream, random: () => { calls++; return draws[i++ % draws.length]!; } });
  const log = out.forConfig(cfg({ sampleRate: 0.25 }), ['default'], false)!;
  for (let n = 0; n < 6; n++) log.log(ctxFor(`q${n}.lan`, 'A', null), 0, 0.001);
  t.same(records.map((r) => r.qname), ['q0.lan.', 'q2.lan.', 'q5.lan.'], 'logged when the draw is below the rate');

  const full = out.forConfig(cfg({ sampleRate: 1 }), ['default'], false)!;
  calls = 0;
  for (let n = 0; n < 5; n++) full.log(ctxFor('x.lan', 'A', null), 0, 0.001);
  t.equal(calls, 0, 'rate 1 draws nothing');
  t.equal(records.length, 8);

  const real = new QueryLogOutput({ destination: stream }).forConfig(cfg({ sampleRate: 0.1 }), ['default'], false)!;
  const before = records.length;
  for (let n = 0; n < 2000; n++) real.log(ctxFor('y.lan', 'A', null), 0, 0.001);
  const logged = records.length - before;
  t.ok(logged > 120 && logged < 290, `about 10% of 2000 logged (${logged})`);
});

t.test('a file destination is written asynchronously and flushed on close', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'horizond-qlog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub', 'queries.log');
  const out = new QueryLogOutput();
  const log = out.forConfig(cfg({ file }), ['default'], false)!;
  t.equal(out.forConfig(cfg({ file, sampleRate: 0.5 }), ['default'], false) !== null, true, 'a reload reuses the open file');
  for (let n = 0; n < 100; n++) log.log(ctxFor(`h${n}.home.lan`, 'A', null), 0, 0.001);
  await out.close();
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, 100);
  t.match(lines[99], { qname: 'h99.home.lan.', view: 'default', kind: 'query' });
});
