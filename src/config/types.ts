import type { Secret } from './secret.js';

/**
 * The normalised, deep-frozen configuration the rest of horizond reads. It is a different type
 * from what the YAML says: units are resolved (durations in seconds, sizes in bytes), names are
 * lower-case FQDNs with the trailing dot, network names and keywords are expanded to prefixes,
 * relative paths are absolute, and every default is filled in. See README.md for the YAML side
 * and defaults.ts for the default of every key.
 */

/** A duration in seconds (fractions allowed: `1.8s` is 1.8). */
export type Seconds = number;
/** A size in bytes. */
export type Bytes = number;
export type Family = 4 | 6;

/** An IP network with no host bits set. `bytes` plugs into view/prefix-trie.ts directly. */
export interface Prefix {
  readonly family: Family;
  /** Network address, canonical text (`192.168.1.0`, `fd00:1::`). */
  readonly address: string;
  readonly length: number;
  /** The network address as 4 or 16 bytes. */
  readonly bytes: readonly number[];
}

/** A single IP address, canonical text (IPv6 in RFC 5952 form, zone kept: `fe80::1%eth0`). */
export interface HostAddress {
  readonly family: Family;
  readonly address: string;
}

export interface SocketAddress extends HostAddress {
  readonly port: number;
}

export type ListenProtocol = 'udp' | 'tcp';

export interface ListenConfig extends SocketAddress {
  readonly protocols: readonly ListenProtocol[];
}

