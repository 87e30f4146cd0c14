import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../observability/log.js';
import { addressToReverseName } from '../view/reverse-name.js';
import { RRType, typeToString } from '../wire/constants.js';
import { canonicalName, isSubdomain } from '../wire/name.js';
import { rdataToText } from '../wire/rdata/index.js';
import type { Zone } from '../zone/zone.js';
import type { ConsoleBackend } from './backend.js';
import { ApiError } from './errors.js';
import type { ConsoleCounters } from './metrics.js';
import { addRR, applyChange, checkName, checkTtl, checkType, deleteRR, parseRdata, zoneFor } from './records.js';
import { clientAddress } from './server.js';

/**
 * A subset of Technitium DNS Server's HTTP API for records, as the clients the site runs call it:
 * ACME clients (lego's `technitium` provider POSTs a form; acme.sh GETs with a query string) and
 * the IPAM sync job. `token` comes as a parameter; answers are HTTP 200 with
 * `{"status":"ok","response":…}` or `{"status":"error","errorMessage":…}` (`invalid-token` for a
 * bad token), as Technitium answers. Writes are the same RFC 2136 updates as /api/v1 makes.
 *
 * Parameters: `domain` (the record's name), `zone` (optional: the most specific zone we serve),
 * `type`, `ttl`, and the type's data: `ipAddress` (A, AAAA), `cname`, `ptrName`, `nameServer`,
 * `text` (TXT), `preference`+`exchange` (MX), `priority`+`weight`+`port`+`target` (SRV),
 * `flags`+`tag`+`value` (CAA). `overwrite=true` replaces the RRset; `ptr=true` with A/AAAA also
 * writes the PTR record in the reverse zone we serve for the address.
 */

type Params = Record<string, string | undefined>;

export interface TechnitiumDeps {
  readonly backend: ConsoleBackend;
  readonly log: Logger;
  readonly counters: ConsoleCounters;
  readonly servedZone: (name: string) => Zone;
  readonly audit: <T>(req: FastifyRequest, zone: string, action: string, name: string, type: number, run: () => Promise<T>) => Promise<T>;
}

