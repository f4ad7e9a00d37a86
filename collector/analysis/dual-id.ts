// dual-id: request ids (x-request-id and the like, from spans and logs) against trace ids. One request
// under several traces is a `request-split` (some hop started a new trace); one trace carrying several
// requests is a `request-merge` (some hop minted a new request id). Request ids are stitching evidence too.
import type { TraceRequestIds } from './detector';
import type { LogFact, SpanFact } from './facts';
import type { Observation, Stitch } from '../../common/findings';
import { nsToMs } from './findings';
import type { TraceSet } from './trace-set';

interface Carrier {
  span?: SpanFact;
  log?: LogFact;
  time: number;
}

export interface RequestIdIndex {
  /** Request ids per trace id. */
  ofTrace: TraceRequestIds;
  /** Trace ids per request id. */
  traces: Map<string, Set<string>>;
}

export function indexRequestIds(set: TraceSet): RequestIdIndex {
  const byTrace = new Map<string, Set<string>>();
  const traces = new Map<string, Set<string>>();
  const note = (traceId: string, ids: readonly string[]) => {
    if (traceId === '' || ids.length === 0) return;
    let own = byTrace.get(traceId);
    if (!own) byTrace.set(traceId, (own = new Set()));
    for (const id of ids) {
      own.add(id);
      let where = traces.get(id);
      if (!where) traces.set(id, (where = new Set()));
      where.add(traceId);
    }
  };
  for (const f of set.spansWithRequestIds) note(f.traceId, f.requestIds);
  for (const l of set.logsWithRequestIds) note(l.traceId, l.requestIds);
  return { ofTrace: (traceId) => byTrace.get(traceId), traces };
}

/** `stitches` (claimed ones) say which trace a split-off trace came from, whatever the clocks say. */
export function findDualIds(set: TraceSet, index: RequestIdIndex, stitches: readonly Stitch[]): Observation[] {
  const logs = logsByTrace(set);
  return [...findSplits(set, logs, index, stitches), ...findMerges(set, logs, index)];
}

type LogsByTrace = Map<string, LogFact[]>;

function carriersOf(set: TraceSet, logs: LogsByTrace, traceId: string, requestId: string): Carrier[] {
  const found: Carrier[] = [];
  for (const f of set.trace(traceId)) if (f.requestIds.includes(requestId)) found.push({ span: f, time: f.start });
  for (const l of logs.get(traceId) ?? []) if (l.requestIds.includes(requestId)) found.push({ log: l, time: l.time });
  return found.sort((a, b) => a.time - b.time);
}

/** Parent chains longer than this are cycles. */
const MAX_DEPTH = 10_000;

function logsByTrace(set: TraceSet): LogsByTrace {
  const byTrace: LogsByTrace = new Map();
  for (const l of set.logsWithRequestIds) {
    if (l.traceId === '') continue;
    const list = byTrace.get(l.traceId);
    if (list) list.push(l);
    else byTrace.set(l.traceId, [l]);
  }
  return byTrace;
}

/** The earliest root of a trace, else its earliest span. */
function entryOf(set: TraceSet, traceId: string): SpanFact | undefined {
  let best: SpanFact | undefined;
  for (const f of set.trace(traceId)) {
    const better = !best || (f.parentSpanId === '') > (best.parentSpanId === '') || ((f.parentSpanId === '') === (best.parentSpanId === '') && f.start < best.start);
    if (better) best = f;
  }
  return best;
}

