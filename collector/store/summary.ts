// A trace's summary as a commutative merge of its spans, so any arrival order (child before root,
// root in a later batch, a batch sent twice) ends at the same root, start, end and services.
import { StatusCode } from '../model';
import { SpanAt } from './encode';

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

/** The state of one span: the one at `o` in a batch's flat span values, of this service. */
export function spanState(values: readonly unknown[], o: number, service: string): TraceState {
  const startNs = values[o + SpanAt.startNs] as bigint;
  return {
    startNs,
    endNs: values[o + SpanAt.endNs] as bigint,
    spanCount: 1,
    errorCount: values[o + SpanAt.statusCode] === StatusCode.ERROR ? 1 : 0,
    rootSpanId: values[o + SpanAt.spanId] as string,
    rootHasParent: values[o + SpanAt.parentSpanId] !== '',
    rootStartNs: startNs,
    rootService: service,
    rootOperation: values[o + SpanAt.name] as string,
    services: [service],
  };
}

/** Adds a span (as for spanState) to a state in place: one state per trace per commit, not one per span. */
export function addSpan(state: TraceState, values: readonly unknown[], o: number, service: string): void {
  const startNs = values[o + SpanAt.startNs] as bigint;
  const endNs = values[o + SpanAt.endNs] as bigint;
  const spanId = values[o + SpanAt.spanId] as string;
  if (startNs < state.startNs) state.startNs = startNs;
  if (endNs > state.endNs) state.endNs = endNs;
  state.spanCount++;
  if (values[o + SpanAt.statusCode] === StatusCode.ERROR) state.errorCount++;
  const hasParent = values[o + SpanAt.parentSpanId] !== '';
  if (rootOrder(hasParent, startNs, spanId, state) < 0) {
    state.rootSpanId = spanId;
    state.rootHasParent = hasParent;
    state.rootStartNs = startNs;
    state.rootService = service;
    state.rootOperation = values[o + SpanAt.name] as string;
  }
  if (!state.services.includes(service)) state.services = unionSorted(state.services, [service]);
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
