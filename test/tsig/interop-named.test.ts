/**
 * Our client side against BIND's named: signRequest + verifyResponse for queries, and
 * TsigStreamVerifier over a real multi-message AXFR (RFC 8945 §5.3.1).
 */
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { TsigKey } from '../../src/tsig/keyring.js';
import { TSIG_ALGORITHMS } from '../../src/tsig/algorithms.js';
import { signRequest } from '../../src/tsig/sign.js';
import { verifyResponse, type VerifyResult } from '../../src/tsig/verify.js';
import { TsigStreamVerifier } from '../../src/tsig/stream.js';
import { locateTsig } from '../../src/tsig/record.js';
import { freePort } from '../helpers/ports.js';
import { stopChild } from '../helpers/process.js';

const SECRET = 'bmFtZWQgaW50ZXJvcCBzZWNyZXQgZm9yIGhvcml6b25k';
const HOSTS = 1500;

const keys = new Map(TSIG_ALGORITHMS.map((a) => [a.id, new TsigKey({ name: `${a.id}.key`, algorithm: a.id, secret: SECRET })]));
const short = new TsigKey({ name: 'short.key', algorithm: 'hmac-sha256-128', secret: SECRET });


const dir = await mkdtemp(join(tmpdir(), 'hz-tsig-named-'));
const port = await freePort();
const keyClauses = TSIG_ALGORITHMS.map((a) => `key "${a.id}.key" { algorithm ${a.id}; secret "${SECRET}"; };`);
await writeFile(join(dir, 'named.conf'), `
options {
  directory "${dir}"; pid-file "${dir}/named.pid"; session-keyfile "${dir}/session.key";
  listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; allow-transfer { key "hmac-sha256.key"; };
};
controls { };
${keyClauses.join('\n')}
key "short.key" { algorithm hmac-sha256-128; secret "${SECRET}"; };
zone "example.com" { type primary; file "example.com.zone"; };
`);
const zone = ['$TTL 300', '@ SOA ns hostmaster 1 3600 600 86400 300', '@ NS ns', 'ns A 192.0.2.1'];
for (let i = 1; i <= HOSTS; i++) zone.push(`h${i} A 192.0.2.${(i % 250) + 1}`, `h${i} TXT "filler text so that the transfer needs many messages ${i}"`);
await writeFile(join(dir, 'example.com.zone'), zone.join('\n') + '\n');

const named = spawn('named', ['-g', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
await new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`named did not start:\n${log}`)), 15_000);
  named.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
    if (/all zones loaded[\s\S]*running/.test(log)) { clearTimeout(timer); resolve(); }
  });
  named.on('exit', (code) => { clearTimeout(timer); reject(new Error(`named exited ${code}:\n${log}`)); });
});
t.teardown(async () => {
  // named writes its files until it has exited: wait for that before removing them.
  await stopChild(named);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
});

const now = (): number => Date.now() / 1000;

function query(name: string, type: dnsPacket.RecordType): Buffer {
  return dnsPacket.encode({ type: 'query', id: Math.floor(Math.random() * 65536), questions: [{ name, type }] });
}

