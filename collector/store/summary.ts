// A trace's summary as a commutative merge of its spans, so any arrival order (child before root,
// root in a later batch, a batch sent twice) ends at the same root, start, end and services.
import { StatusCode } from '../model';
import type { SpanRow } from './encode';

export interface TraceState {
  startNs: bigint;
  endNs: bigint;
  spanCount: number;
  errorCount: number;
  /** The root is the span with the smallest (hasParent, startNs, spanId): a parentless span, else the earliest. */
  rootSpanId: string;
  rootHasParent: boolean;
  rootStartNs: bigint;
  rootService: string;
  rootOperation: string;
  /** Sorted. */
  services: string[];
}

export function spanState(row: SpanRow): TraceState {
  return {
    startNs: row.startNs,
    endNs: row.endNs,
    spanCount: 1,
    errorCount: row.statusCode === StatusCode.ERROR ? 1 : 0,
    rootSpanId: row.spanId,
    rootHasParent: row.parentSpanId !== '',
    rootStartNs: row.startNs,
    rootService: row.resource.service,
    rootOperation: row.name,
    services: [row.resource.service],
  };
}

export function mergeStates(a: TraceState, b: TraceState): TraceState {
  const root = rootOrder(a, b) <= 0 ? a : b;
  return {
    startNs: a.startNs < b.startNs ? a.startNs : b.startNs,
    endNs: a.endNs > b.endNs ? a.endNs : b.endNs,
    spanCount: a.spanCount + b.spanCount,
    errorCount: a.errorCount + b.errorCount,
    rootSpanId: root.rootSpanId,
    rootHasParent: root.rootHasParent,
    rootStartNs: root.rootStartNs,
    rootService: root.rootService,
    rootOperation: root.rootOperation,
    services: unionSorted(a.services, b.services),
  };
}

function rootOrder(a: TraceState, b: TraceState): number {
  if (a.rootHasParent !== b.rootHasParent) return a.rootHasParent ? 1 : -1;
  if (a.rootStartNs !== b.rootStartNs) return a.rootStartNs < b.rootStartNs ? -1 : 1;
  return a.rootSpanId < b.rootSpanId ? -1 : a.rootSpanId > b.rootSpanId ? 1 : 0;
}

function unionSorted(a: string[], b: string[]): string[] {
  if (b.every((s) => a.includes(s))) return a;
  return [...new Set([...a, ...b])].sort();
}
