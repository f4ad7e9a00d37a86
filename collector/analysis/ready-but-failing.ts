// ready-but-failing: a pod that stayed Ready (so its Service kept sending it traffic) while most of its SERVER
// spans failed, when its siblings in the same workload did not. Judged per pod by a one-sided binomial test of
// its failures against the rate of its siblings; cross-trace: it is fed every trace's SERVER spans, and
// evaluated over what it holds (all of it for `analyze`, a recent window for `serve`).
import type { Evidence, JsonValue, Observation, SpanRef } from '../../common/findings';
import { SpanKind } from '../../common/telemetry';
import { serviceName, type Span } from '../model';
import { placeOf, type ClusterHistory } from './cluster-links';
import { failureOf } from './span-outcome';

/** Fewer spans than this on the pod or on its siblings, and nothing is claimed. */
export const MIN_SPANS = 20;
/** The pod must fail more than this share of its requests ("most"). */
const MIN_POD_RATE = 0.5;
/** ... at least this many times its siblings' rate ... */
const MIN_RATIO = 2;
/** ... and be this unlikely at the siblings' rate. */
const MAX_P_VALUE = 1e-4;
/** Failing spans kept per pod and bucket (counts are always complete). */
const MAX_REFS = 10_000;

interface Failing {
  ref: SpanRef;
  service: string;
  operation: string;
  ms: number;
}

interface PodTally {
  uid: string;
  /** `Kind/name` of the top controller (uid-keyed in `workloads`). */
  workload: string;
  spans: number;
  failed: number;
  failing: Failing[];
  firstMs: number;
  lastMs: number;
}

interface Bucket {
  /** Pod uid → what its SERVER spans did while it was Ready. */
  pods: Map<string, PodTally>;
}

/** What a ReadyButFailing tallied, as plain data (Maps): one thread tallies a batch, another merges it. */
export interface ReadyTally {
  buckets: Map<number, Bucket>;
  workloadOf: Map<string, string>;
}

/** SERVER spans per pod, in time buckets, so `serve` can hold a recent window and forget the rest. */
export class ReadyButFailing {
  private readonly buckets = new Map<number, Bucket>();
  /** workload uid → pod uids seen in it. */
  private readonly workloads = new Map<string, Set<string>>();
  private readonly workloadOf = new Map<string, string>();
  /** Pod uid → the window that first reported it (evaluate with `reportFromMs`). */
  private readonly firstReported = new Map<string, number>();

  /** `bucketMs` Infinity keeps one bucket (analyze). */
  constructor(private readonly bucketMs = Infinity) {}

  /** Takes SERVER spans (others are passed over): each is tied to its pod and counted if the pod was Ready at the span's start. */
  add(spans: Iterable<Span>, history: ClusterHistory): { unlinked: number } {
    let unlinked = 0;
    for (const span of spans) {
      if (span.kind !== SpanKind.SERVER) continue;
      const place = placeOf(span);
      const link = history.linkResource(place.attributes, place.ms, place.peers);
      if (!link) {
        unlinked++;
        continue;
      }
      const pod = history.stateAt<'Pod'>(link.pod.uid, place.ms);
      if (pod?.conditions.Ready?.status !== 'True') continue;
      const owner = history.topOwner(link.pod.uid, place.ms);
      if (!owner) continue;
      const key = Number.isFinite(this.bucketMs) ? Math.floor(place.ms / this.bucketMs) : 0;
      let bucket = this.buckets.get(key);
      if (!bucket) this.buckets.set(key, (bucket = { pods: new Map() }));
      let tally = bucket.pods.get(link.pod.uid);
      if (!tally) bucket.pods.set(link.pod.uid, (tally = { uid: link.pod.uid, workload: `${owner.kind}/${owner.name}`, spans: 0, failed: 0, failing: [], firstMs: place.ms, lastMs: place.ms }));
      this.join(link.pod.uid, owner.uid);
      tally.spans++;
      tally.firstMs = Math.min(tally.firstMs, place.ms);
      tally.lastMs = Math.max(tally.lastMs, place.ms);
      if (failureOf(span)) {
        tally.failed++;
        if (tally.failing.length < MAX_REFS) tally.failing.push({ ref: { traceId: span.traceId, spanId: span.spanId }, service: serviceName(span.resource), operation: span.name, ms: place.ms });
      }
    }
    return { unlinked };
  }

