import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ConsoleConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';
import { rcodeToString, typeToString } from '../wire/constants.js';
import { canonicalName, nameToWire } from '../wire/name.js';
import type { ConsoleBackend } from './backend.js';
import { ApiError } from './errors.js';
import { listLeases } from './leases.js';
import { FailureLimiter } from './limiter.js';
import { ConsoleCounters } from './metrics.js';
import { addRR, applyChange, checkName, checkTtl, checkType, deleteRR, listRecords, parseRdata } from './records.js';
import { registerTechnitium } from './technitium.js';
import { ConsoleTokens, type ConsoleIdentity } from './tokens.js';
import { registerUi } from './ui.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: ConsoleIdentity | null;
  }
}

export interface ConsoleServerOptions {
  readonly config: ConsoleConfig;
  readonly dataDir: string;
  readonly backend: ConsoleBackend;
  readonly log: Logger;
  readonly counters?: ConsoleCounters;
  readonly limiter?: FailureLimiter;
}

/** Requests at most this large (a record change is a few hundred bytes). */
const BODY_LIMIT = 64 * 1024;

/** The HTTP client's address, IPv4-mapped IPv6 written as IPv4 (what update networks list). */
export function clientAddress(req: FastifyRequest): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

const recordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'data'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    type: { type: 'string', minLength: 1, maxLength: 16 },
    ttl: { type: 'integer', minimum: 0, maximum: 2147483647 },
    data: { type: 'string', minLength: 1, maxLength: 65535 },
  },
} as const;

const deleteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    type: { type: 'string', minLength: 1, maxLength: 16 },
    data: { type: 'string', minLength: 1, maxLength: 65535 },
  },
} as const;

/**
 * The web console and HTTP API (`console.listen`): JSON under /api/v1 (OpenAPI document at
 * /api/v1/openapi.json), a Technitium-compatible subset for record scripts and ACME clients
 * (technitium.ts), and the browser UI (ui.ts). Every /api request but the OpenAPI document needs
 * a token (`Authorization: Bearer`); failures are counted and rate-limited per address. Writes go
 * through the RFC 2136 engine (records.ts) and are audited (a log line naming the token, a metric).
 */
export class ConsoleServer {
  readonly counters: ConsoleCounters;
  readonly tokens: ConsoleTokens;
  readonly #app: FastifyInstance;
  readonly #opts: ConsoleServerOptions;
  readonly #limiter: FailureLimiter;
  readonly #log: Logger;

