import type { Config } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import type { QueryStats } from '../observability/query-stats.js';
import { RCode } from '../wire/constants.js';
import type { ZoneStore } from '../zone/store.js';
import { LookupResult } from '../zone/lookup.js';
import type { Pipeline } from './dispatcher.js';
import { Responder } from './responder.js';
import { chain, type Stage } from './stage.js';
import { AcceptStage } from './stages/accept.js';
import { AuthoritativeStage, type AuthoritativeSource } from './stages/authoritative.js';
import { RefuseStage } from './stages/refuse.js';

export interface PipelineDeps {
  config: Config;
  zones: ZoneStore;
  stats: QueryStats;
  log: Logger;
}

export interface BuiltPipeline extends Pipeline {
  close(): Promise<void>;
}

/**
 * The request path, in order. This is the one place the order is written down:
 *
 * 1. accept: header screening before anything reads the message (FORMERR/NOTIMP/BADVERS, drops
 *    responses), and the client's size limit.
 * 2. authoritative: our zones answer first and to everyone (the site's names must resolve even for
 *    clients that may not recurse).
 * 3. refuse: nothing above answered, so the name is none of ours: REFUSED, never an open resolver.
 *
 * Stages for features that are not configured are not in the chain at all.
 */
export function buildPipeline(deps: PipelineDeps): BuiltPipeline {
  const { config, zones, stats } = deps;
  const responder = new Responder({ udpPayloadSize: config.server.udpPayloadSize, stats });
  const source: AuthoritativeSource = {
    get generation() { return zones.generation; },
    lookup(qname, qtype) {
      const r = zones.lookup(qname, qtype);
      if (r === null) return null;
      return { rcode: r.result === LookupResult.NameError ? RCode.NXDomain : RCode.NoError, aa: r.aa, answer: r.answer, authority: r.authority, additional: r.additional };
    },
  };
  const stages: Stage[] = [
    new AcceptStage(responder, { udpPayloadSize: config.server.udpPayloadSize, stats, opcodes: [] }),
    new AuthoritativeStage(responder, () => source, () => false),
    new RefuseStage(responder),
  ];
  return {
    head: chain(stages),
    responder,
    async close() { /* nothing held yet */ },
  };
}
