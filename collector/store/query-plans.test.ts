import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogQuery, TraceQuery } from './types';
import { openConnection, type Db } from './connection';
import { openStore } from './index';
import { COUNTS_BY_TRACE_SQL, SETTLED_TRACES_SQL, TRACE_STITCHES_SQL } from './findings';
import { SELECT_TRACES } from './ingest';
import { logSearch, registerReadFunctions, TRACE_LOGS_SQL, TRACE_OUTLINE_SQL, TRACE_SPANS_SQL, TRACE_SUMMARY_SQL, traceSearch } from './reads';
import { log, resource, span, spanId, T0, tempDir, traceId } from './testing';

let tmp: ReturnType<typeof tempDir>;
let db: Db;

beforeAll(async () => {
  tmp = tempDir();
  const file = tmp.file('plans.db');
  const store = openStore({ path: file });
  await store.write({
    spans: [span({ traceId: traceId(1), spanId: spanId(1), name: 'GET /', resource: resource('web') })],
    logs: [log({ traceId: traceId(1), spanId: spanId(1), resource: resource('web') })],
  });
  await store.close();
  db = openConnection(file, 'reader');
  registerReadFunctions(db);
});

afterAll(() => {
  db.close();
  tmp.remove();
});

function plan(sql: string, params: unknown[]): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  const details = rows.map((r) => r.detail);
  // A full scan of a table; walking an index in order until LIMIT is what newest-first paging is for.
  expect(details.filter((d) => /^SCAN \w+$/.test(d)), details.join('\n')).toEqual([]);
  return details.join('\n');
}

const traces = (q: TraceQuery) => {
  const built = traceSearch(db, q)!;
  return plan(built.sql, built.params);
};
const logs = (q: LogQuery) => {
  const built = logSearch(db, q)!;
  return plan(built.sql, built.params);
};

describe('hot reads use indexes', () => {
  it('finds a trace and its spans by id', () => {
    expect(plan(TRACE_SUMMARY_SQL, [traceId(1)])).toMatch(/SEARCH i USING COVERING INDEX sqlite_autoindex_trace_ids_1 \(trace_id=\?\)\nSEARCH t USING INTEGER PRIMARY KEY/);
    expect(plan(TRACE_SPANS_SQL, [traceId(1)])).toMatch(/SEARCH s USING INDEX spans_by_trace \(trace_key=\?\)/);
    expect(plan(TRACE_OUTLINE_SQL, [traceId(1)])).toMatch(/SEARCH s USING INDEX spans_by_trace \(trace_key=\?\)/);
    expect(plan(TRACE_LOGS_SQL, [traceId(1)])).toMatch(/SEARCH l USING INDEX logs_by_trace \(trace_key=\?\)/);
  });

  it('searches traces by start, service, root operation, duration and error', () => {
    expect(traces({ fromNs: T0, toNs: T0 + 10n })).toMatch(/SEARCH t USING INDEX traces_by_start \(start_ns>\? AND start_ns<\?\)/);
    expect(traces({ cursor: Buffer.from(`${T0}.1`).toString('base64url') })).toMatch(/SEARCH t USING INDEX traces_by_start \(start_ns<\?\)/);
    expect(traces({})).toMatch(/^SCAN t USING INDEX traces_by_start/);
    expect(traces({ service: 'web' })).toMatch(/SEARCH p USING PRIMARY KEY \(service_id=\?\)/);
    expect(traces({ service: 'web', fromNs: T0 })).toMatch(/SEARCH p USING PRIMARY KEY \(service_id=\? AND start_ns>\?\)/);
    expect(traces({ operation: 'GET /' })).toMatch(/SEARCH t USING INDEX traces_by_root_operation \(root_operation=\?\)/);
    expect(traces({ service: 'web', operation: 'GET /' })).toMatch(/SEARCH t USING INDEX traces_by_root_operation \(root_operation=\?\)/);
    expect(traces({ minDurationNs: 1000n, maxDurationNs: 2000n })).toMatch(/SEARCH t USING INDEX traces_by_duration \(duration_ns>\? AND duration_ns<\?\)/);
    expect(traces({ status: 'error' })).toMatch(/SCAN t USING INDEX traces_with_errors/);
    traces({ minDurationNs: 1000n });
    traces({ attributes: [{ key: 'http.route', value: '/' }] });
  });

  it('searches logs by time, service, trace and span', () => {
    expect(logs({ fromNs: T0 })).toMatch(/SEARCH l USING INDEX logs_by_time \(at_ns>\?\)/);
    expect(logs({})).toMatch(/^SCAN l USING INDEX logs_by_time/);
    expect(logs({ service: 'web' })).toMatch(/SEARCH l USING INDEX logs_by_service \(service_id=\?\)/);
    expect(logs({ traceId: traceId(1) })).toMatch(/SEARCH l USING INDEX logs_by_trace \(trace_key=\?\)/);
    expect(logs({ traceId: traceId(1), spanId: spanId(1) })).toMatch(/SEARCH l USING INDEX logs_by_trace \(trace_key=\? AND span_id=\?\)/);
    logs({ minSeverity: 9, text: 'x' });
  });

  it('looks up a commit’s traces, settled traces, badges and a trace’s stitches by index', () => {
    const ids = JSON.stringify([traceId(1), traceId(2)]);
    expect(plan(SELECT_TRACES, [ids])).toMatch(/SEARCH i USING COVERING INDEX sqlite_autoindex_trace_ids_1 \(trace_id=\?\)\nSEARCH t USING INTEGER PRIMARY KEY/);
    expect(plan(SETTLED_TRACES_SQL, [0, 10])).toMatch(/SEARCH p USING INDEX analysis_pending_by_touch \(touched_ms<\?\)/);
    expect(plan(COUNTS_BY_TRACE_SQL, [ids])).toMatch(/SEARCH c USING PRIMARY KEY \(trace_key=\?\)/);
    expect(plan(TRACE_STITCHES_SQL, [{ traceId: traceId(1) }])).toMatch(/INDEX stitches_by_from_trace \(from_trace_id=\?\)[\s\S]*INDEX stitches_by_to_trace \(to_trace_id=\?\)/);
  });
});
