// The findings and stitches of the `analyze --format json` contract, and how repeats of one defect
// are merged under a fingerprint.
import { findingTitle, severityOf, SEVERITIES, type Finding, type Observation } from '../../common/findings';
import { findingFingerprint } from '../fingerprint';

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
          severity: severityOf(o),
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
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
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

/** Nanoseconds as milliseconds to the microsecond, for evidence a person reads. */
export function nsToMs(ns: number): number {
  return Math.round(ns / 1e3) / 1e3;
}

/** The `--format text` report: grouped by severity, one line per fingerprint with an example trace. */
export function renderFindingsText<F extends Finding>(findings: readonly F[], detail?: (f: F) => string | undefined): string {
  if (findings.length === 0) return 'No findings.\n';
  const lines: string[] = [];
  for (const severity of SEVERITIES) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    const occurrences = group.reduce((sum, f) => sum + f.count, 0);
    lines.push(`${severity.toUpperCase()} — ${group.length} ${group.length === 1 ? 'finding' : 'findings'}, ${occurrences} ${occurrences === 1 ? 'occurrence' : 'occurrences'}`);
    for (const f of group) {
      const example = f.occurrences[0];
      const where = example ? `  e.g. trace ${example.traceId} span ${example.spanId}` : '';
      lines.push(`  ${f.title}  [${f.kind}/${f.subkind}]${where}`);
      const more = detail?.(f);
      if (more) lines.push(`    ${more}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
