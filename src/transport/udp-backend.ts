import { createRequire } from 'node:module';
import { HzError } from '../errors/index.js';

/**
 * Which datagram I/O the UDP listeners use (`server.udp.backend`):
 * - `native`: the `@horizond/udp-batch` addon (packages/udp-batch): recvmmsg/sendmmsg in batches,
 *   one JavaScript call per batch, replies sent from the address the query came to;
 * - `dgram`: Node's `node:dgram` (one recvmsg and one sendmsg per query);
 * - `auto`: `native` when the addon is built and loads on this host, else `dgram`.
 */
export const udpBackendSettings = ['auto', 'native', 'dgram'] as const;
export type UdpBackendSetting = (typeof udpBackendSettings)[number];
export type UdpBackend = 'native' | 'dgram';

/** Bytes of metadata per receive slot (and of the `dest` record), as laid out by the addon. */
export const RX_META = 64;
/** Bytes of metadata per send slot. */
export const TX_META = 16;

/** Indexes of the addon's stats() array. */
export const NativeStat = {
  Received: 0, Truncated: 1, Batches: 2, Sent: 3, Queued: 4, QueueDropped: 5, SendErrors: 6, RecvErrors: 7, QueueLength: 8,
} as const;

/** An open socket of the addon (opaque). */
export type NativeHandle = { readonly __udpBatch: unique symbol };

/** The addon's functions (packages/udp-batch/src/udp_batch.c documents the layouts). */
export interface UdpBatchBinding {
  open(
    family: 4 | 6, address: string, port: number, ipv6Only: boolean, reusePort: boolean,
    rx: Buffer, rxMeta: Buffer, tx: Buffer, txMeta: Buffer, dest: Buffer,
    batch: number, rxSlot: number, txSlot: number, onBatch: (n: number) => void,
  ): NativeHandle;
  start(h: NativeHandle): void;
  /** [port, recvBuffer, sendBuffer] */
  local(h: NativeHandle): [number, number, number];
  bufferSize(h: NativeHandle, kind: 0 | 1, bytes: number): number;
  flush(h: NativeHandle, n: number): number;
  send(h: NativeHandle, data: Buffer, length: number): number;
  stats(h: NativeHandle): number[];
  close(h: NativeHandle): void;
}

/** What loading the addon gave: the binding, or why there is none. */
export interface UdpBatchLoad {
  binding: UdpBatchBinding | null;
  error: string | null;
}

/**
 * Environment variable naming another module to load as the addon (a packager's own build, or
 * a path that does not exist to run without it).
 */
export const addonPathEnv = 'HORIZOND_UDP_BATCH_ADDON';

const require = createRequire(import.meta.url);
let loaded: UdpBatchLoad | null = null;

/** Loads the addon once per process (`path`: load that module instead, not cached). */
export function loadUdpBatch(path?: string): UdpBatchLoad {
  const target = path ?? process.env[addonPathEnv] ?? '@horizond/udp-batch';
  if (path === undefined && loaded !== null) return loaded;
  let out: UdpBatchLoad;
  try {
    const b = require(target) as Partial<UdpBatchBinding>;
    out = typeof b.open === 'function' && typeof b.flush === 'function'
      ? { binding: b as UdpBatchBinding, error: null }
      : { binding: null, error: `${target} is not the udp-batch addon` };
    if (process.platform !== 'linux') out = { binding: null, error: 'recvmmsg/sendmmsg need Linux' };
  } catch (err) {
    out = { binding: null, error: (err as Error).message.split('\n')[0] ?? String(err) };
  }
  if (path === undefined) loaded = out;
  return out;
}

/** The backend a setting resolves to on this host. */
export interface UdpBackendChoice {
  backend: UdpBackend;
  binding: UdpBatchBinding | null;
  /** Why `auto` fell back to dgram (null otherwise). */
  fallback: string | null;
}

/**
 * Resolves `server.udp.backend`. `native` without a loadable addon is an error (startup is
 * fatal); `auto` falls back to dgram and says why.
 */
export function chooseUdpBackend(setting: UdpBackendSetting, load: () => UdpBatchLoad = () => loadUdpBatch()): UdpBackendChoice {
  if (setting === 'dgram') return { backend: 'dgram', binding: null, fallback: null };
  const l = load();
  if (l.binding !== null) return { backend: 'native', binding: l.binding, fallback: null };
  if (setting === 'native') {
    throw new HzError('HZ_ERR_UDP_BACKEND', `udp: server.udp.backend is native but the udp-batch addon did not load (${l.error}); build it with npm ci (needs build-essential and python3, npm_config_nodedir=/usr) or use auto`);
  }
  return { backend: 'dgram', binding: null, fallback: l.error };
}
