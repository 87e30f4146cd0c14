/**
 * Durations and sizes as written in configuration.
 *
 * Durations: a number (seconds) or one or more `<number><unit>` parts with units `ms s m h d w`
 * (`10s`, `500ms`, `1.8s`, `3d`, `1h30m`). Normalised to seconds, to millisecond precision.
 * Sizes: a whole number (bytes) or `<number><unit>` with SI (`kB KB MB GB TB`, powers of 1000)
 * or IEC (`KiB MiB GiB TiB`, powers of 1024) units. Normalised to whole bytes.
 */

const DURATION_MS: Readonly<Record<string, number>> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000,
};
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;
const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;

/** What a duration text may look like (JSON Schema pattern; ranges are checked by the loader). */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+)\\s*$';

/** Seconds for a duration, or undefined when it is not one (negative values are not). */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (PLAIN_NUMBER.test(text)) return Number(text);
  if (text === '') return undefined;
  let ms = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (!m) return undefined;
    ms += Number(m[1]) * DURATION_MS[m[2]!]!;
  }
  return Math.round(ms) / 1000;
}

/** The shortest duration text for a number of seconds: `500ms`, `1.8s`, `5m`, `1h30m`, `3d`. */
export function formatDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0) return `${ms / 1000}s`;
  let rest = ms / 1000;
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
  KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)?$/;

/** What a size text may look like (JSON Schema pattern). */
export const SIZE_PATTERN = `^\\s*\\d+(\\.\\d+)?\\s*(${Object.keys(SIZE_UNITS).join('|')})?\\s*$`;

/** Bytes for a size, or undefined when it is not one. Fractions of a byte are dropped. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = SIZE.exec(value.trim());
  if (!m) return undefined;
  const unit = m[2] === undefined ? 1 : SIZE_UNITS[m[2]];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** The shortest exact IEC size text: `64MiB`, `1GiB`, `1000B`. */
export function formatSize(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB'] as const) {
    const size = SIZE_UNITS[unit]!;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
