import { HzError } from '../errors/index.js';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { FileWatcher } from '../reload/watch.js';
import { silentLogger, type TransportLogger } from './logger.js';

/**
 * The DoT/DoH certificate: a PEM certificate file (the leaf first, then its chain) and a PEM
 * private key file, checked on load and re-read when either changes on disk (cert-manager
 * renewing a Kubernetes Secret, certbot's deploy hook copying files). A pair that fails the
 * checks never replaces the one in use: the error names the file, line and column it can.
 */

/** A certificate or key that cannot be used; the message starts with `file:line:col:` where it can. */
export class CertificateError extends HzError {
  override readonly name = 'CertificateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('HZ_ERR_TLS_CERTIFICATE', message, options);
  }
}

/** A checked certificate/key pair, ready for tls.createSecureContext. */
export interface LoadedCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The leaf's subject and validity, for logs and metrics. */
  readonly subject: string;
  readonly notAfter: Date;
  readonly fingerprint256: string;
  /** Certificates in the file (leaf + chain). */
  readonly chainLength: number;
}

interface PemBlock {
  label: string;
  /** The block's text, BEGIN and END lines included. */
  text: string;
  /** 1-based line of its BEGIN line. */
  line: number;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/;
const END = /^-----END ([A-Z0-9 ]+)-----\s*$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Splits PEM text into blocks, reporting malformed structure as `file:line:col: ...`. */
export function parsePem(text: string, file: string): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  let open: { label: string; line: number; body: string[] } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const l = raw.trimEnd();
    if (open === null) {
      const m = BEGIN.exec(l);
      if (m !== null) open = { label: m[1]!, line: lineNo, body: [] };
      else if (l.startsWith('-----END')) throw new CertificateError(`${file}:${lineNo}:1: END line without a BEGIN line`);
      // Anything else outside a block (openssl's "Bag Attributes", comments) is ignored, as OpenSSL does.
      continue;
    }
    const end = END.exec(l);
    if (end !== null) {
      if (end[1] !== open.label) {
        throw new CertificateError(`${file}:${lineNo}:1: "-----END ${end[1]}-----" closes the "${open.label}" block opened on line ${open.line}`);
      }
      if (open.body.length === 0) throw new CertificateError(`${file}:${open.line}:1: empty ${open.label} block`);
      blocks.push({ label: open.label, text: `-----BEGIN ${open.label}-----\n${open.body.join('\n')}\n-----END ${open.label}-----\n`, line: open.line });
      open = null;
      continue;
    }
    if (BEGIN.test(l)) throw new CertificateError(`${file}:${lineNo}:1: BEGIN line inside the ${open.label} block opened on line ${open.line} (END line missing)`);
    if (/^(Proc-Type|DEK-Info):/.test(l)) throw new CertificateError(`${file}:${lineNo}:1: encrypted PEM is not supported (the key must be unencrypted; restrict the file's permissions instead)`);
    const body = l.trim();
    if (!BASE64_LINE.test(body)) {
      const col = [...body].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
      throw new CertificateError(`${file}:${lineNo}:${(raw.length - raw.trimStart().length) + Math.max(col, 0) + 1}: not base64 inside the ${open.label} block`);
    }
    open.body.push(body);
  }
  if (open !== null) throw new CertificateError(`${file}:${open.line}:1: ${open.label} block is not closed ("-----END ${open.label}-----" missing)`);
  return blocks;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CertificateError(`${file}: cannot read: ${(err as Error).message}`);
  }
}

