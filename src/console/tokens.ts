import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleConfig } from '../config/types.js';
import type { Logger } from '../observability/log.js';

/** Who a request is, once its token matched. */
export interface ConsoleIdentity {
  readonly name: string;
  readonly scope: 'read' | 'write';
  /** Zones (lower-case FQDN) it may write to; null: any zone whose update policy names it. */
  readonly zones: readonly string[] | null;
}

interface Entry extends ConsoleIdentity {
  readonly digest: Buffer;
}

/** The token created on first start when the config names none (`update.tokens: [admin]` names it). */
export const BOOTSTRAP_TOKEN_NAME = 'admin';
export const BOOTSTRAP_TOKEN_FILE = 'console-admin.token';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The console's tokens. A presented token is compared with every configured one as SHA-256
 * digests with timingSafeEqual, all of them every time, so neither the match nor its position
 * shows in the response time.
 */
export class ConsoleTokens {
  readonly #entries: readonly Entry[];
  /** Where the first-start token was written, or null when tokens come from the config. */
  readonly bootstrapFile: string | null;

  constructor(entries: readonly Entry[], bootstrapFile: string | null) {
    this.#entries = entries;
    this.bootstrapFile = bootstrapFile;
  }

  /**
   * The tokens of the config; with none configured, the one in `<dataDir>/console-admin.token`
   * (write scope, every zone), created on first start with 32 random bytes and logged once.
   */
  static load(config: ConsoleConfig, dataDir: string, log: Logger): ConsoleTokens {
    if (config.tokens.length > 0) {
      return new ConsoleTokens(config.tokens.map((t) => ({
        name: t.name, scope: t.scope, zones: t.zones, digest: digest(t.secret.bytes().toString('utf8')),
      })), null);
    }
    const file = join(dataDir, BOOTSTRAP_TOKEN_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      text = randomBytes(32).toString('base64url');
      mkdirSync(dataDir, { recursive: true });
      // O_EXCL: two servers starting together never both write it.
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, text + '\n');
      } finally {
        closeSync(fd);
      }
      log.warn({ file, token: BOOTSTRAP_TOKEN_NAME }, `no console.tokens configured: created the console token "${BOOTSTRAP_TOKEN_NAME}" (write scope) in ${file}; sign in with its content`);
    }
    return new ConsoleTokens([{ name: BOOTSTRAP_TOKEN_NAME, scope: 'write', zones: null, digest: digest(text) }], file);
  }

  /** The identity whose token is `presented`, or null. */
  verify(presented: string): ConsoleIdentity | null {
    const d = digest(presented);
    let found: Entry | null = null;
    for (const e of this.#entries) if (timingSafeEqual(d, e.digest) && found === null) found = e;
    return found && { name: found.name, scope: found.scope, zones: found.zones };
  }

  get names(): string[] {
    return this.#entries.map((e) => e.name);
  }
}
