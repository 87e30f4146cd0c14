import { ConfigError, parseConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';

/** The error lines a config text is refused with (`h.yaml:line:col: path: message`). */
export function configErrors(text: string, dir: string): string[] {
  try {
    parseConfig(text, 'h.yaml', dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('config was accepted');
}

/** The normalised config for a YAML text (relative paths against the working directory). */
export function configFor(text = ''): Config {
  return parseConfig(text, 'test.yaml', process.cwd());
}
