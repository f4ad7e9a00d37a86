// Analysis results that survive restarts: which traces wait for analysis, findings grouped by fingerprint
// with a few example occurrences, and stitches. Every analysis (one trace, or one window of the cross-trace
// detectors) replaces what it found before, so re-analysing after a late span never counts twice.
import { asFindingKey, findingTitle, isStitchKind, severityOf, type Evidence, type Observation, type Severity, type SpanRef, type Stitch } from '../../common/findings';
import { findingFingerprint } from '../fingerprint';
import { prepared, type Db } from './connection';
import type { StoredFinding, TraceAnalysis } from './types';

/** Occurrences kept per fingerprint for people to look at; all of them are counted. */
const MAX_EXAMPLES = 50;
/** The source of a trace's own analysis in finding_counts; windows use their id. */
const TRACE_SOURCE = '';
/** finding_counts.trace_key of an occurrence in no stored trace. */
const NO_TRACE = 0;

export interface AnalysisRecorder {
  recordTraceAnalyses(results: readonly TraceAnalysis[]): void;
  recordWindowAnalysis(windowId: string, observations: readonly Observation[], stitches: readonly Stitch[]): void;
}

/** Traces waiting for their analysis and quiet for `quietMs` (due now), counted to at most `cap`. */
export function analysisDue(db: Db, quietMs: number, cap = 1_000_000): number {
  const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM analysis_pending WHERE touched_ms <= ? LIMIT ?)`;
  return Number(prepared<[number, number], { n: bigint }>(db, sql).get(Date.now() - quietMs, cap)!.n);
}

/** The write side, on the writer connection. */
export function analysisRecorder(db: Db): AnalysisRecorder {
  const recordTrace = ({ key, touches, observations }: TraceAnalysis) => {
    // Only the analysis clears a waiting trace, and retention when it removes one: not waiting, it is gone.
    const waiting = prepared<[number], { touches: bigint }>(db, `SELECT touches FROM analysis_pending WHERE trace_key = ?`).get(key);
    if (waiting === undefined) return;
    const removed = prepared<[number, string], Contribution>(
      db,
      `DELETE FROM finding_counts WHERE trace_key = ? AND source = ? RETURNING trace_key, fingerprint, count`,
    ).all(key, TRACE_SOURCE);
    subtract(db, removed, TRACE_SOURCE);
    add(db, TRACE_SOURCE, observations, () => key, Date.now());
    removeEmpty(db, removed);
    if (Number(waiting.touches) === touches) prepared(db, `DELETE FROM analysis_pending WHERE trace_key = ?`).run(key);
  };
  const recordTraces = db.transaction((results: readonly TraceAnalysis[]) => {
    for (const result of results) recordTrace(result);
  });

  const recordWindow = db.transaction((windowId: string, observations: readonly Observation[], stitches: readonly Stitch[]) => {
    const removed = prepared<[string], Contribution>(db, `DELETE FROM finding_counts WHERE source = ? RETURNING trace_key, fingerprint, count`).all(windowId);
    subtract(db, removed, windowId);
    const keys = new Map<string, number>();
    add(db, windowId, observations, (at) => keys.get(at.traceId) ?? remember(keys, at.traceId, traceKey(db, at.traceId) ?? NO_TRACE), Date.now());
    removeEmpty(db, removed);
    prepared(db, `DELETE FROM stitches WHERE window_id = ?`).run(windowId);
    const insert = prepared(
      db,
      `INSERT INTO stitches (window_id, kind, confidence, from_trace_id, from_span_id, to_trace_id, to_span_id, signals) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of stitches) {
      insert.run(windowId, s.kind, s.confidence, s.from.traceId, s.from.spanId, s.to.traceId, s.to.spanId, JSON.stringify(s.signals));
    }
  });

  return {
    recordTraceAnalyses: (results) => recordTraces(results),
    recordWindowAnalysis(windowId, observations, stitches) {
      if (windowId === TRACE_SOURCE) throw new Error('recordWindowAnalysis: the window id must not be empty');
      recordWindow(windowId, observations, stitches);
    },
  };
}

