/**
 * Interop with real clients: dig and nsupdate (BIND 9), kdig and knsupdate (Knot) sign their
 * requests with `-y alg:name:secret` and verify our replies. A tiny UDP responder built in this
 * file answers with verifyRequest + signReply / buildTsigError.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { Keyring } from '../../src/tsig/keyring.js';
import { TSIG_ALGORITHMS } from '../../src/tsig/algorithms.js';
import { verifyRequest, type TsigStatus } from '../../src/tsig/verify.js';
import { buildTsigError, signReply, stripTsig } from '../../src/tsig/reply.js';
import { questionEnd } from '../../src/tsig/record.js';

const SECRET = 'aG9yaXpvbmQgdHNpZyBpbnRlcm9wIHNlY3JldCAyMDI2'; // base64
const WRONG = 'd3Jvbmcgc2VjcmV0IGZvciB0ZXN0aW5n';

const ring = new Keyring([
  ...TSIG_ALGORITHMS.map((a) => ({ name: `${a.id}.key`, algorithm: a.id, secret: SECRET })),
  { name: 'short.key', algorithm: 'hmac-sha256', secret: SECRET, digestBits: 128 },
]);

/** Knobs the tests turn: clock skew of the server, and corrupting a reply after signing. */
const server = { skew: 0, tamper: false, statuses: [] as TsigStatus[] };

/** Answers any request: QUERY gets one A record 192.0.2.1, UPDATE gets NOERROR + zone section. */
function answer(bare: Buffer): Buffer {
  const qEnd = questionEnd(bare);
  const flags = bare.readUInt16BE(2);
  const isQuery = ((flags >> 11) & 15) === 0;
  const head = Buffer.from(bare.subarray(0, qEnd));
  head.writeUInt16BE(0x8000 | (flags & 0x7900) | (isQuery ? 0x0400 : 0), 2);
  head.writeUInt16BE(isQuery ? 1 : 0, 6);
  head.writeUInt32BE(0, 8);
  if (!isQuery) return head;
  return Buffer.concat([head, Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1])]);
}

function handle(msg: Buffer): Buffer {
  const now = Date.now() / 1000 + server.skew;
  const v = verifyRequest(msg, ring, now);
  server.statuses.push(v.status);
  if (v.status !== 'ok' && v.status !== 'unsigned') return buildTsigError(msg, v, now);
  const resp = answer(stripTsig(msg, v));
  const out = signReply(resp, v, now);
  if (server.tamper) out[resp.length - 1]! ^= 1; // last byte of the A record's address
  return out;
}

interface Run { code: number; out: string }
function run(cmd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: stdout + stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => sock.send(handle(msg), rinfo.port, rinfo.address));
await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
t.teardown(() => sock.close());
const port = String(sock.address().port);

const dig = (y: string, ...extra: string[]) =>
  run('dig', ['@127.0.0.1', '-p', port, '-y', y, '+tries=1', '+time=3', 'www.example.com', 'A', ...extra]);
const kdig = (y: string) => run('kdig', ['@127.0.0.1', '-p', port, '-y', y, '+retry=0', '+timeout=3', 'www.example.com', 'A']);
const updateScript = `server 127.0.0.1 ${port}\nzone example.com\nupdate add host1.example.com 60 A 192.0.2.7\nsend\n`;

function reset(skew = 0, tamper = false): void {
  server.skew = skew;
  server.tamper = tamper;
  server.statuses = [];
}

const DIG_FAILURES = /Couldn't verify signature|Some TSIG could not be validated/;