/** Reads and checks a certificate/key pair. Throws CertificateError. */
export function loadCertificate(certFile: string, keyFile: string): LoadedCertificate {
  const certText = readText(certFile);
  const keyText = readText(keyFile);
  const certBlocks = parsePem(certText, certFile).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
  if (certBlocks.length === 0) throw new CertificateError(`${certFile}:1:1: no "-----BEGIN CERTIFICATE-----" block`);
  const certs: X509Certificate[] = [];
  for (const [i, b] of certBlocks.entries()) {
    try {
      certs.push(new X509Certificate(b.text));
    } catch (err) {
      throw new CertificateError(`${certFile}:${b.line}:1: certificate ${i + 1} does not parse: ${reason(err)}`);
    }
  }
  const keyBlocks = parsePem(keyText, keyFile).filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keyBlocks.length === 0) throw new CertificateError(`${keyFile}:1:1: no "-----BEGIN PRIVATE KEY-----" block`);
  if (keyBlocks.length > 1) throw new CertificateError(`${keyFile}:${keyBlocks[1]!.line}:1: more than one private key`);
  const kb = keyBlocks[0]!;
  let key: KeyObject;
  try {
    key = createPrivateKey(kb.text);
  } catch (err) {
    throw new CertificateError(`${keyFile}:${kb.line}:1: private key does not parse: ${reason(err)}`);
  }
  const leaf = certs[0]!;
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateError(`${certFile}:${certBlocks[0]!.line}:1: the first certificate (${leaf.subject.replaceAll('\n', ', ')}) does not match the private key in ${keyFile}`);
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i]!.checkIssued(certs[i + 1]!)) {
      throw new CertificateError(`${certFile}:${certBlocks[i + 1]!.line}:1: certificate ${i + 2} did not issue certificate ${i + 1}: the chain must go leaf first, then each issuer`);
    }
  }
  const cert = Buffer.from(certBlocks.map((b) => b.text).join(''));
  const keyPem = Buffer.from(kb.text);
  try {
    createSecureContext({ cert, key: keyPem }); // what OpenSSL itself says about the pair
  } catch (err) {
    throw new CertificateError(`${certFile}: OpenSSL refuses the pair: ${reason(err)}`);
  }
  return {
    cert, key: keyPem, subject: leaf.subject.replaceAll('\n', ', '), notAfter: new Date(leaf.validTo), fingerprint256: leaf.fingerprint256, chainLength: certs.length,
  };
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Counts for metrics. */
export interface CertificateCounters {
  reloadsOk: number;
  reloadsError: number;
}

/** Something serving with the certificate (a DoT or DoH listener). */
export interface CertificateUser {
  useCertificate(c: LoadedCertificate): void;
}

/**
 * The certificate in use and the listeners using it. `watch()` re-reads the files when they
 * change (FileWatcher: directory watches, so renames and Kubernetes `..data` symlink swaps are
 * seen); a good pair goes to every listener for their next handshakes (connections already open
 * keep theirs), a bad one is logged and counted and the previous pair stays.
 */
export class CertificateStore {
  readonly counters: CertificateCounters = { reloadsOk: 0, reloadsError: 0 };
  readonly certFile: string;
  readonly keyFile: string;
  #current: LoadedCertificate;
  readonly #users = new Set<CertificateUser>();
  readonly #log: TransportLogger;
  #watcher: FileWatcher | null = null;

  /** Loads the pair now; throws CertificateError (fatal at startup). */
  constructor(certFile: string, keyFile: string, log: TransportLogger = silentLogger) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.#log = log;
    this.#current = loadCertificate(certFile, keyFile);
    this.#logLoaded('tls: certificate loaded');
  }

  get current(): LoadedCertificate {
    return this.#current;
  }

  add(user: CertificateUser): void {
    this.#users.add(user);
  }

  delete(user: CertificateUser): void {
    this.#users.delete(user);
  }

  /** Re-reads the files; returns whether the new pair is in use. */
  reload(): boolean {
    let next: LoadedCertificate;
    try {
      next = loadCertificate(this.certFile, this.keyFile);
    } catch (err) {
      this.counters.reloadsError++;
      this.#log.error({ result: 'error', certFile: this.certFile, keyFile: this.keyFile },
        `tls: certificate reload refused, the previous certificate stays: ${reason(err)}`);
      return false;
    }
    this.#current = next;
    for (const u of this.#users) u.useCertificate(next);
    this.counters.reloadsOk++;
    this.#logLoaded('tls: certificate reloaded');
    return true;
  }

  /** Starts watching the two files (debounced; see FileWatcher). */
  watch(debounceMs?: number): void {
    if (this.#watcher !== null) return;
    this.#watcher = new FileWatcher({
      files: () => [this.certFile, this.keyFile],
      onChange: () => { this.reload(); },
      log: this.#log,
      ...(debounceMs !== undefined ? { debounceMs } : {}),
    });
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
    this.#users.clear();
  }

  #logLoaded(msg: string): void {
    const c = this.#current;
    const days = (c.notAfter.getTime() - Date.now()) / 86_400_000;
    const fields = { certFile: this.certFile, subject: c.subject, notAfter: c.notAfter.toISOString(), chain: c.chainLength, sha256: c.fingerprint256 };
    if (days < 0) this.#log.warn(fields, `${msg}; it has EXPIRED: clients will refuse it`);
    else this.#log.info(fields, msg);
  }
}