interface Contribution {
  trace_key: bigint;
  fingerprint: string;
  count: bigint;
}

/** Takes removed contributions out of their findings' counts, with their examples: those of one source, or of every one. */
function subtract(db: Db, removed: Contribution[], source?: string): void {
  const traceKeys = new Set<bigint>();
  for (const r of removed) {
    prepared(db, `UPDATE findings SET count = count - ? WHERE fingerprint = ?`).run(r.count, r.fingerprint);
    traceKeys.add(r.trace_key);
  }
  for (const key of traceKeys) {
    if (source === undefined) prepared(db, `DELETE FROM finding_examples WHERE trace_key = ?`).run(key);
    else prepared(db, `DELETE FROM finding_examples WHERE trace_key = ? AND source = ?`).run(key, source);
  }
}

/** Findings whose every occurrence is gone. */
function removeEmpty(db: Db, removed: Contribution[]): void {
  for (const fingerprint of new Set(removed.map((r) => r.fingerprint))) {
    const gone = prepared(db, `DELETE FROM findings WHERE fingerprint = ? AND count <= 0`).run(fingerprint);
    if (gone.changes > 0) prepared(db, `DELETE FROM finding_examples WHERE fingerprint = ?`).run(fingerprint);
  }
}

/** Counts the observations under their fingerprints and at the trace key `keyOf` gives each. */
function add(db: Db, source: string, observations: readonly Observation[], keyOf: (at: SpanRef) => number, nowMs: number): void {
  const byFingerprint = new Map<string, { first: Observation; counts: Map<number, number>; examples: { key: number; at: SpanRef }[] }>();
  for (const o of observations) {
    const fingerprint = findingFingerprint(o.kind, o.subkind, o.service, o.operation);
    let group = byFingerprint.get(fingerprint);
    if (!group) byFingerprint.set(fingerprint, (group = { first: o, counts: new Map(), examples: [] }));
    const key = keyOf(o.at);
    group.counts.set(key, (group.counts.get(key) ?? 0) + 1);
    if (group.examples.length < MAX_EXAMPLES) group.examples.push({ key, at: o.at });
  }
  for (const [fingerprint, { first, counts, examples }] of byFingerprint) {
    let total = 0;
    for (const [key, count] of counts) {
      prepared(db, `INSERT INTO finding_counts (trace_key, source, fingerprint, count) VALUES (?, ?, ?, ?)`).run(key, source, fingerprint, count);
      total += count;
    }
    prepared(
      db,
      `INSERT INTO findings (fingerprint, kind, subkind, severity, service, operation, count, first_seen_ms, last_seen_ms, evidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (fingerprint) DO UPDATE SET count = count + excluded.count, last_seen_ms = excluded.last_seen_ms`,
    ).run(fingerprint, first.kind, first.subkind, severityOf(first), first.service, first.operation, total, nowMs, nowMs, JSON.stringify(first.evidence));
    const kept = Number(prepared<[string], { n: bigint }>(db, `SELECT count(*) AS n FROM finding_examples WHERE fingerprint = ?`).get(fingerprint)!.n);
    const insert = prepared(db, `INSERT INTO finding_examples (fingerprint, trace_key, source, trace_id, span_id) VALUES (?, ?, ?, ?, ?)`);
    for (const { key, at } of examples.slice(0, Math.max(0, MAX_EXAMPLES - kept))) insert.run(fingerprint, key, source, at.traceId, at.spanId);
  }
}

/** Retention: what analysis recorded about these traces goes with them. */
export function forgetTraceAnalysis(db: Db, traceKey: bigint, traceId: string): void {
  prepared(db, `DELETE FROM analysis_pending WHERE trace_key = ?`).run(traceKey);
  const removed = prepared<[bigint], Contribution>(db, `DELETE FROM finding_counts WHERE trace_key = ? RETURNING trace_key, fingerprint, count`).all(traceKey);
  subtract(db, removed);
  removeEmpty(db, removed);
  prepared(db, `DELETE FROM stitches WHERE from_trace_id = @traceId OR to_trace_id = @traceId`).run({ traceId });
}

