import { routes } from '../../../common/routes';
import { isStitchKind } from '../../../common/findings';
import { isTraceId, spanKey, type SpanRef, type WireFindings, type WirePage, type WireSpanFinding, type WireStitch, type WireTrace, type WireTraceHop, type WireTraceSummary } from '../../../common/wire';
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
  const counts = findingCounts(ctx);
  const summaries = traceIds.flatMap((id) => {
    const s = ctx.reader.getTraceSummary(id);
    return s ? [encodeTraceSummary(s, counts.get(id) ?? 0)] : [];
  });
  return withRootObjects(ctx, summaries);
}

function searchTraces(ctx: ApiContext, q: TraceSearch): WirePage<WireTraceSummary> {
  const counts = findingCounts(ctx);
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
  const found = ctx.findings.get();
  const spanFindings: WireSpanFinding[] = [];
  for (const f of found.findings) {
    for (const o of f.occurrences) {
      if (wanted.has(o.traceId)) spanFindings.push({ spanId: o.spanId, fingerprint: f.fingerprint, kind: f.kind, subkind: f.subkind, severity: f.severity, title: f.title });
    }
  }
  const logs = open.traceIds.flatMap((id) => ctx.reader.logsForTrace(id));
  if (open.traceIds.length > 1) logs.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : a.id - b.id));
  const hops = lostHops(found).filter((h) => wanted.has(h.from.traceId) || wanted.has(h.to.traceId));
  const trace = traceSkeleton(open, logs, spanFindings);
  return hops.length > 0 ? { ...trace, hops } : trace;
}

const hopsOf = new WeakMap<WireFindings, WireTraceHop[]>();

/**
 * The stitches a finding reported (its occurrence is the consumer end), each with that finding: a lost hop. Read
 * once per findings snapshot. A stitch below the claim confidence has no finding and is left out.
 */
function lostHops(found: WireFindings): WireTraceHop[] {
  let hops = hopsOf.get(found);
  if (hops) return hops;
  const byConsumer = new Map<string, WireTraceHop['finding']>();
  for (const f of found.findings) {
    if (!isStitchKind(f.kind)) continue;
    const finding = { fingerprint: f.fingerprint, kind: f.kind, subkind: f.subkind, severity: f.severity, title: f.title, service: f.service, operation: f.operation };
    for (const o of f.occurrences) if (!byConsumer.has(spanKey(o))) byConsumer.set(spanKey(o), finding);
  }
  hops = found.stitches.flatMap((s) => {
    const finding = byConsumer.get(spanKey(s.to));
    return finding?.kind === s.kind ? [{ ...s, finding }] : [];
  });
  hopsOf.set(found, hops);
  return hops;
}

/**
 * Findings per trace for the list's badges and its has-finding filter: the occurrences in it, and each lost hop
 * whose producer is in it (the finding's occurrence is the consumer, in another trace), so both ends are flagged.
 */
function findingCounts(ctx: ApiContext): Map<string, number> {
  const counts = ctx.findings.countsByTrace();
  let withHops = countsWithHops.get(counts);
  if (withHops) return withHops;
  withHops = new Map(counts);
  for (const h of lostHops(ctx.findings.get())) {
    if (h.from.traceId !== h.to.traceId) withHops.set(h.from.traceId, (withHops.get(h.from.traceId) ?? 0) + 1);
  }
  countsWithHops.set(counts, withHops);
  return withHops;
}

const countsWithHops = new WeakMap<Map<string, number>, Map<string, number>>();