function params(req: FastifyRequest): Params {
  const out: Params = {};
  for (const src of [req.query, req.body]) {
    if (src === null || typeof src !== 'object') continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

function need(p: Params, name: string): string {
  const v = p[name];
  if (v === undefined || v === '') throw new ApiError(400, `Parameter '${name}' missing.`);
  return v;
}

function quoteTxt(text: string): string {
  // character-strings hold at most 255 bytes: split longer text as Technitium does
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    parts.push('"' + bytes.subarray(i, i + 255).toString('latin1').replace(/[\\"]/g, (c) => '\\' + c) + '"');
    if (bytes.length === 0) break;
  }
  return parts.join(' ');
}

const fqdn = (n: string): string => (n.endsWith('.') ? n : n + '.');

/** The record's data in zone-file form from the type's parameters; null when none was given. */
function dataText(type: number, p: Params): string | null {
  switch (type) {
    case RRType.A:
    case RRType.AAAA: return p.ipAddress ?? null;
    case RRType.CNAME: return p.cname ? fqdn(p.cname) : null;
    case RRType.PTR: return p.ptrName ? fqdn(p.ptrName) : null;
    case RRType.NS: return p.nameServer ? fqdn(p.nameServer) : null;
    case RRType.TXT: return p.text !== undefined ? quoteTxt(p.text) : null;
    case RRType.MX: return p.exchange ? `${p.preference ?? '10'} ${fqdn(p.exchange)}` : null;
    case RRType.SRV: return p.target ? `${p.priority ?? '0'} ${p.weight ?? '0'} ${need(p, 'port')} ${fqdn(p.target)}` : null;
    case RRType.CAA: return p.value !== undefined ? `${p.flags ?? '0'} ${need(p, 'tag')} ${quoteTxt(p.value)}` : null;
    default: return p.value ?? null;
  }
}

const bare = (n: string): string => (n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n);

/** Technitium's `rData` object for a record. */
function rData(type: number, rdata: Uint8Array): Record<string, unknown> {
  const text = rdataToText(type, rdata);
  const f = text.split(' ');
  switch (type) {
    case RRType.A:
    case RRType.AAAA: return { ipAddress: text };
    case RRType.CNAME: return { cname: bare(text) };
    case RRType.PTR: return { ptrName: bare(text) };
    case RRType.NS: return { nameServer: bare(text) };
    case RRType.TXT: return { text: unquote(text) };
    case RRType.MX: return { preference: Number(f[0]), exchange: bare(f[1]!) };
    case RRType.SRV: return { priority: Number(f[0]), weight: Number(f[1]), port: Number(f[2]), target: bare(f[3]!) };
    default: return { value: text };
  }
}

function unquote(text: string): string {
  const parts = [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(\d{3}|.)/g, (_s, e: string) => (e.length === 3 ? String.fromCharCode(Number(e)) : e)));
  return Buffer.from(parts.join(''), 'latin1').toString('utf8');
}

function zoneInfo(z: { origin: string }): Record<string, unknown> {
  return { name: bare(z.origin), type: 'Primary', internal: false, disabled: false };
}

async function answer(reply: FastifyReply, run: () => Promise<unknown>): Promise<void> {
  try {
    const response = await run();
    await reply.code(200).send({ response: response ?? {}, status: 'ok' });
  } catch (err) {
    const msg = err instanceof ApiError ? err.message : 'internal error';
    await reply.code(200).send({ status: 'error', errorMessage: msg });
  }
}

export function registerTechnitium(app: FastifyInstance, deps: TechnitiumDeps): void {
  const { backend } = deps;

  const target = (p: Params) => {
    const name = checkName(need(p, 'domain'), 'domain');
    const dz = p.zone ? backend.updates.zone(canonicalName(checkName(p.zone, 'zone'))) ?? null : zoneFor(backend.updates, name);
    if (dz === null) {
      // served but not dynamic → cannot write; not served → no such zone
      if (p.zone) deps.servedZone(p.zone);
      throw new ApiError(403, `No writable zone was found for '${bare(name)}'.`);
    }
    return { name, dz };
  };

  const add = (req: FastifyRequest, reply: FastifyReply) => answer(reply, async () => {
    const p = params(req);
    const { name, dz } = target(p);
    const type = checkType(need(p, 'type'));
    const ttl = checkTtl(p.ttl);
    const text = dataText(type, p);
    if (text === null) throw new ApiError(400, `the record data parameter for type ${typeToString(type)} is missing`);
    const rdata = parseRdata(type, text, dz.origin, 'record data');
    const updates = p.overwrite === 'true' ? [deleteRR(name, type, null), addRR(name, type, ttl, rdata)] : [addRR(name, type, ttl, rdata)];
    await deps.audit(req, dz.origin, 'add', name, type, () => applyChange(dz, req.identity!, clientAddress(req), [], updates));
    if (p.ptr === 'true' && (type === RRType.A || type === RRType.AAAA)) {
      const rev = addressToReverseName(text);
      const rz = zoneFor(backend.updates, rev);
      if (rz === null) throw new ApiError(403, `No reverse zone is served for ${text}; the ${typeToString(type)} record was added.`);
      const ptr = parseRdata(RRType.PTR, name, rz.origin, 'ptr');
      await deps.audit(req, rz.origin, 'add', rev, RRType.PTR, () => applyChange(rz, req.identity!, clientAddress(req), [], [deleteRR(rev, RRType.PTR, null), addRR(rev, RRType.PTR, ttl, ptr)]));
    }
    return { zone: zoneInfo(dz), addedRecord: { disabled: false, name: bare(name), type: typeToString(type), ttl, rData: rData(type, rdata) } };
  });

  const del = (req: FastifyRequest, reply: FastifyReply) => answer(reply, async () => {
    const p = params(req);
    const { name, dz } = target(p);
    const type = checkType(need(p, 'type'));
    const text = dataText(type, p);
    const rdata = text === null ? null : parseRdata(type, text, dz.origin, 'record data');
    await deps.audit(req, dz.origin, 'delete', name, type, () => applyChange(dz, req.identity!, clientAddress(req), [], [deleteRR(name, type, rdata)]));
    return {};
  });

  const get = (req: FastifyRequest, reply: FastifyReply) => answer(reply, async () => {
    const p = params(req);
    const name = checkName(need(p, 'domain'), 'domain');
    const found = p.zone
      ? deps.servedZone(p.zone)
      : backend.zones().map((s) => s.zone).filter((z) => isSubdomain(name, z.origin)).sort((a, b) => b.key.length - a.key.length)[0];
    if (!found) throw new ApiError(404, `No zone was found for '${bare(name)}'.`);
    const key = canonicalName(name);
    const all = p.listZone === 'true';
    const records = found.records().filter((rr) => all || canonicalName(rr.name) === key)
      .map((rr) => ({ disabled: false, name: bare(rr.name), type: typeToString(rr.type), ttl: rr.ttl, rData: rData(rr.type, rr.rdata) }));
    return { zone: zoneInfo(found), records };
  });

  for (const [path, handler] of [['/api/zones/records/add', add], ['/api/zones/records/delete', del], ['/api/zones/records/get', get]] as const) {
    app.get(path, { schema: { hide: true } }, handler);
    app.post(path, { schema: { hide: true } }, handler);
  }
}
