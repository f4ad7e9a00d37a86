// The findings and stitches of the `analyze --format json` contract, and how repeats of one defect
// are merged under a fingerprint.
import { createHash } from 'node:crypto';

export type Severity = 'error' | 'warning' | 'info';

const severityOrder: readonly Severity[] = ['error', 'warning', 'info'];

export interface SpanRef {
  traceId: string;
  spanId: string;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Evidence = { [key: string]: JsonValue };

export interface Finding {
  kind: string;
  subkind: string;
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

export interface Stitch {
  kind: string;
  confidence: number;
  /** The producer/client span. */
  from: SpanRef;
  /** The consumer/server span whose context was lost. */
  to: SpanRef;
  signals: string[];
}

/** One occurrence of a defect at one span, as a detector reports it. */
export interface Observation {
  kind: string;
  subkind: string;
  severity: Severity;
  service: string;
  operation: string;
  at: SpanRef;
  evidence: Evidence;
}

export function findingFingerprint(kind: string, subkind: string, service: string, operation: string): string {
  return createHash('sha256').update(JSON.stringify([kind, service, operation, subkind])).digest('hex').slice(0, 16);
}

/**
 * Merges observations into findings by fingerprint. Every observation added is counted; add a trace's
 * observations once. `maxExamples` caps the occurrences kept per finding (the live store keeps a few,
 * `analyze` keeps all).
 */
export class FindingAggregator {
  private readonly byFingerprint = new Map<string, Finding>();

  constructor(private readonly maxExamples = Infinity) {}

  add(observations: Iterable<Observation>): void {
    for (const o of observations) {
      const fingerprint = findingFingerprint(o.kind, o.subkind, o.service, o.operation);
      let finding = this.byFingerprint.get(fingerprint);
      if (!finding) {
        finding = {
          kind: o.kind,
          subkind: o.subkind,
          severity: o.severity,
          service: o.service,
          operation: o.operation,
          title: '',
          fingerprint,
          count: 0,
          occurrences: [],
          evidence: o.evidence,
        };
        this.byFingerprint.set(fingerprint, finding);
      }
      finding.count++;
      if (finding.occurrences.length < this.maxExamples) finding.occurrences.push(o.at);
    }
  }

  /** Most severe first, then most frequent; titles carry the current count. */
  findings(): Finding[] {
    const all = [...this.byFingerprint.values()].map((f) => ({ ...f, occurrences: [...f.occurrences], title: findingTitle(f) }));
    return all.sort(
      (a, b) =>
        severityOrder.indexOf(a.severity) - severityOrder.indexOf(b.severity) ||
        b.count - a.count ||
        compareText(a.kind, b.kind) ||
        compareText(a.subkind, b.subkind) ||
        compareText(a.service, b.service) ||
        compareText(a.operation, b.operation),
    );
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sentence a person understands, e.g. "12 spans of `db` (`SELECT`) have a parent that never arrived". */
export function findingTitle(f: Pick<Finding, 'kind' | 'subkind' | 'service' | 'operation' | 'count' | 'evidence'>): string {
  const one = f.count === 1;
  const who = `${f.count} ${one ? 'span' : 'spans'} of \`${f.service}\` (\`${f.operation}\`)`;
  const verb = (singular: string, plural: string) => (one ? singular : plural);
  switch (`${f.kind}/${f.subkind}`) {
    case 'broken-parent/missing-parent':
      return `${who} ${verb('has a parent', 'have parents')} that never arrived`;
    case 'broken-parent/cross-trace-parent':
      return `${who} ${verb('has its parent', 'have their parents')} in another trace`;
    case 'broken-parent/self-parent':
      return `${who} ${verb('names itself as its', 'name themselves as their')} own parent`;
    case 'broken-parent/cycle':
      return `${who} ${verb('is', 'are')} on a parent cycle`;
    case 'broken-parent/duplicate-span-id':
      return `${who} ${verb('reuses a span id', 'reuse span ids')} already taken in the same trace`;
    case 'multiple-roots/second-root':
      return `${who} ${verb('starts a second root', 'start second roots')} in a trace that already has one`;
    case 'clock-skew/client-server':
    case 'clock-skew/producer-consumer': {
      const e = f.evidence;
      return (
        `${who} ${verb('does', 'do')} not fit inside ${verb('its caller', 'their callers')} on another host: ` +
        `the clock of ${e.childHost} looks ${formatMs(Math.abs(Number(e.skewMs)))} ${Number(e.skewMs) < 0 ? 'behind' : 'ahead of'} ` +
        `that of ${e.parentHost} (\`${e.parentService}\`)`
      );
    }
    case 'async-hop/in-process':
      return `${who} started a new trace in a worker: the context was lost when the work was handed over in-process`;
    case 'async-hop/messaging':
      return `${who} consumed ${verb('a message', 'messages')} without the producer's context and started a new trace`;
    case 'async-hop/cross-process':
      return `${who} started a new trace for work handed over by another process`;
    case 'rpc-hop/server-root':
      return `${who} started a new trace for a call that came from a traced client: the propagators disagree or a proxy dropped the context`;
    case 'dual-id/request-split':
      return `${who} started a new trace for a request that already had one (one request id, several traces)`;
    case 'dual-id/request-merge':
      return `${who} minted a new request id inside a trace that already had one (one trace, several request ids)`;
    case 'sampling-skew/rate-mismatch': {
      const e = f.evidence;
      return `\`${f.service}\` keeps ${e.observed} of its ${e.counted}; ${e.configuredFrom === 'settings' ? 'configured' : `configured (from ${e.configuredFrom})`}: ${e.configured}`;
    }
    case 'sampling-skew/sampler-disagreement':
      return `${who} ${verb('was', 'were')} kept where the caller dropped the request: partial traces`;
    case 'log-context-lost/no-trace-context':
      return `${f.count} log ${one ? 'record' : 'records'} of \`${f.service}\` (logger \`${f.operation}\`) had no trace context while a span was active`;
    case 'log-context-lost/missing-trace':
      return `${f.count} log ${one ? 'record' : 'records'} of \`${f.service}\` (logger \`${f.operation}\`) name a sampled trace none of whose spans arrived`;
    case 'log-context-lost/unsampled-trace':
      return `${f.evidence.records} log records of \`${f.service}\` (logger \`${f.operation}\`) belong to unsampled traces: expected with sampling`;
    default:
      return `${who}: ${f.kind}/${f.subkind}`;
  }
}

/** Nanoseconds as milliseconds to the microsecond, for evidence a person reads. */
export function nsToMs(ns: number): number {
  return Math.round(ns / 1e3) / 1e3;
}

function formatMs(ms: number): string {
  return ms >= 10 ? `${Math.round(ms)} ms` : `${Number(ms.toPrecision(2))} ms`;
}

/** The `--format text` report: grouped by severity, one line per fingerprint with an example trace. */
export function renderFindingsText(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'No findings.\n';
  const lines: string[] = [];
  for (const severity of severityOrder) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    const occurrences = group.reduce((sum, f) => sum + f.count, 0);
    lines.push(`${severity.toUpperCase()} — ${group.length} ${group.length === 1 ? 'finding' : 'findings'}, ${occurrences} ${occurrences === 1 ? 'occurrence' : 'occurrences'}`);
    for (const f of group) {
      const example = f.occurrences[0];
      const where = example ? `  e.g. trace ${example.traceId} span ${example.spanId}` : '';
      lines.push(`  ${f.title}  [${f.kind}/${f.subkind}]${where}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