export interface ServerConfig {
  readonly listen: readonly ListenConfig[];
  /** The EDNS UDP payload size we advertise and accept, 512..4096. */
  readonly udpPayloadSize: number;
  readonly tcp: {
    readonly idleTimeout: Seconds;
    /** The idle timeout at a full listener (shrinks from idleTimeout past half the slots). */
    readonly minIdleTimeout: Seconds;
    /** Time allowed for each whole message from its first byte. */
    readonly messageTimeout: Seconds;
    readonly maxConnections: number;
    /** Connections one client (IPv4 address, IPv6 /64) may hold. */
    readonly maxConnectionsPerClient: number;
    /** Queries in flight per TCP connection. */
    readonly maxPipelined: number;
    /** Messages read from one connection before other work gets a turn. */
    readonly messagesPerTurn: number;
  };
  readonly workers: number;
  /** Absolute directory for journals and transferred zones. */
  readonly dataDir: string;
  /** Defaults for every zone's journal (`zones[].journal` overrides). */
  readonly journal: { readonly onCorrupt: JournalOnCorrupt };
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface LogConfig {
  readonly level: LogLevel;
}

export type TsigAlgorithmId = 'hmac-md5' | 'hmac-sha1' | 'hmac-sha224' | 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';

export interface TsigKeyConfig {
  /** Lower-case FQDN (`kea-ddns.`). */
  readonly name: string;
  readonly algorithm: TsigAlgorithmId;
  /** Inline `secret` or the content of `secretFile`, already checked to be base64. */
  readonly secret: Secret;
}

/** Which owner names an update rule covers. `{ zone: true }` in YAML is a subtree at the apex. */
export type NameMatch =
  | { readonly kind: 'subtree'; readonly name: string }
  | { readonly kind: 'exact'; readonly name: string };

export interface UpdateRule {
  /** Key names allowed to use this rule (always a subset of the zone's `update.keys`). */
  readonly keys: readonly string[];
  /** Console tokens allowed to use this rule (the zone's `update.tokens`; none when the rule names keys). */
  readonly tokens: readonly string[];
  /** Source networks allowed to use this rule (checked in addition to `update.networks`). */
  readonly networks: readonly Prefix[];
  readonly name: NameMatch;
  /** RR type numbers this rule may add or delete; ANY (255) permits "delete all RRsets at a name". */
  readonly types: readonly number[];
  /** `types: ["*"]`: every data type may be added or deleted, and all RRsets at a name deleted. */
  readonly anyType: boolean;
  /** `preset` for rules expanded from `update.preset`, `config` for rules written under `rules`. */
  readonly origin: 'preset' | 'config';
}

export interface UpdatePolicy {
  readonly preset: 'kea' | 'none';
  /** An update must be signed by one of these keys... */
  readonly keys: readonly string[];
  /** ...or, over the HTTP API, carry one of these console tokens... */
  readonly tokens: readonly string[];
  /** ...and come from one of these networks; then some rule must permit each change. */
  readonly networks: readonly Prefix[];
  /** Preset rules first, then configured rules. */
  readonly rules: readonly UpdateRule[];
  /** Records that came from the zone file cannot be changed or deleted by updates. */
  readonly protectStatic: boolean;
  readonly scavenge: { readonly enabled: boolean; readonly grace: Seconds };
}

export type ZoneType = 'primary' | 'secondary';

/** A server this one transfers from (`primaries`) or sends NOTIFY to (`notify`). */
export interface RemoteServerConfig {
  /** IP address (canonical text), or a host name (lower case, no trailing dot) resolved when used. */
  readonly address: string;
  readonly port: number;
  /** TSIG key (lower-case FQDN) to sign with, and by which a primary's NOTIFY is recognised; or null. */
  readonly key: string | null;
}

/** Who may transfer a zone: signed with one of `keys` and/or from one of `networks` (both when both are given). */
export interface TransferAcl {
  readonly keys: readonly string[];
  readonly networks: readonly Prefix[];
}

export interface ZoneConfig {
  /** Lower-case FQDN of the apex. */
  readonly name: string;
  /**
   * Absolute path. Primary: the master file (checked readable at load). Secondary: where the
   * transferred copy is kept (default `<dataDir>/<zone>.zone`; need not exist yet).
   */
  readonly file: string;
  readonly allowInclude: boolean;
  /** When the zone has no data for a name, continue as if it were not there. */
  readonly fallthrough: boolean;
  /** RFC 2136 policy; null refuses all updates (always null for a secondary). */
  readonly update: UpdatePolicy | null;
  readonly type: ZoneType;
  /** Secondary only (never empty there): where the zone is transferred from, in order of preference. */
  readonly primaries: readonly RemoteServerConfig[];
  /** Servers sent a NOTIFY (RFC 1996) whenever the zone's serial changes. */
  readonly notify: readonly RemoteServerConfig[];
  /** Who may AXFR/IXFR the zone; null refuses everyone. */
  readonly allowTransfer: TransferAcl | null;
  /** Secondary: relay UPDATE messages to the primary (RFC 2136 §6). Always false for a primary. */
  readonly allowUpdateForwarding: boolean;
  /** The zone's own journal policy; null fields take `server.journal`'s. */
  readonly journal: { readonly onCorrupt: JournalOnCorrupt | null };
}

/**
 * What a journal (or IXFR history) damaged before its end does at start: `refuse` leaves the
 * file as it is and does not serve the zone; `truncate` serves from the last good record.
 */
export type JournalOnCorrupt = 'refuse' | 'truncate';

export interface RecursionConfig {
  /** Clients that may get recursive (forwarded or cached) answers. */
  readonly allow: readonly Prefix[];
}

export type UpstreamProtocol = 'udp' | 'tcp' | 'tls' | 'https';

export interface UpstreamConfig {
  readonly protocol: UpstreamProtocol;
  /** Where to connect; null only for https without `address` (resolve the url host). */
  readonly address: HostAddress | null;
  readonly port: number;
  /** TLS server name to send and verify; null verifies the certificate against the address. */
  readonly serverName: string | null;
  /** https only: the DoH endpoint. */
  readonly url: string | null;
  /** Absolute PEM file of CAs to trust instead of the system store (tls/https). */
  readonly caFile: string | null;
  /** Stable display form for logs and the `upstream` metric label: `udp://192.0.2.53:53`. */
  readonly id: string;
}

export interface ForwardDomain {
  readonly name: string;
  readonly upstreams: readonly UpstreamConfig[];
}

/** `forward.upstreams: system`: where the upstreams came from and what was left out. */
export interface SystemUpstreams {
  /** The resolv.conf read (absolute); a change to it reloads the configuration. */
  readonly resolvConf: string;
  /** Nameservers left out, each with why (`127.0.0.1: this server (a forwarding loop)`). */
  readonly skipped: readonly string[];
}

export interface ForwardConfig {
  /** The servers to forward to: as written, or (`upstreams: system`) resolv.conf's nameservers. */
  readonly upstreams: readonly UpstreamConfig[];
  /** Set when `upstreams: system`; null for a written list. */
  readonly system: SystemUpstreams | null;
  /** Per upstream attempt. */
  readonly timeout: Seconds;
  /** Total attempts across upstreams for one client query. */
  readonly attempts: number;
  /** Conditional forwarding; the runtime picks the longest matching name. */
  readonly domains: readonly ForwardDomain[];
  /** Names (and everything below them) answered NXDOMAIN locally. */
  readonly nxdomain: readonly string[];
}

export interface CacheConfig {
  readonly maxEntries: number;
  readonly maxBytes: Bytes;
  readonly minTtl: Seconds;
  readonly maxTtl: Seconds;
  readonly negativeMaxTtl: Seconds;
  readonly servfailTtl: Seconds;
  readonly prefetch: boolean;
  readonly serveStale: {
    readonly enabled: boolean;
    readonly maxStale: Seconds;
    readonly answerTtl: Seconds;
    readonly clientTimeout: Seconds;
    readonly failureRecheck: Seconds;
  };
}

export interface Translation {
  /** As the outside sees it (the address in the public answer). */
  readonly external: Prefix;
  /** Same family and length as `external`. */
  readonly internal: Prefix;
}

export interface ViewConfig {
  readonly name: string;
  /** Client networks of this view (`default` without `match` gets 0.0.0.0/0 and ::/0). */
  readonly match: readonly Prefix[];
  /** False refuses recursion in this view; true still applies `recursion.allow`. */
  readonly recursion: boolean;
  readonly translate: readonly Translation[];
  readonly translateReverse: boolean;
  /**
   * The zones this view serves: the global zones, with the view's own zones replacing global
   * zones of the same name (global entries are the same objects as in `Config.zones`).
   */
  readonly zones: readonly ZoneConfig[];
  /** Blocking groups applied to this view's clients; null: every group. */
  readonly blocking: readonly string[] | null;
}

export interface ViewsConfig {
  /** Forwarders whose EDNS Client Subnet option selects the view. */
  readonly trustedForwarders: readonly Prefix[];
  /** Never empty: without a `views` section there is one view `default` matching everything. */
  readonly list: readonly ViewConfig[];
}

export interface RebindingConfig {
  readonly enabled: boolean;
  /** Names whose upstream answers may hold private addresses (forward.domains are added). */
  readonly privateDomains: readonly string[];
  /** Addresses a public name must not resolve to. */
  readonly privateNetworks: readonly Prefix[];
}

export interface MetricsConfig {
  readonly enabled: boolean;
  readonly listen: SocketAddress;
}

/** A console/API token (`console.tokens[]`); the secret is the token text. */
export interface ConsoleTokenConfig {
  readonly name: string;
  readonly secret: Secret;
  readonly scope: 'read' | 'write';
  /** Zones (lower-case FQDN) this token may write to; null: every zone whose policy names it. */
  readonly zones: readonly string[] | null;
}

export interface ConsoleConfig {
  readonly enabled: boolean;
  readonly listen: SocketAddress;
  /** Empty: a token is created in server.dataDir on first start (see src/console/tokens.ts). */
  readonly tokens: readonly ConsoleTokenConfig[];
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
}

export interface QueryLogConfig {
  readonly enabled: boolean;
  /** Fraction of queries logged, 0 < rate <= 1. */
  readonly sampleRate: number;
  /** View names to log; empty logs every view. */
  readonly views: readonly string[];
  /** Absolute file to append to; null writes to standard output. */
  readonly file: string | null;
}

export interface Config {
  /** The config file as the caller named it (used in messages). */
  readonly file: string;
  /** Absolute directory relative paths were resolved against. */
  readonly baseDir: string;
  readonly server: ServerConfig;
  readonly log: LogConfig;
  /** Declared network lists by name (built-in keywords are not listed). */
  readonly networks: Readonly<Record<string, readonly Prefix[]>>;
  readonly keys: readonly TsigKeyConfig[];
  /** Global zones, served in every view unless a view replaces them. */
  readonly zones: readonly ZoneConfig[];
  readonly recursion: RecursionConfig;
  readonly forward: ForwardConfig;
  readonly cache: CacheConfig;
  readonly views: ViewsConfig;
  readonly rebinding: RebindingConfig;
  readonly metrics: MetricsConfig;
  readonly console: ConsoleConfig;
  readonly queryLog: QueryLogConfig;
  /** Blocklists; null when the config has no `blocking` section. */
  readonly blocking: BlockingConfig | null;
}

/** Where a blocklist comes from: a local file or an http(s) URL. */
export type BlockingSource =
  | { readonly kind: 'file'; readonly path: string; readonly text: string }
  | { readonly kind: 'url'; readonly url: string; readonly text: string };

export interface BlockingConfig {
  /** Named groups of sources, in config order (group index = position; at most 16). */
  readonly lists: readonly { readonly name: string; readonly sources: readonly BlockingSource[] }[];
  /** Sources of names never blocked (for every group). */
  readonly allow: readonly BlockingSource[];
  readonly answer: 'zero' | 'nxdomain' | 'nodata' | 'refused';
  /** TTL of blocked answers, seconds. */
  readonly ttl: Seconds;
  /** How often URL sources are downloaded again, seconds. */
  readonly refresh: Seconds;
  /** Largest download or file accepted, bytes. */
  readonly maxSize: number;
  /** Budget of one download (connect to last byte), seconds. */
  readonly timeout: Seconds;
  /** Redirects followed per download. */
  readonly maxRedirects: number;
}
