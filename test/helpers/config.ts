import { ConfigError, parseConfig } from '../../src/config/index.js';

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
