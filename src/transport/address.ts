/**
 * Strips the IPv4-mapped prefix (`::ffff:192.0.2.1` → `192.0.2.1`) that a dual-stack IPv6
 * socket reports for IPv4 clients, so views and ACLs see one form. Returns `addr` unchanged
 * (same string, no allocation) when it is not mapped.
 */
export function unmapIPv4(addr: string): string {
  if (addr.length > 7 && addr.charCodeAt(0) === 58 && addr.startsWith('::ffff:') && addr.includes('.', 7)) {
    return addr.slice(7);
  }
  return addr;
}

/** True when the literal is an IPv6 address (contains a colon). */
export function isIPv6Literal(addr: string): boolean {
  return addr.includes(':');
}

/** `192.0.2.1:53` or `[2001:db8::1]:53`, for messages. */
export function hostPort(address: string, port: number): string {
  return isIPv6Literal(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
