import type { ObjectLink } from '../common/cluster';
import type { Finding, Severity, SpanRef, Stitch } from '../common/findings';
import { plural } from '../common/text';
import { analyzeAll, renderFindingsText } from './analysis';
import { wrapText } from './analysis/findings';
import type { ClusterCoverage } from './analysis/cluster-coverage';
import { ClusterHistory, objectsForOccurrences, placeOf } from './analysis/cluster-links';
import { ClusterAccess, ClusterError, listOnce, loadKubeconfig, loginShellPath } from './cluster';
import type { LogRecord, Span } from './model';
import type { Store } from './store/types';

export type { Severity };

/** The `cluster` section of `analyze --cluster`: which cluster was read, and what could not be. */
export interface ClusterSection {
  context: string;
  server: string;
  /** The API server's gitVersion, when it answered. */
  version?: string;
  unreadable: { resource: string; namespace: string; reason: string }[];
  /** What the cluster detectors could not judge, and why (spans older than the history, calls naming no peer IP…). */
  notes?: string[];
}

export interface AnalysisReport {
  summary: { spans: number; logs: number; traces: number; services: number };
  findings: (Finding & { objects?: ObjectLink[] })[];
  stitches: Stitch[];
  cluster?: ClusterSection;
}

/**
 * The `hopscope analyze` document (DESIGN.md, Contracts) for everything the store holds, every occurrence listed;
 * with the cluster's history, the cluster detectors run too.
 */
export function analyzeStore(store: Store, cluster?: ClusterHistory, clusterCoverage?: ClusterCoverage): AnalysisReport {
  const stats = store.reader.stats();
  const { findings, stitches } = analyzeAll(allTraces(store), allLogs(store), undefined, { cluster, clusterCoverage });
  return {
    summary: { spans: stats.spans, logs: stats.logs, traces: stats.traces, services: stats.services },
    findings,
    stitches,
  };
}

/** Which cluster `--cluster` reads: a kubeconfig file (else KUBECONFIG, ~/.kube/config, in-cluster), a context, namespaces. */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  namespaces?: string[];
}

/**
 * Lists every watched kind once and records it in the store's cluster history. Cluster trouble (no kubeconfig,
 * an unreachable server, RBAC) never fails the analysis: it is what the section's `unreadable` says.
 */
export async function readClusterOnce(store: Store, flags: ClusterFlags): Promise<ClusterSection> {
  let access: ClusterAccess;
  try {
    access = new ClusterAccess(loadKubeconfig({ kubeconfig: flags.kubeconfig }), { context: flags.context, loginShellPath: await loginShellPath() });
  } catch (err) {
    return { context: flags.context ?? '', server: '', unreadable: [{ resource: '*', namespace: '', reason: clusterMessage(err) }] };
  }
  const section: ClusterSection = { context: access.context, server: access.server, unreadable: [] };
  try {
    section.version = (await access.getJson<{ gitVersion?: string }>('/version')).gitVersion;
  } catch (err) {
    // Nothing else would answer either; what the store already recorded of this cluster still links.
    section.unreadable.push({ resource: '*', namespace: '', reason: access.describe(err).message });
    return section;
  }
  const snapshot = await listOnce(access, { namespaces: flags.namespaces });
  await store.recordClusterChanges(access.server, snapshot.changes);
  section.unreadable.push(...snapshot.unreadable);
  return section;
}

function clusterMessage(err: unknown): string {
  return err instanceof ClusterError ? err.message : `cannot read the kubeconfig: ${(err as Error).message}`;
}

/**
 * Adds to each finding the Kubernetes objects behind its occurrences, judged against the cluster's history as
 * recorded in the store at each span's time, and the `cluster` section.
 */
export function linkReportToCluster(report: AnalysisReport, store: Store, section: ClusterSection, history: ClusterHistory): AnalysisReport {
  const place = (ref: SpanRef) => {
    const span = store.reader.spanPlace(ref.traceId, ref.spanId);
    return span && placeOf(span);
  };
  return {
    ...report,
    findings: report.findings.map((f) => ({ ...f, objects: history.size > 0 ? objectsForOccurrences(history, f.occurrences, place, f.evidence) : [] })),
    cluster: section,
  };
}

function* allTraces(store: Store): Generator<Span[]> {
  let cursor: string | undefined;
  do {
    const page = store.reader.searchTraces({ limit: 1000, cursor });
    for (const summary of page.items) yield store.reader.getTrace(summary.traceId);
    cursor = page.nextCursor;
  } while (cursor);
}

function* allLogs(store: Store): Generator<LogRecord> {
  let cursor: string | undefined;
  do {
    const page = store.reader.searchLogs({ limit: 1000, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

export function renderAnalysisText(report: AnalysisReport): string {
  const s = report.summary;
  const head = `${count(s.spans, 'span')}, ${count(s.logs, 'log record')}, ${count(s.traces, 'trace')}, ${count(s.services, 'service')}\n`;
  const c = report.cluster;
  const cluster = c
    ? [
        `Cluster: context ${c.context || '(none)'}${c.server ? `, ${c.server}` : ''}${c.version ? ` (${c.version})` : ''}${c.unreadable.length ? `; ${c.unreadable.length} unreadable (see --format json)` : ''}`,
        ...(c.notes ?? []).flatMap((n) => wrapText(`not judged: ${n}`, '  ', '    ')),
      ].join('\n') + '\n'
    : '';
  const n = report.stitches.length;
  const stitched = n ? `${count(n, 'stitch', 'stitches')} joining traces split at async or RPC hops (see --format json).\n` : '';
  return head + cluster + (report.findings.length ? renderFindingsText(report.findings, objectsLine) : 'No findings.\n') + stitched;
}

/** "1 trace", "2 traces". */
function count(n: number, one: string, many?: string): string {
  return `${n} ${plural(n, one, many)}`;
}

/** The pods and workloads behind a finding, in a line: `on Pod shop/api-7c9f-x1 (Running, gone), Deployment shop/api`. */
function objectsLine(f: AnalysisReport['findings'][number]): string | undefined {
  const shown = (f.objects ?? []).filter((o) => o.kind === 'Pod' || o.linkedBy.startsWith('owner of'));
  if (shown.length === 0) return undefined;
  return `on ${shown.map((o) => `${o.kind} ${o.namespace}/${o.name}${o.kind === 'Pod' ? ` (${[o.status.phase, o.gone ? 'gone' : ''].filter(Boolean).join(', ')})` : ''}`).join(', ')}`;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function failOnMatches(report: AnalysisReport, threshold: Severity): boolean {
  return report.findings.some((f) => RANK[f.severity] >= RANK[threshold]);
}
