// Text for numbers a person reads: durations with three significant digits, local times to the millisecond.

const UNITS: [number, string][] = [
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
];

function significant(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** 850 ns, 12.3 µs, 182 ms, 1.82 s, 2m 03s, 3h 04m. */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns) || ns <= 0) return ns === 0 ? '0 ms' : '—';
  if (ns >= 60e9) {
    const totalSeconds = Math.round(ns / 1e9);
    const h = Math.floor(totalSeconds / 3600);
    const m = Math.floor((totalSeconds % 3600) / 60);
    const s = totalSeconds % 60;
    return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
  }
  for (const [size, unit] of UNITS) if (ns >= size) return `${significant(ns / size)} ${unit}`;
  return `${Math.round(ns)} ns`;
}

/** Milliseconds since the epoch from a decimal nanosecond string. */
export function nsToMs(ns: string): number {
  return ns === '' ? 0 : Number(BigInt(ns) / 1_000_000n);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 14:03:27.412 today, otherwise Mar 3 14:03:27.412. */
export function formatTimestamp(ns: string, now: Date = new Date()): string {
  const d = new Date(nsToMs(ns));
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  if (sameDay) return time;
  const day = d.toLocaleDateString('en', { month: 'short', day: 'numeric', ...(d.getFullYear() !== now.getFullYear() ? { year: 'numeric' } : {}) });
  return `${day} ${time}`;
}

/**
 * One format for every tick of a time axis, 24-hour: only as precise as the ticks need (14:05, 14:05:30,
 * 14:05:30.250), with the date on each when the ticks are not all today (Mar 3 14:05), the date alone at midnights.
 */
export function timeAxisFormat(ticks: Date[], now: Date = new Date()): (d: Date) => string {
  const has = (part: (d: Date) => number) => ticks.some((d) => part(d) !== 0);
  const precision = has((d) => d.getMilliseconds()) ? 'ms' : has((d) => d.getSeconds()) ? 's' : has((d) => d.getHours() * 60 + d.getMinutes()) ? 'min' : 'day';
  const today = (d: Date) => d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  const dated = precision === 'day' || !ticks.every(today);
  const withYear = ticks.some((d) => d.getFullYear() !== now.getFullYear());
  return (d) => {
    const day = dated ? d.toLocaleDateString('en', { month: 'short', day: 'numeric', ...(withYear ? { year: 'numeric' } : {}) }) : '';
    if (precision === 'day') return day;
    let time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (precision !== 'min') time += `:${pad(d.getSeconds())}`;
    if (precision === 'ms') time += `.${pad(d.getMilliseconds(), 3)}`;
    return dated ? `${day} ${time}` : time;
  };
}

/** For dense lists, always to the second: 14:03:27.412 today, Mar 3 14:03:27 this year, 2024-10-30 14:03:27 before. */
export function formatListTime(ns: string, now: Date = new Date()): string {
  const d = new Date(nsToMs(ns));
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.getFullYear() !== now.getFullYear()) return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
  if (d.getMonth() === now.getMonth() && d.getDate() === now.getDate()) return formatTimestamp(ns, now);
  return `${d.toLocaleDateString('en', { month: 'short', day: 'numeric' })} ${hms}`;
}

/** Two list times as a range, the end's date left out when it is the start's: 2024-10-30 13:24:00 – 13:24:36. */
export function formatListRange(fromNs: string, toNs: string, now: Date = new Date()): string {
  const from = formatListTime(fromNs, now);
  const to = formatListTime(toNs, now);
  if (from === to) return from;
  const a = new Date(nsToMs(fromNs));
  const b = new Date(nsToMs(toNs));
  const sameDay = a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  return `${from} – ${sameDay ? to.slice(to.lastIndexOf(' ') + 1) : to}`;
}

const DURATION_UNITS: Record<string, bigint> = { ns: 1n, us: 1_000n, µs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** "250ms", "1.5s", "300 µs", "2m" → nanoseconds as a decimal string; a bare number means milliseconds. */
export function parseDuration(text: string): string | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()];
  const [whole, fraction = ''] = m[1].split('.');
  const scale = 10n ** BigInt(fraction.length);
  return ((BigInt(whole + fraction) * unit) / scale).toString();
}

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${significant(n / 1e3).replace(/\.0+$/, '')}k`;
  return `${significant(n / 1e6).replace(/\.0+$/, '')}M`;
}

export { plural } from '../../../common/text';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${significant(n / 1024)} KiB`;
  if (n < 1024 ** 3) return `${significant(n / 1024 ** 2)} MiB`;
  return `${significant(n / 1024 ** 3)} GiB`;
}

/** Log-scale ticks a person can read: powers of ten, or 1-2-5 steps when the range spans under two decades. */
export function durationTicks(values: number[]): number[] {
  const mantissa = (v: number) => v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
  const decades = values.filter((v) => near(mantissa(v), 1));
  return decades.length >= 3 ? decades : values.filter((v) => [1, 2, 5].some((k) => near(mantissa(v), k)));
}

/** `endpointsMovedOn` → "endpoints moved on"; `calledAfterMs` → "called after (ms)". */
export function evidenceLabel(key: string): string {
  const ms = key.endsWith('Ms') && key.length > 2;
  const words = (ms ? key.slice(0, -2) : key).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return ms ? `${words} (ms)` : words;
}