function traceKey(db: Db, traceId: string): number | undefined {
  const row = prepared<[string], { trace_key: bigint }>(db, `SELECT trace_key FROM trace_ids WHERE trace_id = ?`).get(traceId);
  return row && Number(row.trace_key);
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.set(key, value);
  return value;
}

interface FindingRow {
  fingerprint: string;
  kind: string;
  subkind: string;
  severity: Severity;
  service: string;
  operation: string;
  count: bigint;
  first_seen_ms: bigint;
  last_seen_ms: bigint;
  evidence: string;
}

/** Most severe first, then most frequent, as `analyze` orders them. */
export function findings(db: Db): StoredFinding[] {
  const examples = new Map<string, SpanRef[]>();
  for (const e of prepared<[], { fingerprint: string; trace_id: string; span_id: string }>(
    db,
    `SELECT fingerprint, trace_id, span_id FROM finding_examples ORDER BY id`,
  ).all()) {
    const list = examples.get(e.fingerprint);
    const ref = { traceId: e.trace_id, spanId: e.span_id };
    if (list) list.push(ref);
    else examples.set(e.fingerprint, [ref]);
  }
  return prepared<[], FindingRow>(
    db,
    `SELECT fingerprint, kind, subkind, severity, service, operation, count, first_seen_ms, last_seen_ms, evidence FROM findings
     ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, count DESC, kind, subkind, service, operation`,
  )
    .all()
    .flatMap((r) => {
      // Kinds this build does not declare (written by a newer one) are left out rather than shown untitled.
      const key = asFindingKey(r.kind, r.subkind);
      if (!key) return [];
      const f = {
        ...key,
        severity: r.severity,
        service: r.service,
        operation: r.operation,
        fingerprint: r.fingerprint,
        count: Number(r.count),
        occurrences: examples.get(r.fingerprint) ?? [],
        evidence: JSON.parse(r.evidence) as Evidence,
        firstSeenMs: Number(r.first_seen_ms),
        lastSeenMs: Number(r.last_seen_ms),
      };
      return [{ ...f, title: findingTitle(f) }];
    });
}

interface StitchRow {
  kind: string;
  confidence: number;
  from_trace_id: string;
  from_span_id: string;
  to_trace_id: string;
  to_span_id: string;
  signals: string;
}

const STITCH_COLUMNS = `kind, confidence, from_trace_id, from_span_id, to_trace_id, to_span_id, signals`;
export const TRACE_STITCHES_SQL = `SELECT ${STITCH_COLUMNS} FROM stitches WHERE from_trace_id = @traceId OR to_trace_id = @traceId ORDER BY id`;

/** Every stitch, or those with either end in this trace. */
export function stitches(db: Db, traceId?: string): Stitch[] {
  const rows =
    traceId === undefined
      ? prepared<[], StitchRow>(db, `SELECT ${STITCH_COLUMNS} FROM stitches ORDER BY id`).all()
      : prepared<[{ traceId: string }], StitchRow>(db, TRACE_STITCHES_SQL).all({ traceId: traceId.toLowerCase() });
  return rows.flatMap((r) => {
    if (!isStitchKind(r.kind)) return [];
    return [{
    kind: r.kind,
    confidence: r.confidence,
    from: { traceId: r.from_trace_id, spanId: r.from_span_id },
    to: { traceId: r.to_trace_id, spanId: r.to_span_id },
    signals: JSON.parse(r.signals) as string[],
    }];
  });
}

export const COUNTS_BY_TRACE_SQL = `
  SELECT i.trace_id, sum(c.count) AS n FROM json_each(?) j JOIN trace_ids i ON i.trace_id = j.value
  JOIN finding_counts c ON c.trace_key = i.trace_key GROUP BY i.trace_id HAVING n > 0`;

/** Occurrences counted at each of these traces; traces without any are left out. */
export function findingCountsByTrace(db: Db, traceIds: readonly string[]): Map<string, number> {
  const rows = prepared<[string], { trace_id: string; n: bigint }>(db, COUNTS_BY_TRACE_SQL).all(JSON.stringify(traceIds.map((t) => t.toLowerCase())));
  return new Map(rows.map((r) => [r.trace_id, Number(r.n)]));
}
