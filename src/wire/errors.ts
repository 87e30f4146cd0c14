/** A message or a piece of one that cannot be read or written. Never escapes the transport layer. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(message: string, readonly offset = -1) {
    super(message);
  }
}
