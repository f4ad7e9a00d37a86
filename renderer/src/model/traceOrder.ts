// The trace list's order, newest start first as the API pages it, kept when live traces join the list.

interface Started {
  traceId: string;
  /** Decimal nanoseconds. */
  startNs: string;
}

/** Newest start first; the same start by trace id, descending, so the order is total. */
export function newestFirst(a: Started, b: Started): number {
  const x = BigInt(a.startNs);
  const y = BigInt(b.startNs);
  return x > y ? -1 : x < y ? 1 : a.traceId > b.traceId ? -1 : a.traceId < b.traceId ? 1 : 0;
}

/**
 * `fresh` traces put where they belong among `items` (newest first), not all on top: an imported trace from last
 * year goes down among last year's. Traces already in `items` are replaced by their fresh summary, in place.
 */
export function mergeNewestFirst<T extends Started>(items: readonly T[], fresh: readonly T[]): T[] {
  if (fresh.length === 0) return [...items];
  const byId = new Map(fresh.map((t) => [t.traceId, t]));
  const kept = items.map((t) => byId.get(t.traceId) ?? t);
  const known = new Set(items.map((t) => t.traceId));
  const adding = [...byId.values()].filter((t) => !known.has(t.traceId)).sort(newestFirst);
  const out: T[] = [];
  let j = 0;
  for (const t of kept) {
    while (j < adding.length && newestFirst(adding[j], t) < 0) out.push(adding[j++]);
    out.push(t);
  }
  while (j < adding.length) out.push(adding[j++]);
  return out;
}
