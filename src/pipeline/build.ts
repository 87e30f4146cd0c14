import type { Config, UpstreamConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { QueryLogOutput } from '../observability/query-log.js';
import { ViewSlotMap, type QueryStats } from '../observability/query-stats.js';
import { Resolver, type ResolverOptions } from '../resolver/resolver.js';
import type { UpstreamSpec } from '../resolver/upstream/index.js';
import { compileAllowList } from './stages/recursion-acl.js';
import type { PrefixTrie } from '../view/prefix-trie.js';
import type { QueryContext } from './context.js';
import type { Pipeline } from './dispatcher.js';
import { Responder } from './responder.js';
import { chain, type Stage } from './stage.js';
import { AcceptStage } from './stages/accept.js';
import { AuthoritativeStage } from './stages/authoritative.js';
import { RefuseStage } from './stages/refuse.js';
import type { PostStage } from './responder.js';
import { ReverseQuestionStage, ReverseTranslateStage } from './stages/reverse-translate.js';
import { TranslateStage } from './stages/translate.js';
import { LocalChainStage, ViewStage, viewOf, viewZoneSource } from './stages/view.js';
import type { View, ViewSet } from '../view/views.js';
import { RebindingFilter } from '../resolver/rebinding.js';
import type { Keyring } from '../tsig/keyring.js';
import type { UpdateManager } from '../update/manager.js';
import { Opcode } from '../wire/constants.js';
import type { ReplicationManager } from '../xfr/manager.js';
import type { ZoneStore } from '../zone/store.js';
import { NotifyStage } from './stages/notify.js';
import { RelayStage, type Relay } from './stages/relay.js';
import { TsigSigner, TsigStage } from './stages/tsig.js';
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
  /** The server's blocklists (null: none configured or not wanted). */
  blocking?: BlockingManager | null;
}

export interface BuiltPipeline extends Pipeline {
  /** The forwarding side, or null when nothing is forwarded (no upstreams, domains or NXDOMAIN names). */
  readonly resolver: Resolver | null;
  /** The DNS rebinding filter of forwarded answers, or null when it is off (for its counters). */
  readonly rebinding: RebindingFilter | null;
  close(): Promise<void>;
}

/**
 * The request path, in order. This is the one place the order is written down:
 *
 * 1. accept: header screening before anything reads the message (FORMERR/NOTIMP/BADVERS, drops
 *    responses), and the client's size limit.
 * 1. relay (query workers only): UPDATE and NOTIFY go to the worker that owns journals and
 *    transfers, unchanged, and its answer back unchanged.
 * 1a. update-forward: an UPDATE for a zone we are secondary for goes to the primary exactly as
 *    it was signed (before tsig, which would consume the signature).
 * 1b. tsig: verify signed messages before anything acts on them; errors answered per RFC 8945.
 * 1c. view: which split-horizon view the client is in (every later stage reads ctx.view).
 * 1d. update: RFC 2136 (needs the verified key); an UPDATE never reaches the query stages.
 * 1e. notify: RFC 1996 from our primaries; others are ignored and counted.
 * 1f. xfr: AXFR/IXFR by allowTransfer (may name keys, so after tsig); before authoritative
 *    because a transfer is not a lookup.
 * 1g. reverse-translate: a PTR for a translated internal address asks for the external name
 *    (after tsig: it rewrites the question).
 * 2. authoritative: our zones answer first and to everyone (the site's names resolve even for
 *    clients that may not recurse).
 * 3. recursion-acl: from here on only clients allowed to recurse (never an open resolver).
 * 3a. blocking: blocklists of the client's view, after recursion-acl (a client that may not
 *    recurse is REFUSED, not told what is blocked) and before local-policy and the cache, so a
 *    list change or a pause applies at once and the cache never holds a blocked answer. On the
 *    way out its CNAME check runs first (CNAME cloaking in forwarded and cached answers).
 * 4. local-policy: names answered NXDOMAIN locally, before the cache so a policy change applies
 *    at once and before forward so they never leak upstream.
 * 5. cache: fresh hits copied and patched; stale answers per RFC 8767; misses go on.
 * 6. forward: one upstream query per key (coalesced), stored in the cache on the way back.
 * 7. refuse: nothing above answered and nothing is forwarded: REFUSED.
 *
 * Stages for features that are not configured are not in the chain at all.
 */
