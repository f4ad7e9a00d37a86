// sampling-skew: the probability a service samples with, configured (settings, tracestate `ot=th:` /
// `ot=p:`, or estimated from the trace ids it kept) against what unsampled signals show (log records carry
// the sampled flag of every request; request ids count requests), and services that keep spans whose
// parent's service dropped the parent (partial traces).
import { SpanFlags } from '../model';
import type { RequestIdIndex } from './dual-id';
import type { LogFact, SpanFact } from './facts';
import type { Evidence, Observation } from '../../common/findings';
import { wilson, type TimeRange } from './detector';
import type { TraceSet } from './trace-set';

/** Fewer traces than this say too little about a rate. */
const MIN_TRACES = 30;

/**
 * The probability in an OpenTelemetry tracestate entry: `ot=th:T` (T the rejection threshold, hex,
 * right-padded to 14 digits: p = (2^56 − T) / 2^56) or the older `ot=p:N` (p = 2^−N).
 */
export function probabilityFromTraceState(traceState: string): number | undefined {
  const ot = /(?:^|,)\s*ot=([^,]*)/.exec(traceState)?.[1];
  if (!ot) return undefined;
  for (const field of ot.split(';')) {
    const [key, value] = field.split(':');
    if (key === 'th' && /^[0-9a-f]{1,14}$/.test(value ?? '')) {
      const threshold = BigInt(`0x${value.padEnd(14, '0')}`);
      return Number((1n << 56n) - threshold) / 2 ** 56;
    }
    if (key === 'p' && /^\d+$/.test(value ?? '')) {
      const n = Number(value);
      return n >= 63 ? 0 : 2 ** -n;
    }
  }
  return undefined;
}

export type Sampler = 'go-trace-id-ratio' | 'w3c-randomness' | 'always-on';

/**
 * What the kept root trace ids say about the sampler. Go's TraceIDRatioBased keeps a trace when
 * (low 64 bits >> 1) < p·2^63, so among kept roots u = that / 2^63 is uniform on (0, p); spec samplers keep
 * it when the low 56 bits R ≥ (1 − p)·2^56, so 1 − R/2^56 is uniform on (0, p). The unbiased estimate of
 * such a bound from n draws is max · (n + 1) / n. When neither concentrates, the sampler kept everything.
 */
export function estimateFromTraceIds(traceIds: readonly string[]): { sampler: Sampler; probability: number } | undefined {
  const n = traceIds.length;
  if (n < MIN_TRACES) return undefined;
  let goMax = 0;
  let specMax = 0;
  for (const id of traceIds) {
    const [go, spec] = randomnessOf(id);
    goMax = Math.max(goMax, go);
    specMax = Math.max(specMax, spec);
  }
  const go = Math.min(1, (goMax * (n + 1)) / n);
  const spec = Math.min(1, (specMax * (n + 1)) / n);
  // With p = 1 the largest of n uniform draws falls below 1 − 10/n only with probability e^−10.
  const unconcentrated = 1 - 10 / n;
  if (go < unconcentrated && go <= spec) return { sampler: 'go-trace-id-ratio', probability: go };
  if (spec < unconcentrated) return { sampler: 'w3c-randomness', probability: spec };
  return { sampler: 'always-on', probability: 1 };
}

// The same roots are estimated from in every window: parse each trace id once.
const randomness = new Map<string, [number, number]>();
const RANDOMNESS_CACHE_SIZE = 100_000;

/** u for Go's sampler ((low 64 bits >> 1) / 2^63) and for spec samplers (1 − low 56 bits / 2^56). */
function randomnessOf(traceId: string): [number, number] {
  let found = randomness.get(traceId);
  if (!found) {
    const low = BigInt(`0x${traceId.slice(16)}`);
    found = [Number(low >> 1n) / 2 ** 63, 1 - Number(low & ((1n << 56n) - 1n)) / 2 ** 56];
    if (randomness.size >= RANDOMNESS_CACHE_SIZE) randomness.clear();
    randomness.set(traceId, found);
  }
  return found;
}

interface Configured {
  probability: number;
  from: 'settings' | 'tracestate' | 'trace ids';
  sampler?: Sampler;
}

