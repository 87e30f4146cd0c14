/**
 * horizond configuration: `loadConfig(file)` for the daemon, `parseConfig(text, file, baseDir)`
 * for tests and `horizond check`. See README.md for every key and its default.
 */
export { loadConfig, parseConfig } from './load.js';
export { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
export { DEFAULTS } from './defaults.js';
export { Secret } from './secret.js';
export { configToData, formatConfig } from './format.js';
export { formatDuration, parseDuration, parseSize, formatSize } from './units.js';
export type * from './types.js';
