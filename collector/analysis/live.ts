// The cross-trace detectors in `hopscope serve`: over a sliding window of recent spans and logs, fed as
// batches are committed, evaluated now and then. Pure and in memory: the caller feeds it and stores what
// it returns (merged into findings by fingerprint). Each occurrence and stitch is returned once, when it
// has settled; service-level statistics (sampling rates) come back every time, to replace the last.
import type { LogRecord, Span } from '../model';
import type { CrossTraceResult } from './cross-trace';
import { analyzeCrossTrace } from './cross-trace';
import type { Observation, Stitch } from './findings';
import { findingFingerprint } from './findings';
import type { CrossTraceOptions } from './options';
import { resolveOptions } from './options';
import { TraceSet } from './trace-set';

export interface LiveOptions extends CrossTraceOptions {
  /** How much recent data the detectors look across; default 5 minutes. */
  windowNs?: number;
  /**
   * How long after it starts a span is judged: its partners (a consumer, a server span, the logs) may
   * still be on their way until then. Default 15 s.
   */
  settleNs?: number;
}

export interface LiveUpdate {
  /** Occurrences not returned before, of settled spans. */
  observations: Observation[];
  /** Stitches not returned before, to settled spans. */
  stitches: Stitch[];
  /** Findings about a service as a whole (sampling rates) as they stand over the window now. */
  current: Observation[];
}

/** Findings that describe a service over the whole window rather than one span. */
const SERVICE_LEVEL = new Set(['sampling-skew/rate-mismatch', 'log-context-lost/unsampled-trace']);

export class LiveCrossTrace {
  private set: TraceSet | undefined;
  private readonly options: ReturnType<typeof resolveOptions>;
  private readonly windowNs: number;
  private readonly settleNs: number;
  /** Keys returned so far, with the time of the span they are about, to forget them as the window moves on. */
  private readonly returned = new Map<string, number>();

  constructor(options: LiveOptions = {}) {
    this.options = resolveOptions(options);
    this.windowNs = options.windowNs ?? 300e9;
    this.settleNs = options.settleNs ?? 15e9;
  }

  /** Takes a committed batch: cheap (facts are extracted, nothing is matched). */
  add(batch: { spans: readonly Span[]; logs: readonly LogRecord[] }): void {
    if (!this.set) {
      const first = batch.spans[0]?.startNs ?? batch.logs[0]?.timeNs;
      if (first === undefined) return;
      this.set = new TraceSet(first, this.options);
    }
    this.set.addSpans(batch.spans);
    this.set.addLogs(batch.logs);
  }

  /** Forgets what fell out of the window, runs the detectors over the rest, and returns what is new. */
  evaluate(nowNs: bigint): LiveUpdate {
    const set = this.set;
    if (!set) return { observations: [], stitches: [], current: [] };
    const now = Number(nowNs - set.builder.epochNs);
    set.evictBefore(now - this.windowNs);
    for (const [key, at] of this.returned) if (at < now - this.windowNs) this.returned.delete(key);
    return this.newSince(analyzeCrossTrace(set), set, now - this.settleNs);
  }

  private newSince(result: CrossTraceResult, set: TraceSet, settled: number): LiveUpdate {
    const startOf = (traceId: string, spanId: string) => set.span(traceId, spanId)?.start;
    // a finding about a log record is settled by the record's time
    const timeOf = (o: Observation) => {
      const log = o.evidence.log as { timeNs?: string } | undefined;
      return log?.timeNs ? Number(BigInt(log.timeNs) - set.builder.epochNs) : startOf(o.at.traceId, o.at.spanId);
    };
    const update: LiveUpdate = { observations: [], stitches: [], current: [] };
    for (const o of result.observations) {
      if (SERVICE_LEVEL.has(`${o.kind}/${o.subkind}`)) {
        update.current.push(o);
        continue;
      }
      const at = timeOf(o);
      if (at === undefined || at > settled) continue;
      const key = `${findingFingerprint(o.kind, o.subkind, o.service, o.operation)}:${o.at.traceId}:${o.at.spanId}:${at}`;
      if (this.returned.has(key)) continue;
      this.returned.set(key, at);
      update.observations.push(o);
    }
    for (const s of result.stitches) {
      const at = startOf(s.to.traceId, s.to.spanId);
      if (at === undefined || at > settled) continue;
      const key = `stitch:${s.from.traceId}:${s.from.spanId}:${s.to.traceId}:${s.to.spanId}`;
      if (this.returned.has(key)) continue;
      this.returned.set(key, at);
      update.stitches.push(s);
    }
    return update;
  }
}
