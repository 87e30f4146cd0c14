import { DEFAULTS } from '../defaults.js';
import { object, oneOf, withDefault } from '../schema.js';
import type { LogConfig, LogLevel } from '../types.js';

/** `log`: the root logger's level (pino levels, `silent` turns logging off). */

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Parses `log`. */
export const parseLog = object({ level: withDefault(oneOf(LOG_LEVELS), DEFAULTS.log.level) }, (v): LogConfig => v);
