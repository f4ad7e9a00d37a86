// Retention limits as people write them (`--max-db-size 4GiB --max-age 7d`, the UI's storage settings), read and
// written the same way on both sides.

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
const AGE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Below these, retention would keep next to nothing. */
export const MIN_RETENTION_BYTES = 10 * 2 ** 20;
export const MIN_RETENTION_AGE_MS = 60_000;

export interface RetentionLimits {
  maxBytes: number;
  maxAgeMs: number;
}

/** `500MB`, `4GiB`, `1.5 TB` (no unit: bytes) as bytes, or why not (the sentence ends in the value given). */
export function parseSize(text: string): { value: number } | { error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m && SIZE_UNITS[(m[2] || 'b').toLowerCase()];
  if (!m || !unit) return { error: `wants a size such as 500MB or 4GiB, got ${JSON.stringify(text)}` };
  const value = Math.floor(Number(m[1]) * unit);
  return value < MIN_RETENTION_BYTES ? { error: `${text.trim()} is too small: at least 10MiB` } : { value };
}

/** `12h`, `7d`, `4w` (s, m, h, d, w) as ms, or why not. */
export function parseAge(text: string): { value: number } | { error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  if (!m) return { error: `wants a duration such as 12h, 7d or 4w, got ${JSON.stringify(text)}` };
  const value = Math.floor(Number(m[1]) * AGE_UNITS[m[2].toLowerCase()]);
  return value < MIN_RETENTION_AGE_MS ? { error: `${text.trim()} is too short: at least 1m` } : { value };
}

/** A size as parseSize reads it back: `1 GiB`, `512 MiB`. */
export function formatSize(n: number): string {
  const [unit, size] = n >= 2 ** 40 ? ['TiB', 2 ** 40] : n >= 2 ** 30 ? ['GiB', 2 ** 30] : n >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
  return `${Number((n / size).toFixed(1))} ${unit}`;
}

/** An age as parseAge reads it back: `7d`, `36h`, `90m`. */
export function formatAgeLimit(ms: number): string {
  const [unit, size] = ms % 86_400_000 === 0 ? ['d', 86_400_000] : ms % 3_600_000 === 0 ? ['h', 3_600_000] : ['m', 60_000];
  return `${Number((ms / size).toFixed(1))}${unit}`;
}