t.test('dig: all six algorithms verify both ways', async (t) => {
  for (const alg of TSIG_ALGORITHMS) {
    reset();
    const r = await dig(`${alg.id}:${alg.id}.key:${SECRET}`);
    t.same(server.statuses, ['ok'], `${alg.id}: we verified dig's request`);
    t.match(r.out, /status: NOERROR/, alg.id);
    t.match(r.out, /www\.example\.com\.\s+60\s+IN\s+A\s+192\.0\.2\.1/);
    t.match(r.out, new RegExp(`TSIG\\s+${alg.name.replace(/\./g, '\\.')} \\d+ 300 ${alg.size} [A-Za-z0-9+/=\\s]+? \\d+ NOERROR 0`), `${alg.id}: our TSIG as dig shows it`);
    t.notMatch(r.out, DIG_FAILURES, `${alg.id}: dig verified our reply`);
  }
});

t.test('dig notices a reply altered after signing', async (t) => {
  reset(0, true);
  const r = await dig(`hmac-sha256:hmac-sha256.key:${SECRET}`);
  t.same(server.statuses, ['ok']);
  t.match(r.out, /Couldn't verify signature: tsig verify failure/);
  t.match(r.out, /Some TSIG could not be validated/);
});

t.test('dig: wrong secret → NOTAUTH/BADSIG unsigned; unknown key → BADKEY', async (t) => {
  reset();
  const bad = await dig(`hmac-sha256:hmac-sha256.key:${WRONG}`);
  t.same(server.statuses, ['badsig']);
  t.match(bad.out, /status: NOTAUTH/);
  t.match(bad.out, /TSIG\s+hmac-sha256\. \d+ 300 0 \d+ BADSIG 0/, 'MAC size 0, error BADSIG');
  t.match(bad.out, /Couldn't verify signature: tsig indicates error/);

  reset();
  const unknown = await dig(`hmac-sha256:nobody.example:${SECRET}`);
  t.same(server.statuses, ['badkey']);
  t.match(unknown.out, /status: NOTAUTH/);
  t.match(unknown.out, /nobody\.example\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\. \d+ 300 0 \d+ BADKEY 0/);

  reset();
  const otherAlg = await dig(`hmac-sha512:hmac-sha256.key:${SECRET}`);
  t.same(server.statuses, ['badkey'], 'right name, wrong algorithm');
  t.match(otherAlg.out, /BADKEY/);
});

t.test('dig: server clock off by an hour → BADTIME, signed, with our time', async (t) => {
  reset(3600);
  const before = Math.floor(Date.now() / 1000);
  const r = await dig(`hmac-sha384:hmac-sha384.key:${SECRET}`);
  t.same(server.statuses, ['badtime']);
  t.match(r.out, /status: NOTAUTH/);
  const m = /TSIG\s+hmac-sha384\. (\d+) 300 48 [A-Za-z0-9+/=\s]+? \d+ BADTIME 6 (\S+)/.exec(r.out);
  t.ok(m, 'signed (48-octet MAC) BADTIME with 6 octets of other data');
  const timeSigned = Number(m![1]);
  t.ok(Math.abs(timeSigned - before) <= 5, 'Time Signed is the client time');
  const serverTime = Buffer.from(m![2]!, 'base64').readUIntBE(0, 6);
  t.ok(Math.abs(serverTime - (before + 3600)) <= 5, 'Other Data is the server time');
  t.match(r.out, /Couldn't verify signature: clocks are unsynchronized/, 'dig reads it as a clock problem, not a bad signature');
  t.notMatch(r.out, /tsig verify failure/);
  reset(-3600);
  t.match((await dig(`hmac-sha1:hmac-sha1.key:${SECRET}`)).out, /BADTIME/, 'server clock behind');
});

t.test('dig: truncated MACs (BIND hmac-sha256-128 syntax)', async (t) => {
  reset();
  const ok = await dig(`hmac-sha256-128:short.key:${SECRET}`);
  t.same(server.statuses, ['ok'], 'a 128-bit MAC is accepted for a key allowing it');
  t.match(ok.out, /TSIG\s+hmac-sha256\. \d+ 300 16 \S+ \d+ NOERROR 0/, 'and our reply is truncated to match');
  t.notMatch(ok.out, DIG_FAILURES);

  reset();
  const full = await dig(`hmac-sha256:short.key:${SECRET}`);
  t.same(server.statuses, ['ok']);
  t.match(full.out, /TSIG\s+hmac-sha256\. \d+ 300 32 /, 'a full-length client gets a full-length reply');
  t.notMatch(full.out, DIG_FAILURES);

  reset();
  const trunc = await dig(`hmac-sha256-128:hmac-sha256.key:${SECRET}`);
  t.same(server.statuses, ['badtrunc'], 'the full-length key refuses a truncated MAC');
  t.match(trunc.out, /status: NOTAUTH/);
  t.match(trunc.out, /TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ BADTRUNC 0/);
});

t.test('kdig: every algorithm, tampering, BADSIG/BADKEY/BADTIME', async (t) => {
  for (const alg of TSIG_ALGORITHMS) {
    reset();
    const r = await kdig(`${alg.id}:${alg.id}.key:${SECRET}`);
    t.same(server.statuses, ['ok'], alg.id);
    t.match(r.out, /status: NOERROR/);
    t.match(r.out, /TSIG PSEUDOSECTION/);
    t.notMatch(r.out, /WARNING: reply verification/, `${alg.id}: kdig verified our reply`);
  }
  reset(0, true);
  t.match((await kdig(`hmac-sha256:hmac-sha256.key:${SECRET}`)).out, /WARNING: reply verification .*failed to verify TSIG/);
  reset();
  const bad = await kdig(`hmac-sha224:hmac-sha224.key:${WRONG}`);
  t.same(server.statuses, ['badsig']);
  t.match(bad.out, /status: BADSIG/);
  reset();
  t.match((await kdig(`hmac-md5:missing.key:${SECRET}`)).out, /status: BADKEY/);
  reset(-900);
  const late = await kdig(`hmac-sha512:hmac-sha512.key:${SECRET}`);
  t.same(server.statuses, ['badtime']);
  t.match(late.out, /status: BADTIME/);
  t.match(late.out, /TSIG\s+hmac-sha512\. \d+ 300 64 [A-Za-z0-9+/=\s]+? \d+ BADTIME 6 \d+/);
});

t.test('nsupdate and knsupdate send signed UPDATEs', async (t) => {
  reset();
  const ok = await run('nsupdate', ['-y', `hmac-sha256:hmac-sha256.key:${SECRET}`, '-t', '3', '-u', '3', '-r', '0'], updateScript);
  t.same(server.statuses, ['ok']);
  t.equal(ok.code, 0, ok.out);

  reset();
  const bad = await run('nsupdate', ['-y', `hmac-sha256:hmac-sha256.key:${WRONG}`, '-t', '3', '-u', '3', '-r', '0'], updateScript);
  t.same(server.statuses, ['badsig']);
  t.not(bad.code, 0);
  t.match(bad.out, /update failed: NOTAUTH\(BADSIG\)/);

  reset(7200);
  const late = await run('nsupdate', ['-y', `hmac-sha1:hmac-sha1.key:${SECRET}`, '-t', '3', '-u', '3', '-r', '0'], updateScript);
  t.same(server.statuses, ['badtime']);
  t.match(late.out, /clocks are unsynchronized/);

  reset();
  const kok = await run('knsupdate', ['-y', `hmac-sha512:hmac-sha512.key:${SECRET}`, '-t', '3', '-r', '0'], updateScript);
  t.same(server.statuses, ['ok']);
  t.equal(kok.code, 0, kok.out);
  t.notMatch(kok.out, /ERROR/);

  reset();
  const kbad = await run('knsupdate', ['-y', `hmac-sha512:unknown.key:${SECRET}`, '-t', '3', '-r', '0'], updateScript);
  t.same(server.statuses, ['badkey']);
  t.not(kbad.code, 0);
  t.match(kbad.out, /status: BADKEY/);
});
