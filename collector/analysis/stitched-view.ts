// The whole request behind a trace: the trace plus every trace stitches connect it to, either way.
import { CLAIM_CONFIDENCE } from './detector';
import type { Stitch } from '../../common/findings';

export interface StitchedView {
  /** Upstream first: a trace comes after every trace stitched into it; otherwise in order of discovery. */
  traceIds: string[];
  /** The stitches between those traces. */
  stitches: Stitch[];
}

/** A request fanning out further than this is cut off (a queue consumer can link many requests). */
const MAX_TRACES = 1000;

export function stitchedView(traceId: string, stitches: readonly Stitch[], minConfidence = CLAIM_CONFIDENCE): StitchedView {
  const edges = new Map<string, Stitch[]>();
  for (const s of stitches) {
    if (s.confidence < minConfidence || s.from.traceId === s.to.traceId) continue;
    for (const end of [s.from.traceId, s.to.traceId]) {
      const list = edges.get(end);
      if (list) list.push(s);
      else edges.set(end, [s]);
    }
  }
  const seen = new Set([traceId]);
  const found: Stitch[] = [];
  const used = new Set<Stitch>();
  for (const queue = [traceId]; queue.length > 0 && seen.size < MAX_TRACES; ) {
    const current = queue.shift()!;
    for (const s of edges.get(current) ?? []) {
      if (used.has(s)) continue;
      used.add(s);
      found.push(s);
      for (const next of [s.from.traceId, s.to.traceId]) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return { traceIds: upstreamFirst([...seen], found), stitches: found };
}

function upstreamFirst(traceIds: string[], stitches: Stitch[]): string[] {
  const incoming = new Map(traceIds.map((t) => [t, 0]));
  for (const s of stitches) incoming.set(s.to.traceId, (incoming.get(s.to.traceId) ?? 0) + 1);
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < traceIds.length) {
    // a cycle of stitches has no upstream end: take the first unplaced trace and go on
    const next = traceIds.find((t) => !placed.has(t) && incoming.get(t) === 0) ?? traceIds.find((t) => !placed.has(t))!;
    placed.add(next);
    ordered.push(next);
    for (const s of stitches) if (s.from.traceId === next && !placed.has(s.to.traceId)) incoming.set(s.to.traceId, incoming.get(s.to.traceId)! - 1);
  }
  return ordered;
}
