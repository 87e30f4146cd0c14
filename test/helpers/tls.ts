// Test certificates made with openssl, and a raw DNS-over-TLS client that records framed answers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface TestCert {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate (a client's `ca`). */
  pem: string;
}

/**
 * A self-signed P-256 certificate for `cn`, valid for localhost, 127.0.0.1 and ::1, written to
 * `dir/<name>.crt` and `dir/<name>.key` by openssl (as an operator would make one).
 */
export function makeCert(dir: string, name = 'tls', cn = 'horizond.test'): TestCert {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${cn}`,
    '-addext', `subjectAltName=DNS:${cn},DNS:localhost,IP:127.0.0.1,IP:::1`,
  ], { stdio: 'ignore' });
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** A temp directory removed at the end of the test. */
export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'horizond-tls-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The certificate's SHA-256 fingerprint as openssl prints it (for comparing with a peer's). */
export function fingerprint(certFile: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', certFile], { encoding: 'utf8' });
  return out.trim().split('=')[1]!;
}

/** A DNS-over-TLS client (node:tls) that records every framed response it reads. */
export class DotTestClient {
  readonly socket: TLSSocket;
  readonly responses: Buffer[] = [];
  readonly secure: Promise<void>;
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  #waiters: Array<() => void> = [];

  constructor(port: number, opts: ConnectionOptions = {}) {
    this.socket = connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false, ...opts });
    this.socket.on('error', () => {});
    this.secure = new Promise((resolve, reject) => {
      this.socket.once('secureConnect', () => resolve());
      this.socket.once('close', () => reject(new Error('closed before the handshake')));
    });
    this.secure.catch(() => {});
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('data', (d: Buffer) => this.#onData(d));
  }

  #onData(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    while (this.#buf.length >= 2) {
      const n = this.#buf.readUInt16BE(0);
      if (this.#buf.length < n + 2) break;
      this.responses.push(this.#buf.subarray(2, n + 2));
      this.#buf = this.#buf.subarray(n + 2);
    }
    for (const w of this.#waiters.splice(0)) w();
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async waitFor(n: number, ms = 10_000): Promise<Buffer[]> {
    const deadline = Date.now() + ms;
    while (this.responses.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.responses.length}/${n} responses`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.responses;
  }

  ids(): number[] {
    return this.responses.map((r) => r.readUInt16BE(0));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
