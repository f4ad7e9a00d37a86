// clock-skew: a synchronous child on another host that starts before or ends after its parent, measured
// with the half-latency model of Jaeger's clock-skew adjuster and Zipkin's clock-skew.js. Stored
// timestamps are never changed; `clockSkewAdjustments` gives the UI an adjusted view.
import type { AnyValue, Resource, Span } from '../model';
import { SpanKind, serviceName } from '../model';
import type { AssembledTrace } from './assemble';
import type { Observation } from '../../common/findings';
import { nsToMs } from './findings';

/**
 * NTP keeps hosts within a few ms, and servers often end their span a ms or two after the response has
 * left (the OpenTelemetry demo's frontend does): a child sticking out by less is noise, not a clock.
 */
export const DEFAULT_CLOCK_SKEW_TOLERANCE_NS = 5_000_000;

export interface ClockSkewOptions {
  /** How far a child may stick out of its parent before it is reported. */
  toleranceNs?: number;
}

/** Which host a span's clock belongs to: host.id, then host.ip, then host.name, then service.instance.id. */
export function hostOf(resource: Resource): { key: string; label: string } | undefined {
  for (const attribute of ['host.id', 'host.ip', 'host.name', 'service.instance.id']) {
    const value = hostValue(resource.attributes[attribute]);
    if (value === undefined) continue;
    const name = hostValue(resource.attributes['host.name']);
    return { key: `${attribute}=${value}`, label: name ?? value };
  }
  return undefined;
}

function hostValue(v: AnyValue | undefined): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  // host.ip is a list of addresses; a host is the same host whatever order they were listed in.
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return [...(v as string[])].sort().join(',');
  return undefined;
}

interface SkewedPair {
  row: number;
  parentRow: number;
  subkind: 'client-server' | 'producer-consumer';
  model: 'half-latency' | 'start-order';
  /** ns to add to the child's timestamps to put it on its parent's clock. */
  correctionNs: number;
  startsEarlyNs: number;
  endsLateNs: number;
}

/** Per row, the ns to add to its timestamps for a view corrected for the skew that is reported. */
export function clockSkewAdjustments(trace: AssembledTrace, options: ClockSkewOptions = {}): Float64Array {
  const skewed = skewedPairs(trace, options.toleranceNs ?? DEFAULT_CLOCK_SKEW_TOLERANCE_NS);
  const correction = new Float64Array(trace.spans.length);
  for (const pair of skewed) correction[pair.row] = pair.correctionNs;
  // Tree order puts parents first: a subtree moves with its root, plus whatever it is itself off by.
  const adjustment = new Float64Array(trace.spans.length);
  for (let r = 0; r < adjustment.length; r++) {
    const p = trace.parent[r];
    adjustment[r] = (p < 0 ? 0 : adjustment[p]) + correction[r];
  }
  return adjustment;
}

/** The rows `findClockSkew` reports, for the waterfall to mark. */
export function clockSkewRows(trace: AssembledTrace, options: ClockSkewOptions = {}): number[] {
  return skewedPairs(trace, options.toleranceNs ?? DEFAULT_CLOCK_SKEW_TOLERANCE_NS).map((pair) => pair.row);
}

/**
 * A warning: the structure of the trace is right, but its timeline lies (children before parents), which
 * misleads anyone reading latency from it. One occurrence per child span that sticks out.
 */
export function findClockSkew(trace: AssembledTrace, options: ClockSkewOptions = {}): Observation[] {
  const skewed = skewedPairs(trace, options.toleranceNs ?? DEFAULT_CLOCK_SKEW_TOLERANCE_NS);
  return skewed.map(({ row, parentRow, subkind, model, correctionNs, startsEarlyNs, endsLateNs }) => {
    const span = trace.spans[row];
    const parent = trace.spans[parentRow];
    return {
      kind: 'clock-skew',
      subkind,
      severity: 'warning',
      service: serviceName(span.resource),
      operation: span.name,
      at: { traceId: span.traceId, spanId: span.spanId },
      evidence: {
        parentSpanId: parent.spanId,
        parentService: serviceName(parent.resource),
        parentOperation: parent.name,
        parentHost: hostOf(parent.resource)?.label ?? 'an unknown host',
        childHost: hostOf(span.resource)?.label ?? 'an unknown host',
        // How far the child's clock runs ahead of (positive) or behind (negative) its parent's.
        skewMs: nsToMs(-correctionNs),
        startsBeforeParentMs: nsToMs(Math.max(0, startsEarlyNs)),
        endsAfterParentMs: nsToMs(Math.max(0, endsLateNs)),
        model,
      },
    };
  });
}

/**
 * Synchronous parent/child pairs on two hosts whose recorded times cannot both be right: the child
 * sticks out of its parent by more than the tolerance. Each pair is judged on its own two clocks, so a
 * finding always names the two hosts that disagree, and one skewed host in a chain is reported once
 * per hop that touches it.
 */
function skewedPairs(trace: AssembledTrace, toleranceNs: number): SkewedPair[] {
  const { spans, parent, start, end } = trace;
  const skewed: SkewedPair[] = [];
  const hosts = new Map<Resource, string | undefined>();
  const hostKey = (r: number) => {
    const resource = spans[r].resource;
    if (!hosts.has(resource)) hosts.set(resource, hostOf(resource)?.key);
    return hosts.get(resource);
  };

  for (let r = 0; r < spans.length; r++) {
    const p = parent[r];
    if (p < 0) continue;
    const subkind = synchronousPair(spans[p], spans[r]);
    if (subkind === undefined) continue;
    const childHost = hostKey(r);
    const parentHost = hostKey(p);
    const sameClock =
      childHost !== undefined && parentHost !== undefined ? childHost === parentHost : serviceName(spans[r].resource) === serviceName(spans[p].resource);
    if (sameClock) continue;
    const [ps, pe, cs, ce] = [start[p], end[p], start[r], end[r]];
    // A child no longer than its parent should fit inside it, unless it is an asynchronous consumer
    // (one that does not overlap its producer), which may start any time after it, only never before.
    // A zero duration means "not recorded" (a one-way message): then only the order of starts is known.
    const childFits = ce - cs <= pe - ps && ce > cs && pe > ps;
    const halfLatency = subkind === 'producer-consumer' ? childFits && cs < pe && ce > ps : childFits;
    const startsEarlyNs = ps - cs;
    const endsLateNs = ce - pe;
    if ((halfLatency ? Math.max(startsEarlyNs, endsLateNs) : startsEarlyNs) <= toleranceNs) continue;
    skewed.push({
      row: r,
      parentRow: p,
      subkind,
      model: halfLatency ? 'half-latency' : 'start-order',
      correctionNs: halfLatency ? centred(ps, pe, cs, ce) : startsEarlyNs,
      startsEarlyNs,
      endsLateNs,
    });
  }
  return skewed;
}

function synchronousPair(parent: Span, child: Span): SkewedPair['subkind'] | undefined {
  if (parent.kind === SpanKind.CLIENT && child.kind === SpanKind.SERVER) return 'client-server';
  if (parent.kind === SpanKind.PRODUCER && child.kind === SpanKind.CONSUMER) return 'producer-consumer';
  return undefined;
}

/**
 * The half-latency model of Jaeger's calculateSkew and Zipkin's getClockSkew: network latency is taken
 * to split evenly between request and response, so the child belongs in the middle of its parent.
 */
function centred(ps: number, pe: number, cs: number, ce: number): number {
  return ps + (pe - ps - (ce - cs)) / 2 - cs;
}