  /** What was tallied (for `merge` elsewhere). */
  tally(): ReadyTally {
    return { buckets: this.buckets, workloadOf: this.workloadOf };
  }

  /** Adds what another instance (with the same buckets) tallied. */
  merge(other: ReadyTally): void {
    for (const [key, bucket] of other.buckets) {
      const mine = this.buckets.get(key);
      if (!mine) {
        this.buckets.set(key, bucket);
        continue;
      }
      for (const [uid, t] of bucket.pods) {
        const tally = mine.pods.get(uid);
        if (!tally) {
          mine.pods.set(uid, t);
          continue;
        }
        tally.spans += t.spans;
        tally.failed += t.failed;
        for (const f of t.failing) if (tally.failing.length < MAX_REFS) tally.failing.push(f);
        tally.firstMs = Math.min(tally.firstMs, t.firstMs);
        tally.lastMs = Math.max(tally.lastMs, t.lastMs);
      }
    }
    for (const [uid, workload] of other.workloadOf) this.join(uid, workload);
  }

  /**
   * Pods failing far more than their siblings over the buckets in [fromMs, toMs), reported at their failing
   * spans in [reportFromMs, toMs) (all by default; see `reportFrom`).
   */
  evaluate(history: ClusterHistory, range: { fromMs: number; toMs: number; reportFromMs?: number } = { fromMs: -Infinity, toMs: Infinity }): Observation[] {
    const totals = new Map<string, PodTally>();
    for (const [key, bucket] of this.buckets) {
      const start = key * this.bucketMs;
      if (Number.isFinite(this.bucketMs) && (start + this.bucketMs <= range.fromMs || start >= range.toMs)) continue;
      for (const t of bucket.pods.values()) {
        const total = totals.get(t.uid);
        if (!total) totals.set(t.uid, { ...t, failing: [...t.failing] });
        else {
          total.spans += t.spans;
          total.failed += t.failed;
          total.failing.push(...t.failing);
          total.firstMs = Math.min(total.firstMs, t.firstMs);
          total.lastMs = Math.max(total.lastMs, t.lastMs);
        }
      }
    }
    const found: Observation[] = [];
    for (const [workloadUid, podUids] of this.workloads) {
      const tallies = [...podUids].flatMap((uid) => totals.get(uid) ?? []);
      const spans = tallies.reduce((n, t) => n + t.spans, 0);
      const failed = tallies.reduce((n, t) => n + t.failed, 0);
      for (const t of tallies) {
        const siblings = { spans: spans - t.spans, failed: failed - t.failed, pods: tallies.length - 1 };
        if (t.spans < MIN_SPANS || siblings.spans < MIN_SPANS || t.failed / t.spans <= MIN_POD_RATE) continue;
        // Laplace's rule, so siblings that never failed still give a rate above 0.
        const q = (siblings.failed + 1) / (siblings.spans + 2);
        if (t.failed / t.spans < MIN_RATIO * q) continue;
        const p = binomialUpperTail(t.failed, t.spans, q);
        if (p >= MAX_P_VALUE) continue;
        found.push(...this.report(history, t, siblings, p, workloadUid, this.reportFrom(t.uid, range), range.toMs));
      }
    }
    return found;
  }

  /**
   * Where a window's report about a pod starts: at the window, except in the first window that finds the pod
   * failing (and when that window is evaluated again), which also takes the failing spans before it that were
   * not yet enough to judge.
   */
  private reportFrom(podUid: string, range: { fromMs: number; reportFromMs?: number }): number {
    if (range.reportFromMs === undefined) return range.fromMs;
    const first = this.firstReported.get(podUid);
    if (first !== undefined && first !== range.reportFromMs) return range.reportFromMs;
    this.firstReported.set(podUid, range.reportFromMs);
    return range.fromMs;
  }

