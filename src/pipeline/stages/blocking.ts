import type { BlockingManager } from '../../blocking/manager.js';
import { BlockedAnswers } from '../../blocking/answer.js';
import type { BlockingConfig, ViewConfig } from '../../config/types.js';
import { copyName } from '../../view/local-chain.js';
import type { View, ViewSet } from '../../view/views.js';
import { EdeCode, HEADER_SIZE, RCode, RRType } from '../../wire/constants.js';
import { skipName } from '../../wire/query-view.js';
import { AnswerSource, type QueryContext } from '../context.js';
import type { PostStage, Responder } from '../responder.js';
import { Outcome, Stage } from '../stage.js';

/**
 * Blocklists per view. Each view's blocking groups become a bit mask (all groups when the view
 * says nothing, none for `blocking: []`, none while paused); the check walks the QNAME in the
 * query buffer against the manager's current set (blocking/set.ts) and allocates nothing for a
 * name that is not blocked. A blocked query gets the configured answer with EDE 15 (Blocked)
 * whose text is the group name, source `blocklist`, and `ctx.blockedBy` = the group.
 */

/** Per-view masks and counters, recomputed when the manager's epoch moves. */
class ViewMasks {
  readonly masks: Uint32Array;
  readonly counters: Float64Array[];
  #epoch = -1;

  constructor(readonly manager: BlockingManager, readonly views: ViewSet, readonly configs: readonly ViewConfig[]) {
    this.masks = new Uint32Array(views.views.length);
    this.counters = views.views.map((v) => manager.countersFor(v.name));
  }

  /** The mask of the query's view (refreshed first if the manager changed). */
  maskOf(ctx: QueryContext): number {
    if (this.manager.epoch !== this.#epoch) this.#refresh();
    const v = ctx.view as View | null;
    return this.masks[v === null ? 0 : v.index]!;
  }

  indexOf(ctx: QueryContext): number {
    const v = ctx.view as View | null;
    return v === null ? 0 : v.index;
  }

  #refresh(): void {
    const m = this.manager;
    this.#epoch = m.epoch;
    const all = m.groups.length >= 32 ? 0xffffffff : (1 << m.groups.length) - 1;
    for (const v of this.views.views) {
      const wanted = this.configs.find((c) => c.name === v.name)?.blocking ?? null;
      let mask = 0;
      if (wanted === null) mask = all;
      else for (const g of wanted) { const i = m.groups.indexOf(g); if (i >= 0) mask |= 1 << i; }
      this.masks[v.index] = m.pausedUntil(v.name) === null ? mask >>> 0 : 0;
    }
  }
}

/** Shared by the stage and the CNAME check of one pipeline. */
export class Blocking {
  readonly answers: BlockedAnswers;
  readonly views: ViewMasks;

  constructor(readonly manager: BlockingManager, config: BlockingConfig, views: ViewSet, viewConfigs: readonly ViewConfig[]) {
    this.answers = new BlockedAnswers(config.answer, config.ttl);
    this.views = new ViewMasks(manager, views, viewConfigs);
  }

  /** Marks ctx as blocked by group `g` and counts it. */
  mark(ctx: QueryContext, g: number): void {
    const group = this.manager.groups[g] ?? '';
    ctx.source = AnswerSource.Blocklist;
    ctx.blockedBy = group;
    ctx.ede = EdeCode.Blocked;
    ctx.edeText = group;
    this.views.counters[this.views.indexOf(ctx)]![g]!++;
  }
}

export class BlockingStage extends Stage {
  readonly name = 'blocking';
  readonly #out: Responder;
  readonly #b: Blocking;

  constructor(out: Responder, blocking: Blocking) {
    super();
    this.#out = out;
    this.#b = blocking;
  }

  handle(ctx: QueryContext): Outcome {
    const mask = this.#b.views.maskOf(ctx);
    if (mask !== 0) {
      const q = ctx.q;
      const g = this.#b.manager.set.match(q.buf, q.qnameStart, mask);
      if (g >= 0) {
        this.#b.mark(ctx, g);
        if (this.#b.answers.mode === 'refused') this.#out.error(ctx, RCode.Refused, AnswerSource.Blocklist);
        else this.#out.send(ctx, this.#b.answers.build(q.buf, q.questionEnd, q.qtype));
        return Outcome.Answered;
      }
    }
    return this.next.handle(ctx);
  }
}

const scratch = new Uint8Array(256);

/**
 * CNAME cloaking: a forwarded, cached or stale answer whose CNAME chain passes through a name
 * blocked for the client's view is replaced by the blocked answer on the way out. The cache
 * keeps the upstream's answer (it serves every view alike; views with other groups still get
 * it), and the check runs on every send, so a list change or a pause applies to cached chains
 * at once. Costs one pass over the answer records; nothing is allocated unless a chain is blocked.
 */
export class BlockingCnameCheck implements PostStage {
  readonly name = 'blocking-cname';
  readonly #b: Blocking;

  constructor(blocking: Blocking) {
    this.#b = blocking;
  }

  apply(ctx: QueryContext, wire: Buffer): Buffer {
    const s = ctx.source;
    if (s !== AnswerSource.Cache && s !== AnswerSource.Stale && s !== AnswerSource.Upstream) return wire;
    const len = wire.length;
    if (len < HEADER_SIZE || wire.readUInt16BE(6) === 0 || wire.readUInt16BE(4) !== 1) return wire;
    const mask = this.#b.views.maskOf(ctx);
    if (mask === 0) return wire;
    const g = blockedTarget(wire, this.#b.manager, mask);
    if (g < 0) return wire;
    this.#b.mark(ctx, g);
    const qend = skipName(wire, HEADER_SIZE, len) + 4;
    const qtype = wire.readUInt16BE(qend - 4);
    if (this.#b.answers.mode === 'refused') {
      const out = Buffer.from(wire.subarray(0, qend));
      out[2] = 0x80 | (wire[2]! & 0x79);
      out[3] = 0x80 | RCode.Refused;
      out.fill(0, 6, 12);
      return out;
    }
    return this.#b.answers.build(wire, qend, qtype);
  }
}

/** The lowest group blocking a CNAME target in the answer section, or -1. */
function blockedTarget(wire: Buffer, manager: BlockingManager, mask: number): number {
  const len = wire.length;
  let p = skipName(wire, HEADER_SIZE, len);
  if (p < 0) return -1;
  p += 4;
  for (let i = wire.readUInt16BE(6); i > 0; i--) {
    p = skipName(wire, p, len);
    if (p < 0 || p + 10 > len) return -1;
    const rd = p + 10;
    const end = rd + wire.readUInt16BE(p + 8);
    if (end > len) return -1;
    if (wire.readUInt16BE(p) === RRType.CNAME && copyName(wire, rd, end, scratch)) {
      const g = manager.set.match(scratch, 0, mask);
      if (g >= 0) return g;
    }
    p = end;
  }
  return -1;
}
