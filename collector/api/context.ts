import type { TelemetryBatch } from '../model';
import type { RetentionReport, StoreReader } from '../store/types';
import type { RetentionLimits } from '../../common/retention';
import type { Finding, Stitch } from '../../common/findings';
import type { WireClusterWatch, WireFindings, WireImportResult, WireInfo, WireIngestStats, WireKubeconfig, WireRetention, WireAnalysisBacklog } from '../../common/wire';
import type { ClusterLinks } from './cluster';
import type { EventHub } from './events';
import type { OpenTraces } from './traceView';
import type { WorkloadsReader } from './workloads';

export interface ImportProgressSnapshot {
  bytesRead: number;
  totalBytes: number;
  spans: number;
  logs: number;
}

/** Imports a file on this machine into the store, reporting progress as it reads. */
export type ImportFile = (path: string, onProgress: (p: ImportProgressSnapshot) => void) => Promise<WireImportResult>;

/** Findings and stitches from the analysis, pulled when asked; `onChange` lets the UI hear of new ones. */
export interface AnalysisSource {
  findings(): { findings: Finding[]; stitches: Stitch[] };
  onChange?(listener: () => void): () => void;
  /** Traces due for analysis and the pace (live analysis), and those set aside; absent where nothing analyzes as data arrives. */
  progress?(): { due: number; perSecond: number; setAside?: number };
}

/** The OTLP receivers' counts of refused requests (stats), and when they change. */
export interface ReceiverStatsSource {
  stats(): WireIngestStats;
  onChange(listener: () => void): () => void;
}

/**
 * The live cluster connection: what is watched, the kubeconfig's contexts, connecting and disconnecting. `connect`
 * throws a ClusterError, and changes nothing, when the kubeconfig cannot be read or lacks the context.
 */
export interface ClusterControl {
  status(): WireClusterWatch;
  kubeconfig(): WireKubeconfig;
  connect(choice: { context: string; namespaces: string[] }): Promise<unknown>;
  disconnect(): Promise<unknown>;
  /** Grows with every batch of changes recorded. */
  revision(): number;
}

/** What every handler works with; one per running server. */
export interface ApiContext {
  reader: StoreReader;
  cluster: ClusterLinks;
  /** Absent when this run cannot connect to a cluster (only recorded history is shown). */
  clusterControl?: ClusterControl;
  workloads: WorkloadsReader;
  findings: FindingsCache;
  openTraces: OpenTraces;
  /** The open UIs' event streams: live traces, stats, findings and import progress. */
  hub: EventHub;
  /** Where "send a test trace" delivers its batch (the same path receivers use). */
  ingest: (batch: TelemetryBatch) => Promise<void>;
  /** Absent when this run cannot import files. */
  importFile?: ImportFile;
  maxImportBytes: number;
  receivers: WireInfo['receivers'];
  /** Absent when no receivers run with this server. */
  receiverStats?: ReceiverStatsSource;
  /** The store's latest retention report (read from the writer after commits, at most every RETENTION_REFRESH_MS). */
  retention?: WireRetention;
  /** Changes the retention limits (and keeps them for the next start); absent when this run cannot. */
  setRetention?: (limits: RetentionLimits) => Promise<RetentionReport>;
  /** The analysis backlog when it is large enough to show, read on the same timer. */
  analysisBacklog?: WireAnalysisBacklog;
  /** Traces set aside as too large to analyze live, when there are any (same timer). */
  analysisSetAside?: number;
}

/** Findings are costly to compute; keep them until the analysis says they changed. */
export class FindingsCache {
  private snapshot: { findings: WireFindings; counts: Map<string, number> } | undefined;

  constructor(
    private readonly source: AnalysisSource | undefined,
    private readonly cluster: ClusterLinks,
  ) {}

  get(): WireFindings {
    return this.current().findings;
  }

  /** Occurrences per trace id, for the badges and the has-finding filter. */
  countsByTrace(): Map<string, number> {
    return this.current().counts;
  }

  invalidate(): void {
    this.snapshot = undefined;
  }

  private current(): { findings: WireFindings; counts: Map<string, number> } {
    if (this.snapshot && this.source?.onChange) return this.snapshot;
    const found = this.source?.findings() ?? { findings: [], stitches: [] };
    const findings: WireFindings = { ...found, findings: found.findings.map((f) => ({ ...f, objects: this.cluster.forOccurrences(f.occurrences, f.evidence) })) };
    const counts = new Map<string, number>();
    for (const f of findings.findings) for (const o of f.occurrences) counts.set(o.traceId, (counts.get(o.traceId) ?? 0) + 1);
    return (this.snapshot = { findings, counts });
  }
}
