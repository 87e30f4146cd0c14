import { HzError } from '../errors/index.js';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/**
 * Reading a file named by an operator: only regular files (symbolic links are followed, so the
 * `..data` links Kubernetes mounts Secrets and ConfigMaps through work), and never more than a
 * cap. A device (`/dev/zero`), FIFO or socket named by mistake would otherwise hang the server or
 * fill its memory. The file is opened non-blocking (a FIFO with no writer cannot stall the open)
 * and checked with fstat on the opened descriptor, so what is checked is what is read.
 */

/** Caps for what the config names (zone files have none: a zone may be large). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
export const MAX_SECRET_BYTES = 64 * 1024;
export const MAX_PEM_BYTES = 1024 * 1024;

/** Why a file is refused: `code` HZ_ERR_NOT_REGULAR or HZ_ERR_TOO_LARGE, `message` short and content-free. */
export class FileRefused extends HzError {
  declare readonly code: 'HZ_ERR_NOT_REGULAR' | 'HZ_ERR_TOO_LARGE';
  constructor(code: 'HZ_ERR_NOT_REGULAR' | 'HZ_ERR_TOO_LARGE', message: string) {
    super(code, message);
  }
}

function notRegular(st: Stats): FileRefused {
  return new FileRefused('HZ_ERR_NOT_REGULAR', st.isDirectory() ? 'is a directory' : `is ${kind(st)}, not a regular file`);
}

function kind(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The whole content of a regular file of at most `maxBytes` (default: no cap). Throws fs errors or FileRefused. */
export function readRegularFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(st);
    if (st.size > maxBytes) throw new FileRefused('HZ_ERR_TOO_LARGE', `is ${st.size} bytes, more than the ${maxBytes} allowed`);
    // Read what fstat promised, and one byte more to notice a file growing past the cap meanwhile.
    let buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (buf.length >= maxBytes + 1) break;
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > maxBytes) throw new FileRefused('HZ_ERR_TOO_LARGE', `grew past the ${maxBytes} bytes allowed while being read`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Throws unless `path` is a regular file this process can open for reading (nothing is read). */
export function checkRegularFile(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(st);
  } finally {
    closeSync(fd);
  }
}

/** A short reason for a refused or unreadable file, never its content. */
export function refusedReason(err: unknown): string | null {
  return err instanceof FileRefused ? err.message : null;
}
