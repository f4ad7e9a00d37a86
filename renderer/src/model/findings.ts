// Findings as the views list them: each occurrence once, and the lost hops at a span seen from either end.
import { spanKey, type SpanRef, type WireStitch, type WireTraceHop } from '../../../common/wire';

/**
 * Each span once, in the order first seen. The store keeps examples per analysis, so two analyses (the trace's
 * own and a window's, or two windows) can name the same span; listed twice, those rows also share a React key.
 */
export function distinctOccurrences<T extends SpanRef>(refs: readonly T[]): T[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = spanKey(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Each stitch once (overlapping windows can each record it), the most confident kept, in the order first seen. */
export function distinctStitches<T extends WireStitch>(stitches: readonly T[]): T[] {
  const best = new Map<string, T>();
  for (const s of stitches) {
    const key = `${spanKey(s.from)}>${spanKey(s.to)}`;
    const held = best.get(key);
    if (!held || s.confidence > held.confidence) best.set(key, s);
  }
  return [...best.values()];
}

/** A lost hop seen from one of its spans: `producer` when the work continues elsewhere, `consumer` when it came from elsewhere. */
export interface HopEnd {
  hop: WireTraceHop;
  side: 'producer' | 'consumer';
  /** The span at the other end of the hop. */
  other: SpanRef;
}

/** The lost hops with an end at this span. */
export function hopsAt(hops: readonly WireTraceHop[] | undefined, at: SpanRef): HopEnd[] {
  const key = spanKey(at);
  const ends: HopEnd[] = [];
  for (const hop of hops ?? []) {
    if (spanKey(hop.from) === key) ends.push({ hop, side: 'producer', other: hop.to });
    if (spanKey(hop.to) === key) ends.push({ hop, side: 'consumer', other: hop.from });
  }
  return ends;
}

export function sameStitch(a: WireStitch, b: WireStitch | undefined): boolean {
  return b !== undefined && spanKey(a.from) === spanKey(b.from) && spanKey(a.to) === spanKey(b.to);
}
