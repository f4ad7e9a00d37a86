// Where an import's traces are: the start times of the traces the live stream reported while it ran.
import type { WireEventMap } from '../../../common/wire';

/** The traces seen during an import, as a time range the trace list can filter on. */
export interface ImportedTraces {
  /** Earliest and latest trace start, decimal nanoseconds. */
  fromNs: string;
  toNs: string;
  /** Only traces that already existed were seen so far: a re-import, or the new ones were not reported. */
  updatedOnly: boolean;
}

/**
 * Adds one live `traces` push. New traces decide the range; traces that existed before count only until a new one
 * is seen (an import of traces already stored creates none), so live traffic updating old traces does not stretch it.
 */
export function importedTraces(held: ImportedTraces | undefined, event: WireEventMap['traces']): ImportedTraces | undefined {
  const fresh = new Set(event.newTraceIds);
  const isNew = event.updated.filter((t) => fresh.has(t.traceId));
  const useNew = isNew.length > 0;
  if (!useNew && held && !held.updatedOnly) return held;
  const summaries = useNew ? isNew : event.updated;
  if (summaries.length === 0) return held;
  let lo = BigInt(summaries[0].startNs);
  let hi = lo;
  for (const t of summaries) {
    const start = BigInt(t.startNs);
    if (start < lo) lo = start;
    if (start > hi) hi = start;
  }
  const keep = held && held.updatedOnly === !useNew;
  if (keep) {
    if (BigInt(held.fromNs) < lo) lo = BigInt(held.fromNs);
    if (BigInt(held.toNs) > hi) hi = BigInt(held.toNs);
  }
  return { fromNs: lo.toString(), toNs: hi.toString(), updatedOnly: !useNew };
}
