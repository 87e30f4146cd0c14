import { checkRegularFile, FileRefused, MAX_PEM_BYTES, readRegularFile } from '../util/regular-file.js';
import { path, transform, type Validator } from './schema.js';

/**
 * Files named in the config are checked when the config loads, so a typo in a path is a config
 * error pointing at the `file:` node rather than a failure later at startup.
 */

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
};

/** A short reason for a file system error (`no such file`), never the file's content. */
export function fileReason(err: unknown): string {
  if (err instanceof FileRefused) return err.message;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return (code && REASONS[code]) ?? code ?? 'unreadable';
}

/** Throws (a fs error or FileRefused) unless `file` is a regular file that can be opened for reading. */
export function checkReadable(file: string): void {
  checkRegularFile(file);
}

/** A readable regular file; relative paths resolve against the config directory. */
export function readableFile(opts: { pem?: boolean } = {}): Validator<string> {
  return transform(path, (file, at) => {
    try {
      checkReadable(file);
      if (opts.pem && !readRegularFile(file, MAX_PEM_BYTES).toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
        return at.error(`${file} holds no PEM certificate`);
      }
    } catch (err) {
      return at.error(`cannot read ${file}: ${fileReason(err)}`);
    }
    return file;
  });
}
