import type { Config } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { QueryLogOutput } from '../querylog/output.js';
import { ViewSlotMap, type QueryStats } from '../observability/query-stats.js';
import { Resolver, type ResolverDeps } from '../resolver/resolver.js';
import { CacheReplies } from './cache-reply.js';
import type { Pipeline } from './dispatcher.js';
import { Responder, type PostStage } from './responder.js';
import { chain, Stage } from './stage.js';
import { RateLimitStage } from './stages/rate-limit.js';
import { CookiesStage } from './stages/cookies.js';
import { AcceptStage } from './stages/accept.js';
import { AuthoritativeStage } from './stages/authoritative.js';
import { CacheStage } from './stages/cache.js';
import { ForwardStage } from './stages/forward.js';
import { compileNxdomain, LocalPolicyStage } from './stages/local-policy.js';
import { RecursionAclStage } from './stages/recursion-acl.js';
import { compileAllowList, RecursionStage } from './stages/recursion.js';
import { RefuseStage } from './stages/refuse.js';
import { ReverseQuestionStage, ReverseTranslateStage } from './stages/reverse-translate.js';
import { TranslateStage } from './stages/translate.js';
import { LocalChainStage, ViewStage, viewZoneSource } from './stages/view.js';
import type { ViewSet } from '../view/views.js';
import { RebindingFilter } from '../resolver/rebinding.js';
import type { Keyring } from '../tsig/keyring.js';
import type { UpdateManager } from '../update/manager.js';
import { Opcode } from '../wire/constants.js';
import type { ReplicationManager } from '../xfr/manager.js';
import type { ZoneStore } from '../zone/store.js';
import { NotifyStage } from './stages/notify.js';
import { RelayStage, type Relay } from './stages/relay.js';
import { TsigStage } from './stages/tsig.js';
import { TsigSigner } from '../tsig/signer.js';
import { UpdateForwardStage } from './stages/update-forward.js';
import { UpdateStage } from './stages/update.js';
import { XfrStage } from './stages/xfr.js';
import { Blocking, BlockingCnameCheck, BlockingStage } from './stages/blocking.js';
import type { BlockingManager } from '../blocking/manager.js';

export interface PipelineDeps {
  config: Config;
  views: ViewSet;
  /** The global zones (views without zones of their own serve these). */
  zones: ZoneStore;
  keyring: Keyring;
  updates: UpdateManager;
  replication: ReplicationManager;
  stats: QueryStats;
  log: Logger;
  /** The pipeline being replaced on reload: its cache is kept. */
  previous?: BuiltPipeline | null;
  /** The Server's query log output; each pipeline takes a QueryLog for its config (or null). */
  queryLog?: QueryLogOutput | null;
  /** Query workers (`server.workers` > 1): UPDATE and NOTIFY are handed to the owner worker. */
  relay?: Relay | null;
  /** Test and embedding hooks of the forwarding side (clock, upstream groups, budget). */
  resolver?: Pick<ResolverDeps, 'clock' | 'createGroup' | 'resolutionTimeout'>;
  /** The server's blocklists (null: none configured or not wanted). */
  blocking?: BlockingManager | null;
}

export interface BuiltPipeline extends Pipeline {
  /** The forwarding side, or null when nothing is forwarded (no upstreams, domains or NXDOMAIN names). */
  readonly resolver: Resolver | null;
  /** The DNS rebinding filter of forwarded answers, or null when it is off (for its counters). */
  readonly rebinding: RebindingFilter | null;
  /** The names of the stages in chain order, then `out:` and the post stages (docs, tests). */
  readonly order: readonly string[];
  close(): Promise<void>;
}

/**
 * The request path: the one place its order is written down (Blocky's createQueryResolver,
 * CoreDNS's plugin.cfg). Every stage and every post stage is in the one list below, in the
 * order a query meets them, each with the reason for its place; a stage for a feature that is
 * not configured is not in the chain at all. Stages run on the way in, each answering or
 * handing the query on; post stages run inside the Responder on every answer on its way out,
 * before EDNS, truncation, TSIG signing, counting and the query log (responder.ts).
 */
