/**
 * Freezes an object graph in place (fastify freezes its validated options the same way) and
 * returns it with a deeply readonly type. Shared sub-objects are visited once.
 */
export function deepFreeze<T>(value: T): T {
  const seen = new WeakSet<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    for (const key of Reflect.ownKeys(v)) visit((v as Record<PropertyKey, unknown>)[key]);
    Object.freeze(v);
  };
  visit(value);
  return value;
}
