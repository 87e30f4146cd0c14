import type { At } from '../context.js';
import { overlaps, prefix, prefixText } from '../net.js';
import { object, required } from '../schema.js';
import type { Translation } from '../types.js';

/**
 * `views.list[].translate`: hairpin-NAT address translation, external → internal. Both sides
 * have the same family and prefix length (a bare address is a /32 or /128), so the host bits
 * carry over. Rules may nest (a host rule inside a /28): the longest prefix wins, as in
 * view/translation.ts. Rules whose external sides overlap at the same length (the same network
 * twice) are ambiguous and rejected; with `translateReverse` the same holds for internal sides.
 */

/** A checked translation with the node it came from (for overlap errors). */
export interface LocatedTranslation extends Translation {
  readonly at: At;
}

/** Parses one translation entry. */
export const translation = object(
  { external: required(prefix), internal: required(prefix) },
  (v, at): LocatedTranslation | undefined => {
    const { external, internal } = v;
    if (internal.family !== external.family) {
      return at.child('internal').error(`is IPv${internal.family} but external is IPv${external.family}`);
    }
    if (internal.length !== external.length) {
      return at.child('internal').error(`prefix length /${internal.length} differs from external /${external.length}`);
    }
    return { external, internal, at };
  },
);

/** Reports ambiguous overlaps; returns the translations without their nodes when there are none. */
export function checkTranslations(list: readonly LocatedTranslation[], reverse: boolean): Translation[] | undefined {
  let ok = true;
  const sides: ('external' | 'internal')[] = reverse ? ['external', 'internal'] : ['external'];
  for (const side of sides) {
    for (let i = 1; i < list.length; i++) {
      const p = list[i]![side];
      const earlier = list.slice(0, i).find((e) => e[side].length === p.length && overlaps(e[side], p));
      if (earlier === undefined) continue;
      const why = side === 'internal' ? ' (translateReverse needs distinct internal networks)' : '';
      list[i]!.at.child(side).error(`${prefixText(p)} is already translated at line ${earlier.at.child(side).pos.line}${why}`);
      ok = false;
    }
  }
  return ok ? list.map(({ external, internal }) => ({ external, internal })) : undefined;
}
