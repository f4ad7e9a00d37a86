import { routes } from '../../../common/routes';
import { isTraceId, spanKey, type SpanRef, type WirePage, type WireSpanFinding, type WireStitch, type WireTrace, type WireTraceSummary } from '../../../common/wire';
import { InputError } from '../../errors';
import type { ApiContext } from '../context';
import type { Handlers } from '../dispatch';
import { encodeTraceSummary } from '../encode';
import { HttpError } from '../http';
import { parseTraceSearch, type TraceSearch } from '../query';
import { openTrace, searchSpans, spanDetail, traceSkeleton, type OpenTrace } from '../traceView';

export const traceHandlers = {
  searchTraces: (ctx, { query }) => searchTraces(ctx, parseTraceSearch(query)),
  trace: (ctx, { params: { traceId } }) => skeleton(ctx, ctx.openTraces.get(traceId, () => loadTrace(ctx, traceId))),
  spanDetail: (ctx, { params: { traceId, spanId } }) => {
    const detail = spanDetail(openHolding(ctx, traceId), traceId, spanId, ctx.reader, ctx.cluster);
    if (!detail) throw new HttpError(404, `no span ${spanId} in trace ${traceId}`);
    return detail;
  },
  searchSpans: (ctx, { query }) => {
    const traceIds = query.all('traceId');
    if (traceIds.length === 0 || !traceIds.every(isTraceId)) throw new InputError('span-search needs ?traceId= (32 hex digits, repeatable)', { field: 'traceId' });
    const q = query.text('q') ?? '';
    return { matches: [...new Set(traceIds)].flatMap((id) => searchSpans(openHolding(ctx, id), q, ctx.reader).filter((m) => m.traceId === id)) };
  },
  stitched: (ctx, { query }) => {
    const stitch = ctx.findings.get().stitches.find((s) => spanKey(s.from) === query.text('from') && spanKey(s.to) === query.text('to'));
    if (!stitch) throw new HttpError(404, `no such stitch; ask ${routes.findings.path} for the current ones (?from=TRACE:SPAN&to=TRACE:SPAN)`);
    return skeleton(ctx, ctx.openTraces.get(`${spanKey(stitch.from)}>${spanKey(stitch.to)}`, () => loadStitched(ctx, stitch)));
  },
} satisfies Partial<Handlers>;

/** Summaries of these traces with their finding counts, for the live `traces` event; ids no longer stored are left out. */
export function traceSummaries(ctx: ApiContext, traceIds: string[]): WireTraceSummary[] {
  const counts = ctx.findings.countsByTrace();
  const summaries = traceIds.flatMap((id) => {
    const s = ctx.reader.getTraceSummary(id);
    return s ? [encodeTraceSummary(s, counts.get(id) ?? 0)] : [];
  });
  return withRootObjects(ctx, summaries);
}

function searchTraces(ctx: ApiContext, q: TraceSearch): WirePage<WireTraceSummary> {
  const counts = ctx.findings.countsByTrace();
  if (q.hasFinding === true && counts.size === 0) return { items: [] };
  const page = ctx.reader.searchTraces(q);
  // A filtered page may hold fewer than `limit` traces; the cursor still moves on through the store.
  const items = page.items
    .filter((t) => q.hasFinding === undefined || counts.has(t.traceId) === q.hasFinding)
    .map((t) => encodeTraceSummary(t, counts.get(t.traceId) ?? 0));
  return { items: withRootObjects(ctx, items), nextCursor: page.nextCursor };
}

/**
 * Each summary with the pod its root span ran in and that pod's top workload, when the cluster history links it:
 * one reading of the history for the whole page. Without any history the summaries are left as they are.
 */
function withRootObjects(ctx: ApiContext, summaries: WireTraceSummary[]): WireTraceSummary[] {
  if (summaries.length === 0) return summaries;
  const linked = ctx.cluster.forTraceRoots(summaries.map((t) => t.traceId));
  if (!linked || linked.size === 0) return summaries;
  return summaries.map((t) => {
    const objects = linked.get(t.traceId);
    return objects ? { ...t, objects } : t;
  });
}

function loadTrace(ctx: ApiContext, traceId: string): OpenTrace {
  const spans = ctx.reader.getTraceOutline(traceId);
  if (spans.length === 0) throw new HttpError(404, `no trace ${traceId} in the store`);
  return openTrace(spans, [traceId]);
}

/** Both halves of a split trace as one tree: the consumer (`to`) hangs under its producer (`from`). */
function loadStitched(ctx: ApiContext, stitch: WireStitch): OpenTrace {
  const traceIds = [...new Set([stitch.from.traceId, stitch.to.traceId])];
  const spans = traceIds.flatMap((id) => ctx.reader.getTraceOutline(id));
  const has = (ref: SpanRef) => spans.some((s) => s.traceId === ref.traceId && s.spanId === ref.spanId);
  if (!has(stitch.from) || !has(stitch.to)) throw new HttpError(404, 'a span of this stitch is no longer in the store');
  return openTrace(spans, traceIds, stitch);
}

/** An open view holding the trace (a stitched one will do), else the trace opened alone. */
function openHolding(ctx: ApiContext, traceId: string): OpenTrace {
  return ctx.openTraces.holding(traceId) ?? ctx.openTraces.get(traceId, () => loadTrace(ctx, traceId));
}

function skeleton(ctx: ApiContext, open: OpenTrace): WireTrace {
  const wanted = new Set(open.traceIds);
  const spanFindings: WireSpanFinding[] = [];
  for (const f of ctx.findings.get().findings) {
    for (const o of f.occurrences) {
      if (wanted.has(o.traceId)) spanFindings.push({ spanId: o.spanId, fingerprint: f.fingerprint, kind: f.kind, subkind: f.subkind, severity: f.severity, title: f.title });
    }
  }
  const logs = open.traceIds.flatMap((id) => ctx.reader.logsForTrace(id));
  if (open.traceIds.length > 1) logs.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.id - b.id));
  return traceSkeleton(open, logs, spanFindings);
}
