// Retention in small transactions, each a few milliseconds, so queued writes commit in between.
// Age counts from when data arrived (an imported file of old traces is kept); under size pressure the
// traces with the oldest start go first, whole (spans, logs, postings), and logs older than any kept trace.
import { prepared, type Db } from './connection';
import { deleteClusterHistoryBefore } from './cluster';
import { forgetTraceAnalysis } from './findings';
import { forgetLogText, forgetTracesTerms } from './search-index';
import type { RetentionReport } from './types';

export interface RetentionPolicy {
  maxBytes: number;
  maxAgeMs: number;
}

const TRACES_PER_STEP = 100;
const LOGS_PER_STEP = 2000;
/** Once over the size limit, trim to this share of it so retention does not run after every commit. */
const TRIM_TO = 0.9;
const CHECK_EVERY_MS = 60_000;
/**
 * How often the planner's statistics are brought up to date (PRAGMA optimize, which analyzes only tables whose
 * size changed much since, each bounded by analysis_limit): often, since a store grows from nothing in minutes.
 */
const OPTIMIZE_EVERY_MS = 10 * 60_000;

export interface Deleted {
  traces: number;
  /** Spans of the deleted traces. */
  spans: number;
  logs: number;
}


/** Bytes in pages that hold data: freed pages are reused, so the file itself does not shrink. */
export function usedBytes(db: Db): number {
  const row = prepared<[], { n: bigint }>(
    db,
    `SELECT (page_count - freelist_count) * page_size AS n FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()`,
  ).get()!;
  return Number(row.n);
}

/** Deletes what arrived more than maxAgeMs before nowMs, one batch; returns what it deleted. */
export function deleteExpired(db: Db, maxAgeMs: number, nowMs: number): Deleted {
  const cutoff = nowMs - maxAgeMs;
  // A mark covers a whole minute of arrivals: only minutes that ended before the cutoff are expired.
  const mark = prepared<[number], { trace_key: bigint | null; log_id: bigint | null }>(
    db,
    `SELECT max(last_trace_key) AS trace_key, max(last_log_id) AS log_id FROM ingest_marks WHERE minute_ms <= ? - 60000`,
  ).get(cutoff)!;
  if (mark.trace_key === null || mark.log_id === null) return { traces: 0, spans: 0, logs: 0 };
  const keys = prepared<[bigint, number], { trace_key: bigint }>(
    db,
    `SELECT trace_key FROM trace_ids WHERE trace_key <= ? ORDER BY trace_key LIMIT ?`,
  ).all(mark.trace_key, TRACES_PER_STEP);
  if (keys.length > 0) return deleteTraces(db, keys.map((k) => k.trace_key));
  const logs = deleteLogs(db, `SELECT id FROM logs WHERE id <= ? ORDER BY id LIMIT ${LOGS_PER_STEP}`, mark.log_id);
  if (logs === 0) prepared(db, `DELETE FROM ingest_marks WHERE minute_ms <= ? - 60000`).run(cutoff);
  return { traces: 0, spans: 0, logs };
}

/** Deletes the oldest traces, or the logs older than every trace, one batch. */
export function deleteOldest(db: Db): Deleted {
  const trace = prepared<[], { start_ns: bigint }>(db, `SELECT start_ns FROM traces ORDER BY start_ns LIMIT 1`).get();
  const log = prepared<[], { at_ns: bigint }>(db, `SELECT at_ns FROM logs ORDER BY at_ns LIMIT 1`).get();
  if (trace && (!log || trace.start_ns <= log.at_ns)) {
    const keys = prepared<[number], { trace_key: bigint }>(db, `SELECT trace_key FROM traces ORDER BY start_ns LIMIT ?`).all(TRACES_PER_STEP);
    return deleteTraces(db, keys.map((k) => k.trace_key));
  }
  if (log) return { traces: 0, spans: 0, logs: deleteLogs(db, `SELECT id FROM logs ORDER BY at_ns LIMIT ${LOGS_PER_STEP}`) };
  return { traces: 0, spans: 0, logs: 0 };
}

/** Deletes these traces whole: spans, logs, summaries, postings, search documents, analysis. */
export function deleteTraces(db: Db, keys: bigint[]): Deleted {
  let spans = 0;
  let logs = 0;
  let traces = 0;
  forgetTracesTerms(db, keys);
  for (const key of keys) {
    spans += prepared(db, `DELETE FROM spans WHERE trace_key = ?`).run(key).changes;
    logs += prepared(db, `DELETE FROM logs WHERE trace_key = ?`).run(key).changes;
    prepared(db, `DELETE FROM trace_services WHERE trace_key = ?`).run(key);
    traces += prepared(db, `DELETE FROM traces WHERE trace_key = ?`).run(key).changes;
    const gone = prepared<[bigint], { trace_id: string }>(db, `DELETE FROM trace_ids WHERE trace_key = ? RETURNING trace_id`).get(key);
    if (gone) forgetTraceAnalysis(db, key, gone.trace_id);
  }
  prepared(db, `UPDATE totals SET spans = spans - ?, logs = logs - ?, traces = traces - ?`).run(spans, logs, traces);
  return { traces, logs, spans };
}

