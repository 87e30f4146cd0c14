import { Flag, HEADER_SIZE, RCode } from '../wire/constants.js';
import { questionEnd } from './record.js';
import { appendUnsignedTsig, serverTimeData, signResponse } from './sign.js';
import type { TsigStatus, VerifyResult } from './verify.js';

/**
 * What a server does with the outcome of verifyRequest (RFC 8945 §5.2, §5.3.2):
 *
 * | status     | reply RCODE | TSIG on the reply                                   |
 * |------------|-------------|-----------------------------------------------------|
 * | unsigned   | (normal)    | none                                                |
 * | ok         | (normal)    | signed with the request MAC, Error 0                |
 * | formerr    | FORMERR     | none                                                |
 * | badkey     | NOTAUTH     | unsigned (MAC Size 0), Error BADKEY                 |
 * | badsig     | NOTAUTH     | unsigned (MAC Size 0), Error BADSIG                 |
 * | badtime    | NOTAUTH     | signed, Error BADTIME, Other Data = our time        |
 * | badtrunc   | NOTAUTH     | signed, Error BADTRUNC                              |
 *
 * A pipeline answers `ok`/`unsigned` normally and passes every reply through `signReply`; any
 * other status is answered at once with `buildTsigError(request, result, now)`.
 */

/** The header RCODE for a failed verification; NOERROR for ok/unsigned (no error to report). */
export function tsigRcode(status: TsigStatus): number {
  switch (status) {
    case 'ok':
    case 'unsigned':
      return RCode.NoError;
    case 'formerr':
      return RCode.FormErr;
    default:
      return RCode.NotAuth;
  }
}

/** The TSIG Error field that goes with a status. */
export function tsigErrorCode(status: TsigStatus): number {
  switch (status) {
    case 'badsig': return RCode.BadSig;
    case 'badkey': return RCode.BadKey;
    case 'badtime': return RCode.BadTime;
    case 'badtrunc': return RCode.BadTrunc;
    default: return 0;
  }
}

/**
 * Adds the TSIG record a reply needs given how its request verified (table above). `resp` is
 * the complete reply without TSIG; returns it unchanged when no TSIG is due.
 */
export function signReply(resp: Buffer, result: VerifyResult, now: number): Buffer {
  switch (result.status) {
    case 'ok':
      return signResponse(resp, result.key!, result.mac, { now }).wire;
    case 'badtime':
      return signResponse(resp, result.key!, result.mac, {
        now, timeSigned: result.timeSigned, error: RCode.BadTime, otherData: serverTimeData(now),
      }).wire;
    case 'badtrunc':
      return signResponse(resp, result.key!, result.mac, { now, error: RCode.BadTrunc }).wire;
    case 'badkey':
    case 'badsig':
      return appendUnsignedTsig(resp, result.keyName, result.algorithm, tsigErrorCode(result.status), now);
    default:
      return resp;
  }
}

/**
 * The complete reply to a request whose TSIG failed (status other than ok/unsigned): same ID
 * and opcode, QR set, RD copied, the question (zone section) echoed when it parses, RCODE
 * NOTAUTH (FORMERR for formerr), and the TSIG record per the table above.
 */
export function buildTsigError(request: Buffer, result: VerifyResult, now: number): Buffer {
  const end = request.length >= HEADER_SIZE ? questionEnd(request, Math.min(result.tsigOffset, request.length)) : -1;
  const resp = Buffer.alloc(end > 0 ? end : HEADER_SIZE);
  if (request.length >= 2) request.copy(resp, 0, 0, 2);
  const flags = request.length >= 4 ? request.readUInt16BE(2) : 0;
  resp.writeUInt16BE(Flag.QR | (flags & (0x7800 | Flag.RD)) | (tsigRcode(result.status) & 0xf), 2);
  if (end > 0) {
    request.copy(resp, 4, 4, 6);
    request.copy(resp, HEADER_SIZE, HEADER_SIZE, end);
  }
  return signReply(resp, result, now);
}

/**
 * The request without its TSIG record (ARCOUNT lowered), for a parser that must not see it.
 * Returns `msg` itself when it carries none.
 */
export function stripTsig(msg: Buffer, result: VerifyResult): Buffer {
  if (result.tsigOffset >= msg.length) return msg;
  const out = Buffer.from(msg.subarray(0, result.tsigOffset));
  out.writeUInt16BE((out.readUInt16BE(10) - 1) & 0xffff, 10);
  return out;
}