/** `focus` limits the roots and log records the rates are read from to a stretch of time. */
export function findSamplingSkew(set: TraceSet, requests: RequestIdIndex, focus?: TimeRange): Observation[] {
  const roots = new Map<string, SpanFact[]>();
  for (const f of set.roots) {
    if (f.duplicate || (focus && (f.start < focus.from || f.start >= focus.to))) continue;
    const list = roots.get(f.service);
    if (list) list.push(f);
    else roots.set(f.service, [f]);
  }
  const configured = new Map<string, Configured>();
  for (const service of new Set([...roots.keys(), ...Object.keys(set.options.samplingProbabilities)])) {
    const declared = set.options.samplingProbabilities[service];
    if (declared !== undefined) {
      configured.set(service, { probability: declared, from: 'settings' });
      continue;
    }
    const own = roots.get(service) ?? [];
    const stated = mostCommon(own.map((r) => probabilityFromTraceState(r.traceState)).filter((p): p is number => p !== undefined));
    if (stated !== undefined) configured.set(service, { probability: stated, from: 'tracestate' });
    else {
      const estimate = estimateFromTraceIds(own.map((r) => r.traceId));
      if (estimate) configured.set(service, { probability: estimate.probability, from: 'trace ids', sampler: estimate.sampler });
    }
  }
  const logs = focus ? set.logs.filter((l) => l.time >= focus.from && l.time < focus.to) : set.logs;
  return [...rateMismatches(set, logs, configured, roots, requests), ...disagreements(set, configured)];
}

function mostCommon(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  for (const [v, c] of counts) if (best === undefined || c > counts.get(best)!) best = v;
  return best;
}

function logSampled(log: LogFact): boolean {
  return (log.flags & SpanFlags.SAMPLED) !== 0;
}

/**
 * Per service that starts traces: of the traces its log records name, the share marked sampled; and of
 * the requests it is the first to log (by request id), the share with any sampled trace. Against the
 * configured rate.
 */
function rateMismatches(set: TraceSet, all: readonly LogFact[], configured: Map<string, Configured>, roots: Map<string, SpanFact[]>, requests: RequestIdIndex): Observation[] {
  const found: Observation[] = [];
  const logsBy = new Map<string, LogFact[]>();
  const sampledLogTraces = new Set<string>();
  const firstLogOf = new Map<string, LogFact>();
  for (const l of all) {
    if (l.traceId === '') continue;
    const list = logsBy.get(l.service);
    if (list) list.push(l);
    else logsBy.set(l.service, [l]);
    if (logSampled(l)) sampledLogTraces.add(l.traceId);
    for (const id of l.requestIds) {
      const first = firstLogOf.get(id);
      if (!first || l.time < first.time) firstLogOf.set(id, l);
    }
  }
  const kept = (traceId: string) => set.trace(traceId).length > 0;
  const rootService = (traceId: string) => set.trace(traceId).find((f) => f.parentSpanId === '')?.service;
  for (const [service, config] of configured) {
    const logs = logsBy.get(service) ?? [];
    // Records of traces that were kept yet say "not sampled": this bridge does not set the flag.
    if (logs.some((l) => !logSampled(l) && kept(l.traceId))) continue;
    const byTrace = new Map<string, boolean>();
    for (const l of logs) byTrace.set(l.traceId, (byTrace.get(l.traceId) ?? false) || logSampled(l));
    // The service must start the traces it logs: of those kept, (nearly) all rooted at it, so the unsampled
    // ones, whose root nobody sees, are presumably its own decisions too.
    const keptTraces = [...byTrace.keys()].filter(kept);
    const ownShare = keptTraces.length > 0 ? keptTraces.filter((t) => rootService(t) === service).length / keptTraces.length : 0;
    if (ownShare >= 0.9) {
      const sampled = [...byTrace.values()].filter(Boolean).length;
      const observation = compare(service, config, sampled, byTrace.size, 'traces in log records');
      if (observation) found.push({ ...observation, at: exampleRoot(roots, service) });
    }

    // Requests it saw first: kept when any of their traces was, however many each has.
    let requestCount = 0;
    let keptRequests = 0;
    let traces = 0;
    for (const [id, first] of firstLogOf) {
      if (first.service !== service) continue;
      const ids = [...(requests.traces.get(id) ?? [])];
      requestCount++;
      traces += ids.length;
      if (ids.some((t) => kept(t) || sampledLogTraces.has(t))) keptRequests++;
    }
    if (requestCount === 0) continue;
    const byRequest = compare(service, config, keptRequests, requestCount, 'requests (by request id)', traces / requestCount);
    if (byRequest) found.push({ ...byRequest, at: exampleRoot(roots, service) });
  }
  return found;
}