  /** The pods it holds spans of. */
  pods(): string[] {
    return [...this.workloadOf.keys()];
  }

  private join(pod: string, workload: string): void {
    let pods = this.workloads.get(workload);
    if (!pods) this.workloads.set(workload, (pods = new Set()));
    pods.add(pod);
    this.workloadOf.set(pod, workload);
  }

  /** Drops the buckets that end before `ms`. */
  forgetBefore(ms: number): void {
    if (!Number.isFinite(this.bucketMs)) return;
    for (const key of this.buckets.keys()) if ((key + 1) * this.bucketMs <= ms) this.buckets.delete(key);
    const live = new Set<string>();
    for (const bucket of this.buckets.values()) for (const uid of bucket.pods.keys()) live.add(uid);
    for (const [uid, workload] of this.workloadOf) {
      if (live.has(uid)) continue;
      this.workloadOf.delete(uid);
      this.firstReported.delete(uid);
      const pods = this.workloads.get(workload);
      pods?.delete(uid);
      if (pods?.size === 0) this.workloads.delete(workload);
    }
  }

  private report(history: ClusterHistory, t: PodTally, siblings: { spans: number; failed: number; pods: number }, p: number, workloadUid: string, fromMs: number, toMs: number): Observation[] {
    const pod = history.object(t.uid)!;
    const state = history.stateAt<'Pod'>(t.uid, t.lastMs);
    const unhealthy = history.eventsAbout(t.uid, t.firstMs - 60_000, t.lastMs + 60_000).filter((e) => e.reason === 'Unhealthy');
    const evidence: Evidence = {
      pod: pod.name,
      podUid: pod.uid,
      namespace: pod.namespace,
      workload: t.workload,
      workloadUid,
      podErrorRate: rate(t.failed, t.spans),
      siblingErrorRate: `${rate(siblings.failed, siblings.spans)} over ${siblings.pods} ${siblings.pods === 1 ? 'pod' : 'pods'}`,
      pValue: Number(p.toPrecision(3)),
      from: new Date(t.firstMs).toISOString(),
      to: new Date(t.lastMs).toISOString(),
      readinessProbe: probes(state?.readinessProbes),
      unhealthyEvents: unhealthy.length ? unhealthy.map((e) => `${e.reason} (×${e.count}): ${e.message}`) : 'none recorded: the probe kept passing',
    };
    return t.failing
      .filter((f) => f.ms >= fromMs && f.ms < toMs)
      .map((f) => ({ kind: 'ready-but-failing', subkind: 'failing', service: f.service, operation: f.operation, at: f.ref, evidence }));
  }
}

function rate(failed: number, spans: number): string {
  const percent = (100 * failed) / spans;
  return `${percent >= 10 ? Math.round(percent) : Number(percent.toPrecision(2))} % (${failed} of ${spans})`;
}

function probes(byContainer: Record<string, string> | undefined): JsonValue {
  const entries = Object.entries(byContainer ?? {});
  return entries.length === 0 ? 'none: the pod is Ready as soon as its containers run' : entries.map(([c, probe]) => `${c}: ${probe}`);
}

/** P(X ≥ k) for X ~ Binomial(n, q), summed in log space from k upwards until the terms stop mattering. */
export function binomialUpperTail(k: number, n: number, q: number): number {
  if (k <= 0) return 1;
  if (q <= 0) return 0;
  if (q >= 1) return 1;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const term = Math.exp(logChoose(n, i) + i * lq + (n - i) * l1q);
    sum += term;
    if (term < sum * 1e-15 && i > n * q) break;
  }
  return Math.min(1, sum);
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const LOG_FACTORIALS = [0];

/** ln(n!): exact sums up to 1,000 (cached), Stirling's series beyond. */
function logFactorial(n: number): number {
  if (n < 1000) {
    for (let i = LOG_FACTORIALS.length; i <= n; i++) LOG_FACTORIALS[i] = LOG_FACTORIALS[i - 1] + Math.log(i);
    return LOG_FACTORIALS[n];
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}