function findSplits(set: TraceSet, logs: LogsByTrace, index: RequestIdIndex, stitches: readonly Stitch[]): Observation[] {
  const upstream = new Map<string, Set<string>>();
  for (const s of stitches) {
    if (s.from.traceId === s.to.traceId) continue;
    let from = upstream.get(s.to.traceId);
    if (!from) upstream.set(s.to.traceId, (from = new Set()));
    from.add(s.from.traceId);
  }
  const found: Observation[] = [];
  for (const [requestId, traceIds] of index.traces) {
    if (traceIds.size < 2) continue;
    // The first trace is one no other trace of the request was stitched into; among several, the earliest.
    const downstream = (traceId: string) => [...(upstream.get(traceId) ?? [])].some((t) => traceIds.has(t));
    const traces = [...traceIds]
      .map((traceId) => ({ traceId, entry: entryOf(set, traceId), first: carriersOf(set, logs, traceId, requestId)[0], downstream: downstream(traceId) }))
      .map((t) => ({ ...t, start: t.entry?.start ?? t.first?.time ?? 0 }))
      .sort((a, b) => Number(a.downstream) - Number(b.downstream) || a.start - b.start);
    const [origin, ...later] = traces;
    for (const t of later) {
      const entry = t.entry;
      const at = entry ?? t.first?.span;
      const log = t.first?.log;
      const service = at?.service ?? log?.service ?? 'unknown_service';
      const operation = at?.name ?? (log ? `log: ${log.logger}` : '');
      // the same entry point again, after the first finished: a client retrying with its request id
      const retry =
        entry !== undefined && origin.entry !== undefined && entry.service === origin.entry.service && entry.name === origin.entry.name && entry.start >= origin.entry.end;
      found.push({
        kind: 'dual-id',
        subkind: 'request-split',
        severity: retry ? 'info' : 'warning',
        service,
        operation,
        at: { traceId: t.traceId, spanId: at?.spanId ?? log?.spanId ?? '' },
        evidence: {
          requestId,
          traceIds: traces.map((x) => x.traceId),
          stitchedFrom: [...(upstream.get(t.traceId) ?? [])].filter((x) => traceIds.has(x)),
          firstTrace: { traceId: origin.traceId, service: origin.entry?.service ?? null, operation: origin.entry?.name ?? null },
          newTraceStartsAt: { service, operation, afterFirstMs: nsToMs(t.start - origin.start) },
          hint: retry
            ? 'The same entry point handled this request id again after the first attempt ended: most likely a client retry.'
            : `\`${service}\` started a new trace for a request that already had one: the trace context did not reach it (or it ignored it).`,
        },
      });
    }
  }
  return found;
}

function findMerges(set: TraceSet, logs: LogsByTrace, index: RequestIdIndex): Observation[] {
  const found: Observation[] = [];
  const byTrace = new Map<string, Set<string>>();
  for (const [requestId, traceIds] of index.traces) {
    for (const traceId of traceIds) {
      let ids = byTrace.get(traceId);
      if (!ids) byTrace.set(traceId, (ids = new Set()));
      ids.add(requestId);
    }
  }
  for (const [traceId, ids] of byTrace) {
    if (ids.size < 2) continue;
    const reported = new Set<string>();
    const carriers = [...ids].flatMap((id) => carriersOf(set, logs, traceId, id).map((c) => ({ id, ...c })));
    for (const carrier of carriers.sort((a, b) => a.time - b.time)) {
      if (reported.has(carrier.id)) continue;
      const from = carrier.span ?? (carrier.log ? set.span(traceId, carrier.log.spanId) : undefined);
      if (!from) continue;
      // walk up to the nearest ancestor that names a request: a different id there means this hop minted one
      let fanIn = from.links.length > 0;
      let above: SpanFact | undefined;
      let steps = 0;
      for (let p = carrier.span ? set.parentOf(from) : from; p && steps < MAX_DEPTH; p = set.parentOf(p), steps++) {
        if (p.requestIds.length > 0) {
          above = p;
          break;
        }
        if (p.links.length > 0) fanIn = true;
      }
      if (!above || fanIn || above.requestIds.includes(carrier.id)) continue;
      reported.add(carrier.id);
      const service = carrier.log?.service ?? from.service;
      found.push({
        kind: 'dual-id',
        subkind: 'request-merge',
        severity: 'warning',
        service,
        operation: carrier.span ? from.name : `log: ${carrier.log!.logger}`,
        at: { traceId, spanId: from.spanId },
        evidence: {
          requestId: carrier.id,
          requestIdAbove: above.requestIds[0],
          above: { spanId: above.spanId, service: above.service, operation: above.name },
          requestIdsInTrace: [...ids],
          hint: `\`${service}\` minted a new request id instead of keeping the one it was called with: make the middleware reuse an incoming x-request-id.`,
        },
      });
    }
  }
  return found;
}
