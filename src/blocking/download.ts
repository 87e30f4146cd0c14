import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';

/**
 * Downloads one list over http(s) into a file: conditional GET (ETag / Last-Modified), a size
 * limit enforced while reading, one budget for the whole download, certificates verified (the
 * platform default, never turned off), redirects followed by hand up to a limit (a loop ends
 * there). Never throws: every outcome is a DownloadResult.
 */

export interface Validators {
  readonly etag: string | null;
  readonly lastModified: string | null;
}

export type DownloadFailure = 'unreachable' | 'timeout' | 'http_error' | 'too_large' | 'redirects';

export type DownloadResult =
  | { readonly kind: 'ok'; readonly validators: Validators; readonly bytes: number; readonly url: string }
  | { readonly kind: 'not_modified' }
  | { readonly kind: 'failed'; readonly reason: DownloadFailure; readonly message: string };

export interface DownloadOptions {
  readonly maxSize: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  readonly userAgent?: string;
}

export async function download(url: string, dest: string, previous: Validators | null, opts: DownloadOptions): Promise<DownloadResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? 'horizond' };
      if (previous?.etag) headers['if-none-match'] = previous.etag;
      if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
      const res = await fetch(current, { headers, redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (location === null) return { kind: 'failed', reason: 'http_error', message: `HTTP ${res.status} without Location` };
        if (hop >= opts.maxRedirects) return { kind: 'failed', reason: 'redirects', message: `more than ${opts.maxRedirects} redirects` };
        const next = new URL(location, current);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return { kind: 'failed', reason: 'redirects', message: `redirect to ${next.protocol} refused` };
        current = next.href;
        continue;
      }
      if (res.status === 304) {
        await res.body?.cancel();
        return { kind: 'not_modified' };
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        return { kind: 'failed', reason: 'http_error', message: `HTTP ${res.status}` };
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > opts.maxSize) {
        await res.body?.cancel();
        return { kind: 'failed', reason: 'too_large', message: `${declared} bytes, over the ${opts.maxSize}-byte limit` };
      }
      const bytes = await save(res, dest, opts.maxSize);
      if (bytes < 0) return { kind: 'failed', reason: 'too_large', message: `over the ${opts.maxSize}-byte limit` };
      if (Number.isFinite(declared) && bytes !== declared) {
        await rm(dest, { force: true });
        return { kind: 'failed', reason: 'unreachable', message: `truncated: ${bytes} of ${declared} bytes` };
      }
      return {
        kind: 'ok', bytes, url: current,
        validators: { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') },
      };
    }
  } catch (err) {
    await rm(dest, { force: true }).catch(() => undefined);
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'failed', reason: 'timeout', message: `no complete answer within ${opts.timeoutMs / 1000}s` };
    return { kind: 'failed', reason: 'unreachable', message: e.cause?.message ?? e.cause?.code ?? e.message };
  }
}

/** Streams the body to `dest`; -1 (and no file) when it exceeds `max` bytes. */
async function save(res: Response, dest: string, max: number): Promise<number> {
  const out = createWriteStream(dest);
  let bytes = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > max) {
        out.destroy();
        await rm(dest, { force: true });
        return -1;
      }
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
    return bytes;
  } catch (err) {
    out.destroy();
    await rm(dest, { force: true });
    throw err;
  }
}
