/**
 * Multi-message TCP signing (RFC 8945 §5.3.1) checked by real clients: dig and kdig request an
 * AXFR from a tiny TCP responder built here, which verifies the request and signs the stream
 * with TsigStreamSigner — every message, or only some (unsigned ones in between).
 */
import t from 'tap';
import net from 'node:net';
import { execFile } from 'node:child_process';
import dnsPacket from 'dns-packet';
import { Keyring } from '../../src/tsig/keyring.js';
import { verifyRequest, type TsigStatus } from '../../src/tsig/verify.js';
import { buildTsigError } from '../../src/tsig/reply.js';
import { TsigStreamSigner } from '../../src/tsig/stream.js';

const SECRET = 'eGZyIHN0cmVhbSBzZWNyZXQgZm9yIGhvcml6b25kIHRlc3Rz';
const ring = new Keyring([
  { name: 'xfr.key', algorithm: 'hmac-sha256', secret: SECRET },
  { name: 'xfr512.key', algorithm: 'hmac-sha512', secret: SECRET },
]);
const MESSAGES = 8;
const PER_MESSAGE = 20;

/** signEvery: sign message i when i % signEvery === 0 (the last is always signed). */
const server = { signEvery: 1, tamperAt: -1, statuses: [] as TsigStatus[] };

function soa(): dnsPacket.Answer {
  return { type: 'SOA', name: 'example.com', ttl: 300, data: {
    mname: 'ns.example.com', rname: 'hostmaster.example.com', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 300,
  } };
}

/** The transfer split over MESSAGES messages: SOA first and last, A records in between. */
function transfer(id: number, question: dnsPacket.Question): Buffer[] {
  const out: Buffer[] = [];
  for (let m = 0; m < MESSAGES; m++) {
    const answers: dnsPacket.Answer[] = m === 0 ? [soa()] : [];
    for (let i = 0; i < PER_MESSAGE; i++) {
      const n = m * PER_MESSAGE + i;
      answers.push({ type: 'A', name: `h${n}.example.com`, ttl: 300, data: `192.0.2.${n % 250}` });
    }
    if (m === MESSAGES - 1) answers.push(soa());
    out.push(dnsPacket.encode({ type: 'response', id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: m === 0 ? [question] : [], answers }));
  }
  return out;
}

function frame(b: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function respond(sock: net.Socket, req: Buffer): void {
  const now = Date.now() / 1000;
  const v = verifyRequest(req, ring, now);
  server.statuses.push(v.status);
  if (v.status !== 'ok' && v.status !== 'unsigned') {
    sock.end(frame(buildTsigError(req, v, now)));
    return;
  }
  const q = dnsPacket.decode(req);
  const msgs = transfer(q.id!, q.questions![0]!);
  const signer = v.key ? new TsigStreamSigner(v.key, v.mac) : null;
  const wire = msgs.map((m, i) => {
    if (!signer) return Buffer.from(m);
    return i % server.signEvery === 0 || i === msgs.length - 1 ? signer.sign(m, now) : signer.skip(m);
  });
  if (server.tamperAt >= 0) {
    const w = wire[server.tamperAt]!;
    w[msgs[server.tamperAt]!.length - 1]! ^= 1; // last octet of the last address in that message
  }
  sock.end(Buffer.concat(wire.map(frame)));
}

const tcp = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('error', () => {});
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) respond(sock, buf.subarray(2, 2 + buf.readUInt16BE(0)));
  });
});
await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
t.teardown(() => tcp.close());
const port = String((tcp.address() as net.AddressInfo).port);

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 15_000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
}
const dig = (y: string) => run('dig', ['@127.0.0.1', '-p', port, '-y', y, '+tries=1', '+time=3', 'example.com', 'AXFR']);
const kdig = (y: string) => run('kdig', ['@127.0.0.1', '-p', port, '-y', y, '+retry=0', '+timeout=3', 'example.com', 'AXFR']);

function reset(signEvery: number, tamperAt = -1): void {
  server.signEvery = signEvery;
  server.tamperAt = tamperAt;
  server.statuses = [];
}

const RECORDS = MESSAGES * PER_MESSAGE + 2;

t.test('dig accepts our stream, every message signed or only some', async (t) => {
  for (const every of [1, 3, MESSAGES]) {
    reset(every);
    const out = await dig(`hmac-sha256:xfr.key:${SECRET}`);
    t.same(server.statuses, ['ok'], `sign every ${every}: dig's AXFR request verified`);
    t.match(out, new RegExp(`XFR size: ${RECORDS} records \\(messages ${MESSAGES},`), `sign every ${every}: complete transfer`);
    t.notMatch(out, /Transfer failed|verify failure|could not be validated/i, `sign every ${every}: no TSIG complaint`);
    t.match(out, /h159\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.159/);
  }
});

t.test('dig rejects a stream altered after signing', async (t) => {
  reset(1, 4);
  const out = await dig(`hmac-sha512:xfr512.key:${SECRET}`);
  t.match(out, /Couldn't verify signature: tsig verify failure/);
  reset(3, 2);
  t.match(await dig(`hmac-sha256:xfr.key:${SECRET}`), /tsig verify failure/, 'an altered unsigned message is caught by the next MAC');
});

t.test('kdig accepts our stream and rejects an altered first message', async (t) => {
  for (const every of [1, 4]) {
    reset(every);
    const out = await kdig(`hmac-sha512:xfr512.key:${SECRET}`);
    t.same(server.statuses, ['ok']);
    t.match(out, new RegExp(`Received \\d+ B \\(${MESSAGES} messages, ${RECORDS} records\\)`), `sign every ${every}`);
    t.notMatch(out, /WARNING|;; ERROR|failed/);
  }
  // kdig 3.2 verifies only the first message of a transfer (later ones are dig's job above).
  reset(1, 0);
  const bad = await kdig(`hmac-sha256:xfr.key:${SECRET}`);
  t.match(bad, /;; ERROR: failed to query server/);
  t.notMatch(bad, /records\)/);
  reset(1, 0);
  const plain = await run('kdig', ['@127.0.0.1', '-p', port, '+retry=0', '+timeout=3', 'example.com', 'AXFR']);
  t.same(server.statuses, ['unsigned']);
  t.match(plain, new RegExp(`${RECORDS} records`), 'control: the same altered transfer unsigned is accepted, so TSIG caught it');
});

t.test('an AXFR with the wrong secret gets an unsigned BADSIG', async (t) => {
  reset(1);
  const out = await dig('hmac-sha256:xfr.key:d3Jvbmcgc2VjcmV0');
  t.same(server.statuses, ['badsig']);
  t.match(out, /BADSIG/);
  t.notMatch(out, /XFR size/);
});