/** One UDP exchange with named. */
async function ask(wire: Buffer): Promise<Buffer> {
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply from named')), 5000);
      sock.on('message', (m) => { clearTimeout(timer); resolve(m); });
      sock.send(wire, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

/** Header RCODE of a reply. */
const rcode = (b: Buffer): number => b.readUInt16BE(2) & 15;

t.test('named verifies our signed queries and we verify its replies, every algorithm', async (t) => {
  for (const [id, key] of keys) {
    const req = signRequest(query('example.com', 'SOA'), key, now());
    const reply = await ask(req.wire);
    const r = verifyResponse(reply, key, req.mac, now());
    t.equal(rcode(reply), 0, `${id}: named accepted the request`);
    t.equal(r.status, 'ok', `${id}: named's reply verifies`);
    t.equal(r.mac.length, key.algorithm.size);
    t.equal(dnsPacket.decode(reply).answers![0]!.type, 'SOA');
    const forged = Buffer.from(reply);
    forged[r.tsigOffset - 1]! ^= 1;
    t.equal(verifyResponse(forged, key, req.mac, now()).status, 'badsig', `${id}: a flipped bit is caught`);
  }
});

t.test('truncated MACs with a hmac-sha256-128 key on both sides', async (t) => {
  const req = signRequest(query('example.com', 'NS'), short, now());
  t.equal(req.mac.length, 16);
  const reply = await ask(req.wire);
  const r = verifyResponse(reply, short, req.mac, now());
  t.equal(rcode(reply), 0, 'named accepted our 128-bit MAC');
  t.equal(r.status, 'ok');
  t.equal(r.mac.length, 16, 'named replied with a 128-bit MAC');
});

t.test('named error replies as our client sees them', async (t) => {
  const wrong = new TsigKey({ name: 'hmac-sha256.key', algorithm: 'hmac-sha256', secret: 'd3Jvbmc=' });
  const req = signRequest(query('example.com', 'SOA'), wrong, now());
  const reply = await ask(req.wire);
  const r = verifyResponse(reply, wrong, req.mac, now());
  t.equal(rcode(reply), 9, 'NOTAUTH');
  t.same([r.status, r.error, r.mac.length], ['badsig', 16, 0], 'unsigned BADSIG');

  const stranger = new TsigKey({ name: 'nobody.example', algorithm: 'hmac-sha512', secret: SECRET });
  const req2 = signRequest(query('example.com', 'SOA'), stranger, now());
  const r2 = verifyResponse(await ask(req2.wire), stranger, req2.mac, now());
  t.same([r2.status, r2.error], ['badkey', 17]);

  const key = keys.get('hmac-sha1')!;
  const clientNow = now() - 3600;
  const req3 = signRequest(query('example.com', 'SOA'), key, clientNow);
  const reply3 = await ask(req3.wire);
  const r3: VerifyResult = verifyResponse(reply3, key, req3.mac, clientNow);
  t.equal(rcode(reply3), 9);
  t.equal(r3.status, 'badtime', 'signed BADTIME whose MAC we verified');
  t.equal(r3.error, 18);
  t.equal(r3.mac.length, 20, 'BADTIME carries a MAC');
  t.equal(r3.timeSigned, Math.floor(clientNow), 'named echoes our Time Signed');
  t.ok(Math.abs(r3.otherData.readUIntBE(0, 6) - now()) < 5, 'Other Data holds named\'s clock');
});

/** Sends one request over TCP and collects reply messages until the closing SOA of an AXFR. */
async function axfr(wire: Buffer): Promise<Buffer[]> {
  const sock = net.connect(port, '127.0.0.1');
  const msgs: Buffer[] = [];
  let buf = Buffer.alloc(0);
  let soas = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('AXFR timed out')), 15_000);
      sock.on('error', reject);
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(wire.length);
        sock.write(Buffer.concat([len, wire]));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + m.length);
          msgs.push(Buffer.from(m));
          soas += (dnsPacket.decode(m).answers ?? []).filter((a) => a.type === 'SOA').length;
          if (soas >= 2 || rcode(m) !== 0) { clearTimeout(timer); resolve(); }
        }
      });
    });
  } finally {
    sock.destroy();
  }
  return msgs;
}

t.test('a real multi-message AXFR from named verifies message by message', async (t) => {
  const key = keys.get('hmac-sha256')!;
  const req = signRequest(query('example.com', 'AXFR'), key, now());
  const msgs = await axfr(req.wire);
  t.ok(msgs.length >= 5, `transfer took ${msgs.length} messages`);
  const v = new TsigStreamVerifier(key, req.mac);
  const statuses = msgs.map((m) => v.next(m, now()).status);
  t.notOk(statuses.some((s) => s !== 'ok' && s !== 'unsigned'), `statuses: ${statuses.join(',')}`);
  t.equal(statuses[0], 'ok');
  t.equal(statuses.at(-1), 'ok');
  t.ok(v.complete);
  const records = msgs.reduce((n, m) => n + (dnsPacket.decode(m).answers?.length ?? 0), 0);
  t.equal(records, 2 * HOSTS + 4, 'every record (SOA twice)');

  const tampered = msgs.map((m) => Buffer.from(m));
  tampered[3]![locateTsig(tampered[3]!) - 1]! ^= 1; // last byte of the last record's RDATA
  const v2 = new TsigStreamVerifier(key, req.mac);
  const s2 = tampered.map((m) => v2.next(m, now()).status);
  t.same(s2.slice(0, 3), ['ok', 'ok', 'ok']);
  t.equal(s2[3], 'badsig', 'the altered message fails');
  t.notOk(v2.complete);

  const other = signRequest(query('example.com', 'AXFR'), keys.get('hmac-sha512')!, now());
  const refused = await axfr(other.wire);
  t.equal(rcode(refused[0]!), 5, 'named refuses a transfer signed with a key allow-transfer does not list');
  t.equal(verifyResponse(refused[0]!, keys.get('hmac-sha512')!, other.mac, now()).status, 'ok', 'and signs the refusal');
});
