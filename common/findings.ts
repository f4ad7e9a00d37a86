// Finding kinds, declared once: what each means, what usually causes it in a Go service, and how a finding
// of each subkind is titled. Detectors may emit only what is declared here, and a kind cannot be declared
// without its help and titles, so a new detector is explained wherever findings are shown.
import { plural } from './text';

export type Severity = 'error' | 'warning' | 'info';

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export interface SpanRef {
  traceId: string;
  spanId: string;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Evidence = { [key: string]: JsonValue };

/** What a title is made from: the finding's key, its count, and the first occurrence's evidence. */
export interface TitleInput {
  service: string;
  operation: string;
  count: number;
  evidence: Evidence;
}

export interface SubkindSpec {
  /** The severity a finding of this subkind has unless its detector says otherwise. */
  severity: Severity;
  /** A sentence a person understands, e.g. "12 spans of `db` (`SELECT`) have a parent that never arrived". */
  title(f: TitleInput): string;
}

export interface KindSpec {
  /** A few words for headings and filters. */
  label: string;
  /** One paragraph: what the finding means. */
  help: string;
  /** The usual cause in a Go service. */
  cause: string;
  subkinds: Record<string, SubkindSpec>;
}

/** "12 spans of `db` (`SELECT`)" */
function spansOf(f: TitleInput): string {
  return `${f.count} ${plural(f.count, 'span')} of \`${f.service}\` (\`${f.operation}\`)`;
}

/** "12 calls of `gateway` (`GET /orders`)" */
function callsOf(f: TitleInput): string {
  return `${f.count} ${plural(f.count, 'call')} of \`${f.service}\` (\`${f.operation}\`)`;
}

/** "3 log records of `api` (logger `http`)" */
function recordsOf(f: TitleInput): string {
  return `${f.count} ${plural(f.count, 'log record')} of \`${f.service}\` (logger \`${f.operation}\`)`;
}

const one = (f: TitleInput, singular: string, plural: string) => (f.count === 1 ? singular : plural);

function formatMs(ms: number): string {
  return ms >= 10 ? `${Math.round(ms)} ms` : `${Number(ms.toPrecision(2))} ms`;
}

function skewTitle(f: TitleInput): string {
  const e = f.evidence;
  const skewMs = Number(e.skewMs);
  return (
    `${spansOf(f)} ${one(f, 'does', 'do')} not fit inside ${one(f, 'its caller', 'their callers')} on another host: ` +
    `the clock of ${e.childHost} looks ${formatMs(Math.abs(skewMs))} ${skewMs < 0 ? 'behind' : 'ahead of'} ` +
    `that of ${e.parentHost} (\`${e.parentService}\`)`
  );
}

export const FINDING_KINDS = {
  'broken-parent': {
    label: 'Broken parent',
    help: "A span's parent is not in its trace once the trace has settled: it never arrived, it is in another trace, the span names itself, the parents form a cycle, or two spans share one id. The waterfall cannot place such spans, and every duration above them is wrong.",
    cause: 'An exporter dropped a batch (queue full, process killed before flush), or a span was started from the context of another request.',
    // A missing parent leaves the tree incomplete but what arrived is right, and parents are legitimately late
    // or unsampled: a warning. A duplicate id makes parent lookups ambiguous, yet a re-sent export batch causes
    // it too: a warning. A parent in another trace means context was mixed across requests, and self-parents
    // and cycles cannot come from any correct SDK: the trace is wrong, not just incomplete, so errors.
    subkinds: {
      'missing-parent': { severity: 'warning', title: (f) => `${spansOf(f)} ${one(f, 'has a parent', 'have parents')} that never arrived` },
      'cross-trace-parent': { severity: 'error', title: (f) => `${spansOf(f)} ${one(f, 'has its parent', 'have their parents')} in another trace` },
      'self-parent': { severity: 'error', title: (f) => `${spansOf(f)} ${one(f, 'names itself as its', 'name themselves as their')} own parent` },
      cycle: { severity: 'error', title: (f) => `${spansOf(f)} ${one(f, 'is', 'are')} on a parent cycle` },
      'duplicate-span-id': { severity: 'warning', title: (f) => `${spansOf(f)} ${one(f, 'reuses a span id', 'reuse span ids')} already taken in the same trace` },
    },
  },
  'multiple-roots': {
    label: 'Multiple roots',
    help: 'One trace id has several roots: separate requests were recorded under one trace, so the trace mixes their spans and timings.',
    cause: 'The trace id was reused or regenerated in the middle of a request (a hand-made SpanContext, an id taken from a header that is not unique).',
    subkinds: {
      'second-root': { severity: 'warning', title: (f) => `${f.count} extra ${plural(f.count, 'root')} in traces whose first root is \`${f.service}\` (\`${f.operation}\`)` },
    },
  },
  'clock-skew': {
    label: 'Clock skew',
    help: 'A child on another host starts before or ends after its synchronous parent by more than the tolerance (the half-latency model of Jaeger and Zipkin). Hopscope marks the span and shows the estimated offset; it never moves stored timestamps.',
    cause: "The hosts' clocks disagree (NTP not running or not yet synchronised), or a server ends its span long after the response has left.",
    subkinds: {
      'client-server': { severity: 'warning', title: skewTitle },
      'producer-consumer': { severity: 'warning', title: skewTitle },
    },
  },
  'async-hop': {
    label: 'Async hop',
    help: "A new root on the consumer side of a goroutine, worker pool or queue hop, matched to the producer span it came from. The pair is a stitch: Hopscope shows the two traces as one request, with the signals and confidence of the match.",
    cause: '`go work(context.Background())`, a job struct that carries no ctx, or a queue consumer that does not extract the message headers.',
    subkinds: {
      'in-process': { severity: 'warning', title: (f) => `${spansOf(f)} started a new trace in a worker: the context was lost when the work was handed over in-process` },
      messaging: { severity: 'warning', title: (f) => `${spansOf(f)} consumed ${one(f, 'a message', 'messages')} without the producer's context and started a new trace` },
      'cross-process': { severity: 'warning', title: (f) => `${spansOf(f)} started a new trace for work handed over by another process` },
    },
  },
  'rpc-hop': {
    label: 'RPC hop',
    help: 'A CLIENT span with no SERVER child, and a SERVER root in the callee that matches it by destination and timing: the call crossed the wire but its context did not.',
    cause: 'Propagator mismatch (B3 or OpenTracing against W3C `traceparent`), a client not instrumented with otelhttp/otelgrpc, or a proxy that strips `traceparent`.',
    subkinds: {
      'server-root': {
        severity: 'warning',
        title: (f) => `${spansOf(f)} started a new trace for a call that came from a traced client: the propagators disagree or a proxy dropped the context`,
      },
    },
  },
  'dual-id': {
    label: 'Dual ids',
    help: 'Request ids and trace ids are not one-to-one: one request appears under several traces (so it is sampled twice and its spans are split), or one trace holds several requests.',
    cause: 'Middleware that starts a new trace, or mints a new request id, instead of continuing the one it was given.',
    subkinds: {
      'request-split': { severity: 'warning', title: (f) => `${spansOf(f)} started a new trace for a request that already had one (one request id, several traces)` },
      'request-merge': { severity: 'warning', title: (f) => `${spansOf(f)} minted a new request id inside a trace that already had one (one trace, several request ids)` },
    },
  },
  'sampling-skew': {
    label: 'Sampling skew',
    help: 'Observed sampling differs from what was configured beyond a binomial confidence interval, or children were kept where their parents were dropped, which leaves partial traces.',
    cause: 'TraceIDRatioBased without ParentBased, two trace ids per request, or a sampling rate declared in one place and configured in another.',
    subkinds: {
      'rate-mismatch': {
        severity: 'warning',
        title: (f) => {
          const e = f.evidence;
          const configured = e.configuredFrom === 'settings' ? 'configured' : `configured (from ${e.configuredFrom})`;
          return `\`${f.service}\` keeps ${e.observed} of its ${e.counted}; ${configured}: ${e.configured}`;
        },
      },
      'sampler-disagreement': { severity: 'warning', title: (f) => `${spansOf(f)} ${one(f, 'was', 'were')} kept where the caller dropped the request: partial traces` },
    },
  },
  'log-context-lost': {
    label: 'Log context lost',
    help: 'Logs without trace context from an instance while one of its spans was active, or logs that name a trace none of whose spans arrived. Such logs cannot be found from the trace they belong to.',
    cause: 'A zap or slog logger not given ctx inside a goroutine, or logs exported while the matching spans were dropped.',
    subkinds: {
      'no-trace-context': { severity: 'warning', title: (f) => `${recordsOf(f)} had no trace context while a span was active` },
      'missing-trace': { severity: 'warning', title: (f) => `${recordsOf(f)} name a sampled trace none of whose spans arrived` },
    },
  },
  'served-while-terminating': {
    label: 'Served while terminating',
    help: 'A SERVER span started on a pod after its deletion had begun (its deletionTimestamp): traffic still reached a pod that was shutting down. Endpoint removal takes from under a second to tens of seconds to reach kube-proxy, ingresses and client-side balancers; a pod that stops accepting before then makes those requests fail with connection resets or 502/503 at the caller. Requests that still succeeded are a near miss.',
    cause: 'No preStop hook (or one shorter than endpoint propagation) before `http.Server.Shutdown`, SIGTERM handled by exiting at once, or a terminationGracePeriodSeconds too short for the drain.',
    subkinds: {
      failed: {
        severity: 'error',
        title: (f) => `${spansOf(f)} started on pod ${f.evidence.pod} after it began terminating, and failed`,
      },
      'near-miss': {
        severity: 'warning',
        title: (f) => `${spansOf(f)} started on pod ${f.evidence.pod} after it began terminating (they still succeeded: a near miss)`,
      },
    },
  },
  'restart-during-trace': {
    label: 'Restart during trace',
    help: 'A container restarted while a request was in flight on it: the caller’s CLIENT span failed and no SERVER span ever arrived from the pod, and the container’s termination (lastState.terminated: reason, exit code, finishedAt) falls inside the call. The trace looks like a plain network error; the cluster shows the process died under it.',
    cause: 'An OOMKill (a memory limit below the working set, an unbounded cache or body read) or a panic: a config unmarshal error, a nil map write or a panic in a goroutine without recover takes the whole Go process down with every request in it.',
    subkinds: {
      'oom-killed': {
        severity: 'error',
        title: (f) => `${callsOf(f)} to pod ${f.evidence.pod} ${one(f, 'was', 'were')} in flight when container ${f.evidence.container} was OOMKilled`,
      },
      crashed: {
        severity: 'error',
        title: (f) => `${callsOf(f)} to pod ${f.evidence.pod} ${one(f, 'was', 'were')} in flight when container ${f.evidence.container} exited (${f.evidence.reason}, exit code ${f.evidence.exitCode})`,
      },
    },
  },
  'ready-but-failing': {
    label: 'Ready but failing',
    help: 'A pod stayed Ready (and so kept receiving traffic from its Service) while most of its SERVER spans failed, when its siblings in the same workload did not: judged by a binomial test of its error rate against theirs. Its readiness probe proves the process is alive, not that it can serve.',
    cause: 'A readiness probe that does not touch what requests need: a `/healthz` that returns 200 without checking the database pool, a lease keepalive, a probe on another port; or a pod-local fault (a poisoned connection pool, a bad disk, a node problem) the probe cannot see.',
    subkinds: {
      failing: {
        severity: 'error',
        title: (f) => `Pod ${f.evidence.pod} of \`${f.service}\` stayed Ready while ${f.evidence.podErrorRate} of its requests failed (siblings: ${f.evidence.siblingErrorRate})`,
      },
    },
  },
  'stale-peer-address': {
    label: 'Stale peer address',
    help: 'CLIENT spans called an IP address (network.peer.address, or server.address when it is an IP) that at the time belonged to a pod already deleted or not ready, or to no pod at all, seconds after the target Service’s endpoints had moved on: the client kept a resolved address or a connection longer than the endpoints lived.',
    cause: 'Client-side address caches that outlive endpoints: Go keep-alive connections held by a pool, gRPC’s DNS resolver (which re-resolves only on failure) behind a headless Service, a resolver cache with a long TTL, or a client-side balancer that is not watching the endpoints.',
    subkinds: {
      'deleted-pod': {
        severity: 'warning',
        title: (f) => `${callsOf(f)} went to ${f.evidence.address}, pod ${f.evidence.pod} that was being deleted, after its endpoints had moved on`,
      },
      'not-ready-pod': {
        severity: 'warning',
        title: (f) => `${callsOf(f)} went to ${f.evidence.address}, pod ${f.evidence.pod} that was not ready, after its endpoints had moved on`,
      },
      'no-pod': {
        severity: 'error',
        title: (f) => `${callsOf(f)} went to ${f.evidence.address}, which no pod held any more (last: ${f.evidence.pod})`,
      },
    },
  },
} as const satisfies Record<string, KindSpec>;

export type FindingKind = keyof typeof FINDING_KINDS;
/** Subkinds of kind K (of any kind by default). */
export type FindingSubkind<K extends FindingKind = FindingKind> = { [P in K]: keyof (typeof FINDING_KINDS)[P]['subkinds'] & string }[K];

/** What a finding is of. Both must be declared above; that the subkind is the kind's own, `subkindSpec` checks. */
export interface FindingKey {
  kind: FindingKind;
  subkind: FindingSubkind;
}

export const FINDING_KIND_NAMES = Object.keys(FINDING_KINDS) as FindingKind[];

/** The subkind's declaration; undefined for a kind or subkind this build does not know (e.g. from a newer database). */
export function subkindSpec(kind: string, subkind: string): SubkindSpec | undefined {
  if (!Object.hasOwn(FINDING_KINDS, kind)) return undefined;
  const spec: KindSpec = FINDING_KINDS[kind as FindingKind];
  return Object.hasOwn(spec.subkinds, subkind) ? spec.subkinds[subkind] : undefined;
}

/** The pair as a FindingKey when this build declares it (rows read back from a database are plain strings). */
export function asFindingKey(kind: string, subkind: string): FindingKey | undefined {
  return subkindSpec(kind, subkind) ? ({ kind, subkind } as FindingKey) : undefined;
}

export function isStitchKind(kind: string): kind is StitchKind {
  return kind === 'async-hop' || kind === 'rpc-hop';
}

export interface Finding extends FindingKey {
  severity: Severity;
  service: string;
  operation: string;
  title: string;
  /** kind + service + operation + subkind, hashed: the same defect gets the same fingerprint in every run. */
  fingerprint: string;
  /** Every occurrence seen, even when `occurrences` keeps only examples. */
  count: number;
  occurrences: SpanRef[];
  /** What a person can check, taken from the first occurrence. */
  evidence: Evidence;
}

/** One occurrence of a defect at one span, as a detector reports it. */
export interface Observation extends FindingKey {
  /** Defaults to the subkind's severity. */
  severity?: Severity;
  service: string;
  operation: string;
  at: SpanRef;
  evidence: Evidence;
}

export type StitchKind = Extract<FindingKind, 'async-hop' | 'rpc-hop'>;

export interface Stitch {
  kind: StitchKind;
  confidence: number;
  /** The producer/client span. */
  from: SpanRef;
  /** The consumer/server span whose context was lost. */
  to: SpanRef;
  signals: string[];
}

/** The title of a finding; a kind this build does not know still gets a plain one. */
export function findingTitle(f: TitleInput & { kind: string; subkind: string }): string {
  const spec = subkindSpec(f.kind, f.subkind);
  return spec ? spec.title(f) : `${spansOf(f)}: ${f.kind}/${f.subkind}`;
}

/** The observation's severity, its subkind's by default. A subkind of another kind is a detector's bug: it throws. */
export function severityOf(o: Pick<Observation, 'kind' | 'subkind' | 'severity'>): Severity {
  const spec = subkindSpec(o.kind, o.subkind);
  if (!spec) throw new Error(`finding subkind '${o.subkind}' is not declared under kind '${o.kind}' in common/findings.ts`);
  return o.severity ?? spec.severity;
}
