import { Flag, HEADER_SIZE, RRType } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { writeQuestion, writeRR } from '../wire/message.js';
import type { Question, RR } from '../wire/types.js';
import { Writer } from '../wire/writer.js';

/** What every message of one transfer answer shares. */
export interface PackOptions {
  /** The request's ID. */
  id: number;
  /** Echoed in the first message only (RFC 5936 §2.2.1 allows it to be left out of the rest). */
  question: Question;
  /** RD as the request had it (copied into every message). */
  rd?: boolean;
  /** An OPT record for every message when the request had one (RFC 5936 §2.2.5). */
  edns: { udpSize: number } | null;
  /** Size a message is filled to; a record is never split, so one large record may exceed it. */
  targetSize?: number;
  /** Bytes to keep free in each message for the TSIG record added afterwards. */
  reserve?: number;
}

/** 16 KiB: large enough for few messages, small enough to sign and pace in steps. */
export const DEFAULT_TARGET_SIZE = 16 * 1024;
const OPT_SIZE = 11;
const MAX_MESSAGE = 65535;

/**
 * Packs a record sequence into response messages (QR, AA, opcode QUERY, NOERROR), names
 * compressed within each message. Lazy: one message is built only when the caller asks for
 * it, so a large zone is never held on the wire all at once. Every message holds at least one
 * record.
 */
export function* packMessages(records: Iterable<RR>, opts: PackOptions): Generator<Buffer> {
  const reserve = (opts.reserve ?? 0) + (opts.edns ? OPT_SIZE : 0);
  const target = Math.min(opts.targetSize ?? DEFAULT_TARGET_SIZE, MAX_MESSAGE) - reserve;
  const w = new Writer(target + 4096);
  let first = true;
  let count = 0;
  const start = (): void => {
    w.reset();
    w.ensure(HEADER_SIZE);
    w.offset = HEADER_SIZE;
    if (first) writeQuestion(w, opts.question);
    count = 0;
  };
  const finish = (): Buffer => {
    const b = w.buf;
    b.writeUInt16BE(opts.id & 0xffff, 0);
    b.writeUInt16BE(Flag.QR | Flag.AA | (opts.rd ? Flag.RD : 0), 2);
    b.writeUInt16BE(first ? 1 : 0, 4);
    b.writeUInt16BE(count, 6);
    b.writeUInt16BE(0, 8);
    b.writeUInt16BE(opts.edns ? 1 : 0, 10);
    if (opts.edns) writeOpt(w, opts.edns.udpSize);
    first = false;
    return Buffer.from(w.view());
  };
  start();
  for (const rr of records) {
    const before = w.offset;
    writeRR(w, rr);
    if (w.offset > target && count > 0) {
      w.offset = before; // the record goes first into the next message
      yield finish();
      start();
      writeRR(w, rr);
    }
    if (w.offset > MAX_MESSAGE - reserve) throw new WireError(`record ${rr.name} is too large for a transfer message`);
    count++;
  }
  if (count > 0 || first) yield finish();
}

function writeOpt(w: Writer, udpSize: number): void {
  w.u8(0);
  w.u16(RRType.OPT);
  w.u16(udpSize);
  w.u32(0);
  w.u16(0);
}