export function buildPipeline(deps: PipelineDeps): BuiltPipeline {
  const { config, views, stats, log, replication, updates, zones } = deps;
  const forwarding = forwardingConfigured(config);
  const blocking = forwarding && deps.blocking && config.blocking ? new Blocking(deps.blocking, config.blocking, views, config.views.list) : null;
  const viewNames = views.views.map((v) => v.name);
  const out = new Responder({
    udpPayloadSize: config.server.udpPayloadSize,
    stats,
    views: new ViewSlotMap(stats, viewNames, !views.trivial),
    queryLog: deps.queryLog?.forConfig(config.queryLog, viewNames, !views.trivial, config.server.dataDir) ?? null,
    signer: new TsigSigner(),
  });
  const rebinding = RebindingFilter.create(config.rebinding, views.zoneNames());
  const resolver = forwarding
    ? new Resolver({ cache: config.cache, forward: config.forward, logger: log.child({ component: 'upstream' }) }, {
      cache: deps.previous?.resolver?.cache ?? null, filter: rebinding, ...deps.resolver,
    })
    : null;
  const replies = resolver ? new CacheReplies(out) : null;
  const forwarder = resolver && replies ? resolver.createForwarder(replies) : null;
  const xfrLog = log.child({ component: 'xfr' });
  const hasSecondary = [...config.zones, ...config.views.list.flatMap((v) => v.zones)].some((z) => z.type === 'secondary');
  const nxdomain = config.forward.nxdomain;

  const steps: (Stage | PostStage | null)[] = [
    // accept: header screening before anything reads the message (FORMERR/NOTIMP/BADVERS, drops
    // responses), and the client's size limit.
    new AcceptStage(out, { udpPayloadSize: config.server.udpPayloadSize, stats, opcodes: [Opcode.Update, Opcode.Notify] }),
    // cookies (RFC 7873/9018): right after accept (its options are already checked), before
    // anything costs work; a valid server cookie exempts the client from the rate limit below.
    config.cookies.enabled ? new CookiesStage(out, config.cookies, stats) : null,
    // rate-limit: per client prefix, before any real work (a valid server cookie passes).
    config.rateLimit.enabled ? new RateLimitStage(out, config.rateLimit, stats) : null,
    // relay (query workers only): UPDATE and NOTIFY go to the worker that owns journals and
    // transfers, unchanged, and its answer comes back unchanged.
    deps.relay ? new RelayStage(out, deps.relay, log) : null,
    // update-forward (secondary zones): an UPDATE for a zone we are secondary for goes to the
    // primary exactly as it was signed, so before tsig, which would consume the signature.
    hasSecondary ? new UpdateForwardStage(out, replication, xfrLog) : null,
    // tsig: verify signed messages before anything acts on them; errors answered per RFC 8945.
    // Always there: a signed request with an unknown key still needs its BADKEY answer.
    new TsigStage(out, deps.keyring, { counters: updates.counters.tsig, log: log.child({ component: 'tsig' }) }),
    // view: which split-horizon view the client is in (every later stage reads ctx.view); left
    // out when one view serves everyone alike.
    views.trivial ? null : new ViewStage(out, views),
    // update: RFC 2136 (needs the verified key); an UPDATE never reaches the query stages.
    new UpdateStage(out, updates),
    // notify: RFC 1996 from our primaries; others are ignored and counted.
    new NotifyStage(out, replication, xfrLog),
    // xfr: AXFR/IXFR by allowTransfer (may name keys, so after tsig; per view, so after view);
    // before authoritative because a transfer is not a lookup.
    new XfrStage(out, replication, {
      zonesFor: (ctx) => ctx.view?.zones ?? zones,
      udpPayloadSize: config.server.udpPayloadSize,
      log: xfrLog,
    }),
    // reverse-translate: a PTR for a translated internal address asks for the external name
    // (after tsig: it rewrites the question; before every stage that answers it).
    views.translatesReverse ? new ReverseTranslateStage() : null,
    // recursion: decides once whether this client may recurse (view and recursion.allow), before
    // authoritative, which sets RA from it, and recursion-acl, which enforces it.
    resolver ? new RecursionStage(compileAllowList(config.recursion.allow), views) : null,
    // authoritative: our zones answer first and to everyone (the site's names resolve even for
    // clients that may not recurse).
    new AuthoritativeStage(out, viewZoneSource(views)),
    // recursion-acl: from here on only clients allowed to recurse (never an open resolver).
    resolver ? new RecursionAclStage(out) : null,
    // blocking: blocklists of the client's view, after recursion-acl (a client that may not
    // recurse is REFUSED, not told what is blocked) and before local-policy and the cache, so a
    // list change or a pause applies at once and the cache never holds a blocked answer.
    blocking ? new BlockingStage(out, blocking) : null,
    // local-policy: names answered NXDOMAIN locally; before the cache so a policy change applies
    // at once, and before forward so they never leak upstream.
    resolver && nxdomain.length > 0 ? new LocalPolicyStage(out, compileNxdomain(nxdomain)) : null,
    // cache: fresh hits copied and patched; stale answers per RFC 8767; misses go on.
    resolver && replies && forwarder ? new CacheStage(replies, resolver.cache, forwarder, resolver.clock, config.cache) : null,
    // forward: one upstream query per key (coalesced), stored in the cache on the way back.
    forwarder ? new ForwardStage(out, forwarder) : null,
    // refuse: nothing above answered and nothing is forwarded: REFUSED.
    new RefuseStage(out),

    // On the way out, on every answer, in this order:
    // blocking-cname: CNAME cloaking in forwarded and cached answers (a chain through a blocked
    // name is blocked), first, on the answer as it came.
    blocking ? new BlockingCnameCheck(blocking) : null,
    // local-chain: complete CNAME chains into the view's zones (answers from the cache or
    // upstream only; before translate, which must see the final answer).
    resolver && views.views.some((v) => v.zoneMap.size > 0) ? new LocalChainStage(views) : null,
    // reverse-question: put back the PTR question reverse-translate replaced.
    views.translatesReverse ? new ReverseQuestionStage() : null,
    // translate: split-horizon address rewrite, last, on the copy being sent (the cache keeps
    // the untranslated answer, so one entry serves every view).
    views.translates ? new TranslateStage(views) : null,
  ];
  const stages = steps.filter((s): s is Stage => s instanceof Stage);
  const post = steps.filter((s): s is PostStage => s !== null && !(s instanceof Stage));
  out.setPostStages(post);
  return {
    head: chain(stages),
    responder: out,
    resolver,
    rebinding: resolver ? rebinding : null,
    order: [...stages.map((s) => s.name), 'out:', ...post.map((p) => p.name)],
    async close() {
      await resolver?.close();
    },
  };
}

function forwardingConfigured(config: Config): boolean {
  const f = config.forward;
  return f.upstreams.length > 0 || f.domains.length > 0 || f.nxdomain.length > 0;
}
