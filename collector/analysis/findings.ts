// The findings and stitches of the `analyze --format json` contract, and how repeats of one defect
// are merged under a fingerprint.
import { FINDING_KINDS, findingTitle, severityOf, SEVERITIES, type Finding, type KindSpec, type Observation } from '../../common/findings';
import { plural } from '../../common/text';
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

/** Columns the `--format text` report wraps at. */
export const TEXT_WIDTH = 100;

/**
 * The `--format text` report: grouped by severity; per fingerprint its title (with kind/subkind), an example
 * trace, `detail`'s line, and the first time a kind appears, its likely cause — each wrapped at TEXT_WIDTH
 * with continuation lines indented.
 */
export function renderFindingsText<F extends Finding>(findings: readonly F[], detail?: (f: F) => string | undefined): string {
  if (findings.length === 0) return 'No findings.\n';
  const lines: string[] = [];
  const causeShown = new Set<string>();
  for (const severity of SEVERITIES) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    const occurrences = group.reduce((sum, f) => sum + f.count, 0);
    lines.push(`${severity.toUpperCase()} — ${group.length} ${plural(group.length, 'finding')}, ${occurrences} ${plural(occurrences, 'occurrence')}`);
    for (const f of group) {
      lines.push(...wrapText(`${f.title}  [${f.kind}/${f.subkind}]`, '  ', '      '));
      const example = f.occurrences[0];
      if (example) lines.push(...wrapText(`e.g. trace ${example.traceId} span ${example.spanId}`, '    ', '      '));
      const more = detail?.(f);
      if (more) lines.push(...wrapText(more, '    ', '      '));
      const cause = Object.hasOwn(FINDING_KINDS, f.kind) ? (FINDING_KINDS[f.kind] as KindSpec).cause : undefined;
      if (cause && !causeShown.has(f.kind)) {
        causeShown.add(f.kind);
        lines.push(...wrapText(`Likely cause: ${cause}`, '    ', '      '));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `text` in lines of at most `width` columns, broken between words (a longer word gets a line of its own). */
export function wrapText(text: string, indent: string, continuation: string, width = TEXT_WIDTH): string[] {
  const lines: string[] = [];
  let line = indent;
  let empty = true;
  for (const word of text.split(/ +/)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = continuation;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}