/** Deletes the logs the select picks, and the trace ids only they referred to. */
function deleteLogs(db: Db, selectIds: string, ...params: unknown[]): number {
  const gone = prepared<unknown[], { id: bigint; trace_key: bigint | null }>(db, `DELETE FROM logs WHERE id IN (${selectIds}) RETURNING id, trace_key`).all(...params);
  forgetLogText(db, gone.map((g) => g.id));
  for (const key of new Set(gone.map((g) => g.trace_key))) {
    if (key === null) continue;
    const orphan = prepared<[{ key: bigint }], { trace_id: string }>(
      db,
      `DELETE FROM trace_ids WHERE trace_key = @key
       AND NOT EXISTS (SELECT 1 FROM traces WHERE trace_key = @key) AND NOT EXISTS (SELECT 1 FROM logs WHERE trace_key = @key)
       RETURNING trace_id`,
    ).get({ key });
    if (orphan) forgetTraceAnalysis(db, key, orphan.trace_id);
  }
  prepared(db, `UPDATE totals SET logs = logs - ?`).run(gone.length);
  return gone.length;
}

/**
 * Cluster history follows the telemetry it explains: it is kept back to the oldest span or log still stored
 * (size trimming takes it sooner, so it never crowds telemetry out; imported telemetry from long ago keeps the
 * history of its time), and goes with the age limit once no telemetry is left.
 */
function clusterCutoffMs(db: Db, maxAgeMs: number, nowMs: number): number {
  const oldest = prepared<[], { ns: bigint | null }>(db, `SELECT min(ns) AS ns FROM (SELECT min(start_ns) AS ns FROM traces UNION ALL SELECT min(at_ns) FROM logs)`).get()!;
  return oldest.ns === null ? nowMs - maxAgeMs : Number(oldest.ns / 1_000_000n);
}

export interface Retention {
  /** Starts a pass unless one is running; resolves when the pass ends. */
  schedule(): Promise<void>;
  /** The limits, and what passes removed so far. */
  report(): RetentionReport;
  /** New limits, from the next step of a pass on (a pass starts now). */
  setLimits(limits: RetentionPolicy): Promise<void>;
  /** Brings the planner's statistics up to date if they are OPTIMIZE_EVERY_MS old (and at close). */
  optimize(force?: boolean): void;
  stop(): void;
}

/** Runs retention passes on a timer and when asked; each step is its own transaction on the writer connection. */
export function startRetention(db: Db, limits: RetentionPolicy): Retention {
  const policy = { ...limits };
  let pass: Promise<void> | undefined;
  let endPass = () => {};
  let stopped = false;
  let trimming = false;
  let optimizedMs = Date.now();
  const removed = { traces: 0, spans: 0, logs: 0 };
  const timer = setInterval(() => {
    void schedule();
    optimize();
  }, CHECK_EVERY_MS).unref();

  const count = (d: Deleted) => {
    removed.traces += d.traces;
    removed.spans += d.spans;
    removed.logs += d.logs;
    return d.traces + d.logs > 0;
  };

  const step = db.transaction((): boolean => {
    if (count(deleteExpired(db, policy.maxAgeMs, Date.now()))) return true;
    const used = usedBytes(db);
    if (used > policy.maxBytes) trimming = true;
    if (trimming && used > policy.maxBytes * TRIM_TO) {
      if (count(deleteOldest(db))) return true;
    }
    trimming = false;
    return deleteClusterHistoryBefore(db, clusterCutoffMs(db, policy.maxAgeMs, Date.now())) > 0;
  });

  function run(): void {
    if (stopped) return finish();
    let more: boolean;
    try {
      more = step();
    } catch (e) {
      console.error('store: retention failed', e);
      more = false;
    }
    if (more) setImmediate(run);
    else finish();
  }

  function optimize(force = false): void {
    if (stopped || (!force && Date.now() - optimizedMs < OPTIMIZE_EVERY_MS)) return;
    optimizedMs = Date.now();
    try {
      db.pragma('optimize');
    } catch (e) {
      console.error('store: PRAGMA optimize failed', e);
    }
  }

  function finish(): void {
    pass = undefined;
    endPass();
  }

  function schedule(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (!pass) {
      pass = new Promise((resolve) => (endPass = resolve));
      setImmediate(run);
    }
    return pass;
  }

  // Statistics for every table, bounded in cost (SQLite's advice for long-running applications).
  db.pragma('analysis_limit = 400');
  db.pragma('optimize = 0x10002');
  void schedule();
  return {
    schedule,
    report: () => ({ maxBytes: policy.maxBytes, maxAgeMs: policy.maxAgeMs, removed: { ...removed } }),
    setLimits(next) {
      Object.assign(policy, { maxBytes: next.maxBytes, maxAgeMs: next.maxAgeMs });
      return schedule();
    },
    optimize,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
