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

/** Adds a span to a state in place: one state per trace per commit, not one per span. */
export function addSpan(state: TraceState, row: SpanRow): void {
  if (row.startNs < state.startNs) state.startNs = row.startNs;
  if (row.endNs > state.endNs) state.endNs = row.endNs;
  state.spanCount++;
  if (row.statusCode === StatusCode.ERROR) state.errorCount++;
  const hasParent = row.parentSpanId !== '';
  if (rootOrder(hasParent, row.startNs, row.spanId, state) < 0) {
    state.rootSpanId = row.spanId;
    state.rootHasParent = hasParent;
    state.rootStartNs = row.startNs;
    state.rootService = row.resource.service;
    state.rootOperation = row.name;
  }
  if (!state.services.includes(row.resource.service)) state.services = unionSorted(state.services, [row.resource.service]);
}

export function mergeStates(a: TraceState, b: TraceState): TraceState {
  const root = rootOrder(a.rootHasParent, a.rootStartNs, a.rootSpanId, b) <= 0 ? a : b;
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

/** Orders a root candidate against a state's root. */
function rootOrder(hasParent: boolean, startNs: bigint, spanId: string, b: TraceState): number {
  if (hasParent !== b.rootHasParent) return hasParent ? 1 : -1;
  if (startNs !== b.rootStartNs) return startNs < b.rootStartNs ? -1 : 1;
  return spanId < b.rootSpanId ? -1 : spanId > b.rootSpanId ? 1 : 0;
}

function unionSorted(a: string[], b: string[]): string[] {
  if (b.every((s) => a.includes(s))) return a;
  return [...new Set([...a, ...b])].sort();
}