function exampleRoot(roots: Map<string, SpanFact[]>, service: string): { traceId: string; spanId: string } {
  const r = roots.get(service)?.[0];
  return { traceId: r?.traceId ?? '', spanId: r?.spanId ?? '' };
}

function compare(service: string, config: Configured, kept: number, n: number, counted: string, tracesPerRequest?: number): Omit<Observation, 'at'> | undefined {
  if (n < MIN_TRACES) return undefined;
  const [lo, hi] = wilson(kept, n);
  const p = config.probability;
  if (p >= lo - 1e-9 && p <= hi + 1e-9) return undefined;
  const evidence: Evidence = {
    configured: round(p),
    configuredFrom: config.from,
    observed: round(kept / n),
    interval: [round(lo), round(hi)],
    confidence: 0.999,
    kept,
    of: n,
    counted,
  };
  if (config.sampler) evidence.sampler = config.sampler;
  let hint = `\`${service}\` keeps ${round(kept / n)} of its ${counted}, outside the 99.9% interval around the configured ${round(p)}.`;
  if (tracesPerRequest !== undefined && tracesPerRequest > 1.05) {
    const k = tracesPerRequest;
    const expected = 1 - (1 - p) ** k;
    evidence.tracesPerRequest = round(k);
    evidence.expectedWithIndependentRoots = round(expected);
    if (expected >= lo && expected <= hi) {
      hint += ` Each request has ${round(k)} traces on average, each sampled on its own (dual ids): 1 − (1 − p)^k = ${round(expected)} explains it.`;
    }
  }
  evidence.hint = hint;
  return { kind: 'sampling-skew', subkind: 'rate-mismatch', severity: 'warning', service, operation: counted, evidence };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Traces without a root whose top spans are this service's, under a parent from another process: the
 * caller dropped the request and this service kept it anyway, as TraceIDRatioBased without ParentBased
 * (or differing ratios) does. Confirmed when the caller's log records for those traces say "not sampled",
 * or when the service's kept trace ids show a ratio sampler of its own.
 */
function disagreements(set: TraceSet, configured: Map<string, Configured>): Observation[] {
  const partial = new Map<string, SpanFact[]>();
  for (const traceId of set.rootless) {
    const spans = set.trace(traceId);
    const tops = spans.filter((f) => !set.parentOf(f) && (f.flags & SpanFlags.CONTEXT_IS_REMOTE) !== 0);
    for (const top of tops) {
      const list = partial.get(top.service);
      if (list) list.push(top);
      else partial.set(top.service, [top]);
    }
  }
  const unsampledBy = new Map<string, Set<string>>();
  for (const l of set.logs) {
    if (l.traceId === '' || logSampled(l)) continue;
    let services = unsampledBy.get(l.traceId);
    if (!services) unsampledBy.set(l.traceId, (services = new Set()));
    services.add(l.service);
  }
  const found: Observation[] = [];
  for (const [service, tops] of partial) {
    const callersDropped = tops.filter((t) => [...(unsampledBy.get(t.traceId) ?? [])].some((s) => s !== service)).length;
    const own = estimateFromTraceIds([...new Set(tops.map((t) => t.traceId))]);
    const independent = own !== undefined && own.sampler !== 'always-on';
    if (callersDropped === 0 && !independent) continue;
    const droppedBy = [...new Set(tops.flatMap((t) => [...(unsampledBy.get(t.traceId) ?? [])].filter((s) => s !== service)))];
    for (const top of tops) {
      found.push({
        kind: 'sampling-skew',
        subkind: 'sampler-disagreement',
        severity: 'warning',
        service,
        operation: top.name,
        at: { traceId: top.traceId, spanId: top.spanId },
        evidence: {
          partialTraces: tops.length,
          callerLogsSayUnsampled: callersDropped,
          droppedBy,
          ownSampler: own ? { sampler: own.sampler, probability: round(own.probability) } : null,
          callerProbability: droppedBy.length > 0 && configured.has(droppedBy[0]) ? round(configured.get(droppedBy[0])!.probability) : null,
          hint:
            `\`${service}\` kept spans of requests whose caller dropped them, leaving traces without their top: ` +
            'sample with ParentBased(TraceIDRatioBased(p)) so a service follows its caller’s decision.',
        },
      });
    }
  }
  return found;
}
