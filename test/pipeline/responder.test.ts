import t from 'tap';
import { QueryStats } from '../../src/observability/query-stats.js';
import { AnswerSource, type QueryConnection } from '../../src/pipeline/context.js';
import { Responder, STREAM_HIGH_WATER } from '../../src/pipeline/responder.js';
import { CollectSink, query } from '../helpers/resolver.js';
import { clientContext } from '../helpers/stage.js';

/** A TCP connection that records what is written and holds `pending` bytes until drained. */
class FakeConnection implements QueryConnection {
  closed = false;
  pending = 0;
  readonly written: Buffer[] = [];
  settled = 0;
  destroyed = false;
  drains = 0;
  send(msg: Buffer): void {
    this.written.push(msg);
    this.pending += msg.length;
  }
  drained(): Promise<void> {
    this.drains++;
    this.pending = 0;
    return Promise.resolve();
  }
  settle(): void {
    this.settled++;
  }
  destroy(): void {
    this.destroyed = true;
    this.closed = true;
  }
}

/** `n` answer-like messages of `size` bytes (header with QR and the query's ID). */
function* messages(n: number, size: number, built: { count: number }): Iterator<Buffer> {
  for (let i = 0; i < n; i++) {
    built.count++;
    const b = Buffer.alloc(size);
    b.writeUInt16BE(0x4242, 0);
    b[2] = 0x84;
    b[7] = i;
    yield b;
  }
}

function setup() {
  const stats = new QueryStats();
  const out = new Responder({ udpPayloadSize: 1232, stats });
  const sink = new CollectSink();
  const conn = new FakeConnection();
  const ctx = clientContext(query('example.org', 'AXFR', { id: 0x4242 }), sink, { tcp: true });
  ctx.conn = conn;
  ctx.source = AnswerSource.Authoritative;
  return { stats, out, sink, conn, ctx };
}

t.test('stream: messages on the connection, the last one as the reply, counted once', async (t) => {
  const { stats, out, sink, conn, ctx } = setup();
  const built = { count: 0 };
  const signed: number[] = [];
  const r = await out.stream(ctx, messages(5, 40_000, built), (w) => {
    signed.push(w[7]!);
    return w;
  });
  t.same(r, { messages: 5, bytes: 200_000, complete: true });
  t.equal(conn.written.length, 4, 'all but the last written on the connection');
  t.equal(sink.replies.length, 1, 'the last one is the reply');
  t.equal(sink.replies[0]!.wire[7], 4);
  t.same(signed, [0, 1, 2, 3, 4], 'every message signed, in order');
  t.equal(stats.totalFor(AnswerSource.Authoritative), 1, 'counted once, as one answer');
  t.ok(ctx.done);
});

t.test('stream: paced on the connection, built lazily', async (t) => {
  const { out, conn, ctx } = setup();
  const built = { count: 0 };
  const size = Math.ceil(STREAM_HIGH_WATER / 3);
  const atDrain: [number, number][] = [];
  const drained = conn.drained.bind(conn);
  conn.drained = () => {
    atDrain.push([built.count, conn.written.length]);
    return drained();
  };
  await out.stream(ctx, messages(10, size, built), null);
  t.ok(atDrain.length >= 2, 'waited for the connection to drain above the high-water mark');
  t.ok(atDrain.every(([b, w]) => b <= w + 1), 'at most one message built ahead of what was written');
  t.ok(atDrain.every(([, w]) => w * size > STREAM_HIGH_WATER), 'only once above the mark');
});

t.test('stream: a closed connection ends it, counted as dropped, connection cut on errors', async (t) => {
  const { stats, out, sink, conn, ctx } = setup();
  const built = { count: 0 };
  conn.closed = true;
  const r = await out.stream(ctx, messages(3, 100, built), null);
  t.equal(r.complete, false);
  t.equal(sink.replies.length, 0);
  t.equal(sink.droppedCount, 1);
  t.equal(stats.dropped, 1);

  const s2 = setup();
  const failing = (function* (): Iterator<Buffer> {
    yield Buffer.alloc(100);
    throw new Error('records cannot be packed');
  })();
  const r2 = await s2.out.stream(s2.ctx, failing, null);
  t.equal(r2.complete, false);
  t.ok(s2.conn.destroyed, 'half a transfer is cut, never ended cleanly');
  t.equal(s2.sink.droppedCount, 1);
});

t.test('sendVerbatim counts; sendRelayed leaves counting to the worker that answered', async (t) => {
  const { stats, out, sink, ctx } = setup();
  ctx.source = AnswerSource.Update;
  const wire = Buffer.alloc(12);
  wire[2] = 0x80;
  out.sendVerbatim(ctx, wire);
  t.equal(sink.replies.length, 1);
  t.equal(stats.totalFor(AnswerSource.Update), 1);
  out.sendVerbatim(ctx, wire);
  t.equal(sink.replies.length, 1, 'one answer per query');

  const s2 = setup();
  s2.out.sendRelayed(s2.ctx, wire);
  t.equal(s2.sink.replies.length, 1);
  t.equal(s2.stats.totalFor(AnswerSource.Authoritative), 0);
});
