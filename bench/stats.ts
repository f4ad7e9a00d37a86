/** Spans committed per second of wall clock and per second of CPU (steadier on a shared machine). */
export interface Rate {
  spansPerSec: number;
  spansPerCpuSec: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function medianRate(rates: Rate[]): Rate {
  return { spansPerSec: median(rates.map((r) => r.spansPerSec)), spansPerCpuSec: median(rates.map((r) => r.spansPerCpuSec)) };
}
