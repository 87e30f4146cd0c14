import { randomInt } from 'node:crypto';
import type { TsigKey } from '../tsig/keyring.js';
import { signRequest } from '../tsig/sign.js';
import { verifyResponse } from '../tsig/verify.js';
import { RClass, RCode, rcodeToString } from '../wire/constants.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { emptyMessage, type Message, type RR } from '../wire/types.js';
import { XfrError } from './errors.js';

/** A request as sent: its bytes, and the key and MAC its answer must be verified with. */
export interface SentRequest {
  readonly wire: Buffer;
  readonly key: TsigKey | null;
  /** The request MAC (empty when unsigned). */
  readonly mac: Buffer;
}

export interface RequestInit {
  opcode: number;
  zone: string;
  qtype: number;
  /** NOTIFY: the zone's SOA as a hint (RFC 1996 §3.7). */
  answer?: RR[];
  /** IXFR: the SOA of the version we have (RFC 1995 §3). */
  authority?: RR[];
  /** NOTIFY requests carry AA (RFC 1996 §3.3). */
  aa?: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Builds a request with a random ID, signed with `key` when given (`now` in seconds). */
export function buildRequest(init: RequestInit, key: TsigKey | null, now: number): SentRequest {
  const msg = emptyMessage({
    id: randomInt(0x10000),
    opcode: init.opcode,
    aa: init.aa ?? false,
    question: [{ name: init.zone, type: init.qtype, class: RClass.IN }],
    answer: init.answer ?? [],
    authority: init.authority ?? [],
  });
  const wire = encodeMessage(msg);
  if (key === null) return { wire, key: null, mac: EMPTY };
  const s = signRequest(wire, key, now);
  return { wire: s.wire, key, mac: Buffer.from(s.mac) };
}

/**
 * Checks a single-message answer: its TSIG when the request was signed (an unsigned or badly
 * signed answer is refused), the opcode, and the RCODE (NOERROR unless `rcodes` allows more).
 * Returns the decoded message.
 */
export function checkAnswer(answer: Buffer, req: SentRequest, now: number, rcodes: readonly number[] = [RCode.NoError]): Message {
  if (req.key !== null) {
    const v = verifyResponse(answer, req.key, req.mac, now);
    if (v.status !== 'ok') throw new XfrError(`answer TSIG ${v.status === 'unsigned' ? 'missing' : 'check failed: ' + v.status.toUpperCase()}`, 'HZ_ERR_XFR_TSIG');
  }
  let msg: Message;
  try {
    msg = decodeMessage(answer);
  } catch (err) {
    throw new XfrError(`malformed answer: ${(err as Error).message}`);
  }
  if (msg.opcode !== ((req.wire[2]! >> 3) & 0xf)) throw new XfrError('answer with another opcode');
  if (!rcodes.includes(msg.rcode)) throw new XfrError(`answered ${rcodeToString(msg.rcode)}`, 'HZ_ERR_XFR_RCODE');
  return msg;
}
