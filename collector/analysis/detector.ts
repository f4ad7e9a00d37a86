// What the cross-trace detectors share: the window they judge, what a hop detector returns, and the
// confidence at which a stitch becomes a claim. Below every detector, so none imports another for it.
import type { Observation, Stitch } from '../../common/findings';

/** A stretch of span time in ns since the epoch, [from, to). */
export interface TimeRange {
  from: number;
  to: number;
}

/** The request ids seen in a trace (from its spans and logs), if any. */
export type TraceRequestIds = (traceId: string) => ReadonlySet<string> | undefined;

export interface HopResult {
  stitches: Stitch[];
  observations: Observation[];
}

/** Stitches at or above this confidence are claims (findings); below it they are only shown as guesses. */
export const CLAIM_CONFIDENCE = 0.5;

/** z for a two-sided 99.9% interval: with many services and windows, only clear differences are reported. */
const Z = 3.29;

/** Wilson score interval for k successes in n trials. */
export function wilson(k: number, n: number, z = Z): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