export function buildPipeline(deps: PipelineDeps): BuiltPipeline {
  const { config, views, stats, log } = deps;
  const forwarding = forwardingConfigured(config);
  // On the way out, in this order: complete CNAME chains into the view's zones (forwarded answers
  // only), put back a PTR question translateReverse replaced, then translate addresses (last, so
  // it sees the final answer; the cache keeps the untranslated one).
  const post: PostStage[] = [];
  const blocking = forwarding && deps.blocking && config.blocking ? new Blocking(deps.blocking, config.blocking, views, config.views.list) : null;
  if (blocking) post.push(new BlockingCnameCheck(blocking));
  if (forwarding && views.views.some((v) => v.zoneMap.size > 0)) post.push(new LocalChainStage(views));
  if (views.translatesReverse) post.push(new ReverseQuestionStage());
  if (views.translates) post.push(new TranslateStage(views));
  const viewNames = views.views.map((v) => v.name);
  const responder = new Responder({
    udpPayloadSize: config.server.udpPayloadSize,
    stats,
    post,
    views: new ViewSlotMap(stats, viewNames, !views.trivial),
    queryLog: deps.queryLog?.forConfig(config.queryLog, viewNames, !views.trivial) ?? null,
    signer: new TsigSigner(),
  });
  const rebinding = RebindingFilter.create(config.rebinding, views.zoneNames());
  const resolver = forwarding
    ? new Resolver(resolverOptions(config, log), { cache: deps.previous?.resolver?.cache ?? null, filter: rebinding })
    : null;
  const recursion = resolver ? compileAllowList(config.recursion.allow) : null;
  const { replication, updates, zones } = deps;
  const xfrLog = log.child({ component: 'xfr' });
  const hasSecondary = [...config.zones, ...config.views.list.flatMap((v) => v.zones)].some((z) => z.type === 'secondary');
  const stages: Stage[] = [
    new AcceptStage(responder, { udpPayloadSize: config.server.udpPayloadSize, stats, opcodes: [Opcode.Update, Opcode.Notify] }),
    ...(deps.relay ? [new RelayStage(responder, deps.relay, log)] : []),
    ...(hasSecondary ? [new UpdateForwardStage(responder, replication, xfrLog)] : []),
    // tsig is always there: a signed request with an unknown key still needs its BADKEY answer.
    new TsigStage(responder, deps.keyring, { counters: updates.counters, log: log.child({ component: 'tsig' }) }),
    // view: every later stage reads ctx.view; skipped when one view serves everyone alike.
    ...(views.trivial ? [] : [new ViewStage(responder, views)]),
    new UpdateStage(responder, updates),
    new NotifyStage(responder, replication, xfrLog),
    new XfrStage(responder, replication, {
      zonesFor: (ctx) => (ctx.view as View | null)?.zones ?? zones,
      udpPayloadSize: config.server.udpPayloadSize,
      log: xfrLog,
    }),
    ...(views.translatesReverse ? [new ReverseTranslateStage()] : []),
    new AuthoritativeStage(responder, viewZoneSource(views), recursion ? recursionAvailable(recursion, views) : noRecursion),
    // blocking right after recursion-acl, the first of the resolver's stages (see 3a above).
    ...(resolver ? afterFirst(resolver.createStages(responder), blocking ? new BlockingStage(responder, blocking) : null) : []),
    new RefuseStage(responder),
  ];
  return {
    head: chain(stages),
    responder,
    resolver,
    rebinding: resolver ? rebinding : null,
    async close() {
      await resolver?.close();
    },
  };
}

function forwardingConfigured(config: Config): boolean {
  const f = config.forward;
  return f.upstreams.length > 0 || f.domains.length > 0 || f.nxdomain.length > 0;
}

/** YAML config → the resolver's plain options (units: seconds; the upstream layer wants ms). */
function resolverOptions(config: Config, log: Logger): ResolverOptions {
  const f = config.forward;
  // forward.attempts counts attempts for one client query across all servers; the upstream
  // group counts rounds over its server list.
  const rounds = (n: number) => Math.max(1, Math.ceil(f.attempts / Math.max(1, n)));
  return {
    cache: { ...config.cache, serveStale: { ...config.cache.serveStale } },
    upstreams: f.upstreams.map(upstreamSpec),
    upstream: { timeoutMs: f.timeout * 1000, attempts: rounds(f.upstreams.length) },
    domains: f.domains.map((d) => ({ name: d.name, upstreams: d.upstreams.map(upstreamSpec) })),
    nxdomain: [...f.nxdomain],
    recursion: { allow: config.recursion.allow },
    logger: log.child({ component: 'upstream' }),
  };
}

function upstreamSpec(u: UpstreamConfig): UpstreamSpec {
  return {
    name: u.id,
    port: u.port,
    protocol: u.protocol,
    ...(u.address ? { address: u.address.address } : {}),
    ...(u.serverName ? { serverName: u.serverName } : {}),
    ...(u.url ? { url: u.url } : {}),
    ...(u.caFile ? { caFile: u.caFile } : {}),
  };
}

const noRecursion = (): boolean => false;

/** RA on authoritative answers: this client could recurse here (view permitting). */
function recursionAvailable(allow: PrefixTrie<true>, views: ViewSet): (ctx: QueryContext) => boolean {
  return (ctx) => viewOf(ctx, views).recursion && allow.lookupString(ctx.address) === true;
}

/** `stage` inserted after the first of `stages` (null: `stages` unchanged). */
function afterFirst(stages: Stage[], stage: Stage | null): Stage[] {
  return stage === null ? stages : [stages[0]!, stage, ...stages.slice(1)];
}