  constructor(opts: ConsoleServerOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    this.counters = opts.counters ?? new ConsoleCounters();
    this.#limiter = opts.limiter ?? new FailureLimiter();
    this.tokens = ConsoleTokens.load(opts.config, opts.dataDir, opts.log);
    const tls = opts.config.tls;
    this.#app = Fastify({
      logger: false,
      bodyLimit: BODY_LIMIT,
      // Slow or idle clients cannot hold sockets: the console is not worth a DNS outage.
      connectionTimeout: 30_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
    }) as unknown as FastifyInstance;
    // The OpenAPI generator must be registered before the routes it describes.
    void this.#app.register(swagger, {
      openapi: {
        info: { title: 'horizond console API', version: opts.backend.version, description: 'Live state and dynamic records of a horizond DNS server.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    void this.#app.register(async (app) => this.#routes(app as unknown as FastifyInstance));
  }

  /** Binds `console.listen`; resolves with the address bound. */
  async start(): Promise<{ address: string; port: number }> {
    const { address, port } = this.#opts.config.listen;
    await this.#app.listen({ host: address, port });
    const a = this.#app.server.address();
    return typeof a === 'object' && a !== null ? { address: a.address, port: a.port } : { address, port };
  }

  async close(): Promise<void> {
    await this.#app.close();
  }

  /** For tests: inject a request without a socket. */
  get app(): FastifyInstance {
    return this.#app;
  }

  #routes(app: FastifyInstance): void {
    const b = this.#opts.backend;
    app.decorateRequest('identity', null);
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
      if (err instanceof ApiError) return reply.code(err.status).send({ error: err.message });
      if (err.validation) return reply.code(400).send({ error: err.message });
      const status = err.statusCode ?? 500;
      if (status >= 500) this.#log.error({ err: err.message, route: req.routeOptions.url }, 'console request failed');
      return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
    });
    app.addHook('onResponse', async (req, reply) => {
      this.counters.request(req.routeOptions.url ?? 'unmatched', reply.statusCode);
    });
    // After the body is parsed (a token may come in a form, as lego sends it), before validation (so a
    // request without a token is 401, never a 400 that tells it something).
    app.addHook('preValidation', async (req, reply) => {
      if (!(await this.#authenticate(req, reply))) return reply; // answered (401/429): stop here
    });
    app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => this.#app.swagger());

    app.get('/api/v1/whoami', { schema: { summary: 'The token this request signed in with' } }, async (req) => req.identity);

    app.get('/api/v1/status', { schema: { summary: 'Version, uptime and readiness' } }, async () => ({
      version: b.version, uptimeSeconds: Math.round((Date.now() - b.startedAt) / 1000), ...b.health(), views: b.views(),
    }));

    app.get('/api/v1/stats', { schema: { summary: 'Counters for the dashboard (poll and difference them for rates)' } }, async () => {
      const s = b.stats;
      const sources = ['none', 'authoritative', 'cache', 'stale', 'upstream', 'local', 'refused', 'error', 'update', 'blocked'];
      const bySource: Record<string, number> = {};
      sources.forEach((name, i) => { const n = s.totalFor(i); if (n > 0) bySource[name] = n; });
      let total = 0;
      for (const n of Object.values(bySource)) total += n;
      return { time: Date.now(), answers: total, bySource, dropped: s.dropped, formerr: s.formerr, cache: b.cacheStats(), upstreams: b.upstreams() };
    });

    app.get('/api/v1/zones', { schema: { summary: 'Every zone served, with serial, record counts and replication state' } }, async () => {
      const secondaries = new Map([...b.secondaries()].map((s) => [s.zone, s]));
      return b.zones().map(({ zone, view, type, allowTransfer }) => {
        const dz = b.updates.zone(zone.key);
        let dynamic = 0;
        if (dz) for (const e of dz.dynamicEntries()) dynamic += e.rdata.length;
        const total = zone.records().length;
        const sec = secondaries.get(zone.key);
        return {
          name: zone.origin, view, type, serial: zone.serial, records: total, dynamicRecords: dynamic, staticRecords: total - dynamic,
          updates: dz?.guard !== null && dz?.guard !== undefined, allowTransfer,
          ...(sec ? { available: sec.available, lastContact: sec.lastContact || null } : {}),
        };
      });
    });

    app.get<{ Params: { zone: string }; Querystring: { name?: string; type?: string } }>('/api/v1/zones/:zone/records', {
      schema: {
        summary: 'Records of a zone as served now (static and dynamic)',
        params: { type: 'object', properties: { zone: { type: 'string', maxLength: 255 } }, required: ['zone'] },
        querystring: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 255 }, type: { type: 'string', maxLength: 16 } } },
      },
    }, async (req) => {
      const zone = this.#servedZone(req.params.zone);
      const name = req.query.name === undefined ? null : checkName(req.query.name, 'name');
      const type = req.query.type === undefined ? null : checkType(req.query.type);
      return listRecords(zone, b.updates.zone(zone.key) ?? null, name, type);
    });

    app.post<{ Params: { zone: string }; Body: { name: string; type: string; ttl?: number; data: string } }>('/api/v1/zones/:zone/records', {
      schema: { summary: 'Add a record (an RFC 2136 update under the zone\'s policy)', body: recordBody },
    }, async (req, reply) => {
      const dz = this.#writableZone(req.params.zone);
      const name = checkName(req.body.name, 'name');
      const type = checkType(req.body.type);
      const ttl = checkTtl(req.body.ttl);
      const rdata = parseRdata(type, req.body.data, dz.origin);
      const r = await this.#write(req, dz.origin, 'add', name, type, () => applyChange(dz, req.identity!, clientAddress(req), [], [addRR(name, type, ttl, rdata)]));
      return reply.code(201).send({ zone: dz.origin, serial: r.serial, record: { name, type: typeToString(type), ttl, data: req.body.data } });
    });

    app.delete<{ Params: { zone: string }; Body: { name: string; type: string; data?: string } }>('/api/v1/zones/:zone/records', {
      schema: { summary: 'Delete one record (data given) or a whole RRset', body: deleteBody },
    }, async (req) => {
      const dz = this.#writableZone(req.params.zone);
      const name = checkName(req.body.name, 'name');
      const type = checkType(req.body.type);
      const rdata = req.body.data === undefined ? null : parseRdata(type, req.body.data, dz.origin);
      const r = await this.#write(req, dz.origin, 'delete', name, type, () => applyChange(dz, req.identity!, clientAddress(req), [], [deleteRR(name, type, rdata)]));
      return { zone: dz.origin, serial: r.serial };
    });

    app.get('/api/v1/leases', { schema: { summary: 'Names Kea DHCP-DDNS registered (DHCID records), newest first' } }, async () => listLeases(b.updates, Date.now()));

    app.get<{ Querystring: { name: string } }>('/api/v1/cache', {
      schema: {
        summary: 'Cached answers for a name, by type',
        querystring: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', maxLength: 255 } } },
      },
    }, async (req) => {
      const cache = b.cache();
      const name = checkName(req.query.name, 'name');
      if (cache === null) return { name, entries: [] };
      const now = performance.now() / 1000;
      const entries = [];
      for (const key of this.#cacheKeys(name)) {
        const e = cache.peek(key);
        if (!e) continue;
        const type = key.charCodeAt(key.length - 5) * 256 + key.charCodeAt(key.length - 4);
        const flags = key.charCodeAt(key.length - 1);
        const remaining = e.ttl(now);
        entries.push({
          type: typeToString(type), dnssecOk: (flags & 1) !== 0, checkingDisabled: (flags & 2) !== 0, rcode: rcodeToString(e.rcode),
          ttlRemaining: Math.max(0, Math.floor(remaining)), stale: remaining <= 0, servableStale: remaining <= 0 && e.servableStale(now), bytes: e.blockLen,
        });
      }
      return { name, entries };
    });

    app.delete<{ Querystring: { name?: string } }>('/api/v1/cache', {
      schema: {
        summary: 'Flush one name (all types) or, without name, the whole cache',
        querystring: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 255 } } },
      },
    }, async (req) => {
      if (req.identity!.scope !== 'write') throw new ApiError(403, `token ${req.identity!.name} has read scope only`);
      const cache = b.cache();
      if (cache === null) return { flushed: 0 };
      let flushed = 0;
      if (req.query.name === undefined) {
        flushed = cache.size;
        cache.clear();
      } else {
        for (const key of this.#cacheKeys(checkName(req.query.name, 'name'))) {
          cache.delete(key);
          flushed++;
        }
      }
      this.#log.info({ token: req.identity!.name, client: clientAddress(req), name: req.query.name ?? null, flushed }, 'console: cache flushed');
      return { flushed };
    });

    registerTechnitium(app, {
      backend: b, log: this.#log, counters: this.counters, servedZone: (z) => this.#servedZone(z), audit: (req, zone, action, name, type, run) => this.#write(req, zone, action, name, type, run),
    });
    registerUi(app);
  }

  /** The cache keys of `name` (every type, class and flag combination held). */
  #cacheKeys(name: string): string[] {
    const cache = this.#opts.backend.cache();
    if (cache === null) return [];
    const wire = Buffer.from(nameToWire(canonicalName(name))).toString('latin1');
    const out: string[] = [];
    for (const key of cache.keys()) if (key.length === wire.length + 5 && key.startsWith(wire)) out.push(key);
    return out;
  }

  #servedZone(text: string): import('../zone/zone.js').Zone {
    const key = canonicalName(checkName(text, 'zone'));
    const found = this.#opts.backend.zones().find((z) => z.zone.key === key);
    if (!found) throw new ApiError(404, `zone ${text} is not served here`);
    return found.zone;
  }

  #writableZone(text: string) {
    const key = canonicalName(checkName(text, 'zone'));
    const dz = this.#opts.backend.updates.zone(key);
    if (!dz) {
      this.#servedZone(text);
      throw new ApiError(403, `zone ${text} accepts no updates`);
    }
    return dz;
  }

  /** Runs a write and audits it: one log line naming the token, a counter by result. */
  async #write<T>(req: FastifyRequest, zone: string, action: string, name: string, type: number, run: () => Promise<T>): Promise<T> {
    const who = req.identity!;
    const fields = { token: who.name, client: clientAddress(req), zone, action, name, type: typeToString(type) };
    try {
      const r = await run();
      this.counters.write(who.name, 'ok');
      this.#log.info({ ...fields, result: 'ok' }, 'console: record change');
      return r;
    } catch (err) {
      const refused = err instanceof ApiError && err.status < 500;
      this.counters.write(who.name, refused ? 'refused' : 'error');
      this.#log.warn({ ...fields, result: refused ? 'refused' : 'error', reason: (err as Error).message }, 'console: record change not made');
      throw err;
    }
  }

  /**
   * Every /api request but the OpenAPI document needs a token: `Authorization: Bearer` (or, on
   * the Technitium-compatible routes, a `token` parameter). A wrong or missing token is 401
   * without saying which; too many failures from one address are 429 until the bucket refills.
   */
  async #authenticate(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const url = req.url;
    if (!url.startsWith('/api/') || url.startsWith('/api/v1/openapi.json')) return true;
    const client = clientAddress(req);
    const wait = this.#limiter.blockedFor(client);
    if (wait > 0) {
      this.counters.rateLimited++;
      await reply.code(429).header('retry-after', String(wait)).send({ error: 'too many failed sign-ins; try again later' });
      return false;
    }
    const compat = !url.startsWith('/api/v1/');
    const presented = bearer(req) ?? (compat ? tokenParam(req) : null);
    const who = presented === null ? null : this.tokens.verify(presented);
    if (who === null) {
      this.counters.authFailures++;
      this.#limiter.failed(client);
      if (compat) await reply.code(200).send({ status: 'invalid-token', errorMessage: 'Invalid token or session expired.' });
      else await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
      return false;
    }
    req.identity = who;
    return true;
  }
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** `token` from the query string (GET) or a form/JSON body (POST), as Technitium's API takes it. */
function tokenParam(req: FastifyRequest): string | null {
  for (const src of [req.query, req.body]) {
    const t = src !== null && typeof src === 'object' ? (src as Record<string, unknown>).token : undefined;
    if (typeof t === 'string' && t !== '') return t;
  }
  return null;
}

