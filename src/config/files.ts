import { accessSync, constants, readFileSync, statSync } from 'node:fs';
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
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return (code && REASONS[code]) ?? code ?? 'unreadable';
}

/** Throws a fs error when `file` is not a readable regular file. */
export function checkReadable(file: string): void {
  if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  accessSync(file, constants.R_OK);
}

/** A readable regular file; relative paths resolve against the config directory. */
export function readableFile(opts: { pem?: boolean } = {}): Validator<string> {
  return transform(path, (file, at) => {
    try {
      checkReadable(file);
      if (opts.pem && !readFileSync(file, 'utf8').includes('-----BEGIN CERTIFICATE-----')) {
        return at.error(`${file} holds no PEM certificate`);
      }
    } catch (err) {
      return at.error(`cannot read ${file}: ${fileReason(err)}`);
    }
    return file;
  });
}
