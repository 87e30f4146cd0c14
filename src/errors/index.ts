/**
 * Every error horizond throws or reports, in one table with stable codes (as fastify's
 * `lib/errors.js`): logs, tests and operators match on `code`, never on message text. A code is
 * never reused for another meaning; a removed one stays reserved.
 *
 * `operator: true` marks the errors an operator sees (startup failures, reload refusals, failed
 * transfers, upstream outages in the logs); docs/errors.md lists each of them with what to do,
 * and a test keeps that page and this table in step. The others are protocol errors that become
 * an RCODE (FORMERR, NOTAUTH...) or broken invariants inside the program (a bug if seen).
 */

interface ErrorInfo {
  /** Whether the error reaches an operator (docs/errors.md documents it). */
  readonly operator: boolean;
  /** What the code means, in one line. */
  readonly summary: string;
}

export const ERRORS = {
  // Configuration and startup
  HZ_ERR_CONFIG: { operator: true, summary: 'The configuration is invalid; every problem is listed as file:line:col: path: message.' },
  HZ_ERR_USAGE: { operator: true, summary: 'The command line is wrong (unknown command, option or argument).' },
  HZ_ERR_ZONE_PARSE: { operator: true, summary: 'A zone file has a syntax error at file:line:col; that zone is not loaded.' },
  HZ_ERR_ZONE_CHECK: { operator: true, summary: 'A zone file parsed but its data is not servable (no SOA, CNAME beside other data, out-of-zone records...).' },
  HZ_ERR_LISTEN: { operator: true, summary: 'A DNS listener cannot open its socket (address in use, permission, address not on this host).' },
  HZ_ERR_UDP_BACKEND: { operator: true, summary: 'server.udp.backend is native but the udp-batch addon did not load, or several workers would need fixed ports.' },
  HZ_ERR_NOT_REGULAR: { operator: true, summary: 'A file the config names is not a regular file (a device, FIFO, socket or directory); reported as file:line:col.' },
  HZ_ERR_TOO_LARGE: { operator: true, summary: 'A config, secret or certificate file is larger than its cap; reported as file:line:col.' },
  HZ_ERR_TLS_CERTIFICATE: { operator: true, summary: 'A TLS certificate or key (server.tls) cannot be used; at start it is fatal, on renewal the one in use stays.' },
  HZ_ERR_METRICS_LISTEN: { operator: true, summary: 'The metrics/health HTTP listener cannot open its socket.' },
  HZ_ERR_DATADIR_LOCKED: { operator: true, summary: 'Another horizond process holds the data directory (journals must have one writer).' },
  HZ_ERR_DATADIR_LOCK: { operator: true, summary: 'The data directory cannot be locked (its kernel-held lock socket cannot be bound).' },
  HZ_ERR_TSIG_KEY: { operator: true, summary: 'A TSIG key is unusable: unsupported algorithm, empty or non-base64 secret, duplicate name.' },
  HZ_ERR_WORKER_EXIT: { operator: true, summary: 'A worker process (server.workers > 1) exited before it was ready.' },
  // Dynamic updates
  HZ_ERR_JOURNAL_BROKEN: { operator: true, summary: 'A zone journal write failed (disk full, I/O error); the zone takes no more updates until restart.' },
  HZ_ERR_JOURNAL_DAMAGED: { operator: true, summary: 'A zone journal is damaged before its end (bad checksum, length or magic); the zone is refused unless journal.onCorrupt is truncate.' },
  HZ_ERR_HISTORY_DAMAGED: { operator: true, summary: 'An IXFR history file is damaged before its end; it is left as it is and IXFR falls back to AXFR.' },
  HZ_ERR_JOURNAL_READONLY: { operator: false, summary: 'A write to a journal opened read-only (a query worker).' },
  HZ_ERR_JOURNAL_BUSY: { operator: false, summary: 'A journal compaction started while another one runs.' },
  HZ_ERR_JOURNAL_RECORD: { operator: false, summary: 'A journal record decodes to something that is not a change (treated as a torn tail).' },
  HZ_ERR_IXFR_HISTORY_RECORD: { operator: false, summary: 'An IXFR history record decodes to something that is not a diff (the history is dropped).' },
  // Replication
  HZ_ERR_XFR_PROTOCOL: { operator: true, summary: 'A zone transfer, NOTIFY or forwarded update broke the protocol (bad stream, wrong question, bad records).' },
  HZ_ERR_XFR_TIMEOUT: { operator: true, summary: 'A zone transfer, NOTIFY or forwarded update got no (complete) answer in time.' },
  HZ_ERR_XFR_NETWORK: { operator: true, summary: 'A zone transfer, NOTIFY or forwarded update could not reach the other server.' },
  HZ_ERR_XFR_TSIG: { operator: true, summary: 'A zone transfer or NOTIFY failed TSIG verification (wrong key, secret or clock).' },
  HZ_ERR_XFR_RCODE: { operator: true, summary: 'The primary answered a transfer or forwarded update with an error RCODE (REFUSED, NOTAUTH...).' },
  HZ_ERR_XFR_ZONE: { operator: true, summary: 'A transferred zone is not servable (fails the load-time checks).' },
  HZ_ERR_TSIG_STREAM: { operator: false, summary: 'A signed message stream broke RFC 8945 §5.3.1 (unsigned first message, too many unsigned in a row).' },
  // Forwarding
  HZ_ERR_UPSTREAM_TIMEOUT: { operator: false, summary: 'No upstream answered within the attempts and the resolution budget.' },
  HZ_ERR_UPSTREAM_FAILED: { operator: false, summary: 'The upstreams failed: transport or TLS errors, or only unusable answers (REFUSED, NOTIMP, FORMERR).' },
  HZ_ERR_UPSTREAM_CLOSED: { operator: false, summary: 'An upstream query was pending when its group closed (reload or shutdown).' },
  HZ_ERR_UPSTREAM_CONFIG: { operator: false, summary: 'An upstream group was built with unusable options.' },
  // Blocking (blocking/)
  HZ_ERR_BLOCKING_DOWNLOAD: { operator: true, summary: 'A list URL could not be downloaded (unreachable, timeout, HTTP error, too many redirects, too large); its last good copy keeps serving.' },
  HZ_ERR_BLOCKING_SOURCE: { operator: true, summary: 'A list file is missing, unreadable or larger than blocking.maxSize; its last good copy keeps serving.' },
  HZ_ERR_BLOCKING_EMPTY: { operator: true, summary: 'A list had no valid line (garbage, an error page, the wrong file); its last good copy keeps serving.' },
  HZ_ERR_BLOCKING_BUILD: { operator: true, summary: 'Rebuilding the blocking set failed (the compiler thread died or ran out of memory); the previous set keeps serving.' },
  HZ_ERR_BLOCKING_UNKNOWN_VIEW: { operator: true, summary: 'blocking test / pause named a view that is not configured.' },
  HZ_ERR_BLOCKING_NOT_CONFIGURED: { operator: true, summary: 'A blocking tool was used with a configuration that has no blocking section.' },
  // Query log
  HZ_ERR_QUERYLOG_FILTER: { operator: true, summary: 'A query-log search filter cannot be read (bad prefix, time, type or source).' },
  HZ_ERR_QUERYLOG_SQLITE: { operator: true, summary: 'The SQLite query log cannot be opened or written (read-only or full disk, permissions); DNS keeps answering.' },
  HZ_ERR_QUERYLOG_SQLITE_CORRUPT: { operator: true, summary: 'The SQLite query log file is damaged; it is moved aside and a new one started.' },
  HZ_ERR_QUERYLOG_POSTGRES: { operator: true, summary: 'PostgreSQL cannot be reached or refused the login; rows are queued (bounded) and the sink retries.' },
  HZ_ERR_QUERYLOG_SCHEMA_NEWER: { operator: true, summary: 'The query-log database holds a schema of a newer horizond; this one does not write to it.' },
  HZ_ERR_QUERYLOG_NO_SINK: { operator: true, summary: '`horizond log` found no readable SQLite or PostgreSQL sink in the config.' },
  // Wire format and zone data
  HZ_ERR_WIRE: { operator: false, summary: 'A DNS message cannot be read or written (answered FORMERR or dropped, never fatal).' },
  HZ_ERR_PRESENTATION: { operator: false, summary: 'RDATA text cannot be parsed (reported as HZ_ERR_ZONE_PARSE for zone files).' },
  HZ_ERR_ZONE_DATA: { operator: false, summary: 'A change would break a zone invariant (apex SOA, records outside the zone).' },
  // Inside the program
  HZ_ERR_WORKER_CHANNEL: { operator: false, summary: 'A message between worker processes got no reply, or the channel closed.' },
  HZ_ERR_METRICS_DEFINITION: { operator: false, summary: 'A metric is defined or used against its definition (name, type, labels).' },
  HZ_ERR_INVALID_ARGUMENT: { operator: false, summary: 'A component was called with a value outside its contract (a bug in the caller).' },
  HZ_ERR_INTERNAL: { operator: false, summary: 'An internal invariant does not hold (a bug).' },
} as const satisfies Record<string, ErrorInfo>;

export type HzErrorCode = keyof typeof ERRORS;

/** The base of every error horizond throws: a stable `code` from ERRORS and a message. */
export class HzError extends Error {
  override readonly name: string = 'HzError';
  readonly code: HzErrorCode;

  constructor(code: HzErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whether `err` is an HzError with `code` (or any HzError when no code is given). */
export function isHzError(err: unknown, code?: HzErrorCode): err is HzError {
  return err instanceof HzError && (code === undefined || err.code === code);
}

/**
 * The code to log with a caught error: an HzError's code, a system error's (`ENOENT`), or
 * undefined for anything else. Log records carry it as `code` so they can be matched on.
 */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
