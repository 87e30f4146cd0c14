import { HzError } from '../errors/index.js';

/** A message or a piece of one that cannot be read or written. Never escapes the transport layer. */
export class WireError extends HzError {
  override readonly name = 'WireError';
  override readonly code = 'HZ_ERR_WIRE';
  constructor(message: string, readonly offset = -1) {
    super('HZ_ERR_WIRE', message);
  }
}
