import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogQuery, TraceQuery } from './types';
import { openConnection, type Db } from './connection';
import { openStore } from './index';
import { COUNTS_BY_TRACE_SQL, TRACE_STITCHES_SQL } from './findings';
import { BATCH_LOGS_SQL, BATCH_SPANS_SQL, DUE_SQL, FIRST_PENDING_SQL, PENDING_SQL } from './analysis-reads';
import { SELECT_TRACES } from './ingest';
import { registerSearchFunctions } from './search';
import { logSearch, TRACE_LOGS_SQL, TRACE_OUTLINE_SQL, TRACE_SPANS_SQL, TRACE_SUMMARY_SQL, traceSearch } from './reads';
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
  // The planner's statistics of a store of 5M spans (the store keeps real ones current with PRAGMA optimize; these
  // few rows would make every table look too small to bother with an index).
  const writer = openConnection(file, 'writer');
  writer.exec(`DELETE FROM sqlite_stat1`);
  const insert = writer.prepare(`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)`);
  for (const [tbl, idx, stat] of LARGE_STORE_STATS) insert.run(tbl, idx, stat);
  writer.close();
  db = openConnection(file, 'reader');
  registerSearchFunctions(db);
});

const LARGE_STORE_STATS: [string, string | null, string][] = [
  ['trace_ids', null, '333000'],
  ['trace_ids', 'sqlite_autoindex_trace_ids_1', '333000 1'],
  ['traces', null, '333000'],
  ['traces', 'traces_by_start', '333000 1'],
  ['traces', 'traces_by_duration', '333000 30 1'],
  ['traces', 'traces_with_errors', '17000 1'],
  ['traces', 'traces_by_root_operation', '333000 11000 1'],
  ['spans', null, '5000000'],
  ['spans', 'spans_by_trace', '5000000 15'],
  ['trace_services', 'sqlite_autoindex_trace_services_1', '1000000 170000 1 1'],
  ['trace_services', 'trace_services_by_trace', '1000000 3'],
  ['logs', null, '1310000'],
  ['logs', 'logs_by_time', '1310000 1'],
  ['logs', 'logs_by_service', '1310000 220000 1'],
  ['logs', 'logs_by_trace', '1310000 4 2'],
  ['attr_docs', null, '333000'],
  ['attr_docs', 'attr_docs_by_trace', '333000 1'],
  ['resources', null, '100'],
  ['analysis_pending', null, '1000'],
  ['analysis_pending', 'analysis_pending_by_touch', '1000 1'],
];

afterAll(() => {
  db.close();
  tmp.remove();
});

function plan(sql: string, params: unknown[]): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  const details = rows.map((r) => r.detail);
  // A full scan of a table; walking an index in order until LIMIT is what newest-first paging is for, and c is
  // the candidates a search listed from an index (at most CANDIDATE_CAP).
  expect(details.filter((d) => /^SCAN \w+$/.test(d) && d !== 'SCAN c'), details.join('\n')).toEqual([]);
  return details.join('\n');
}

// `many`: plan as for a store where the index lists more candidates than a search reads from it.
const traces = (q: TraceQuery, many = false) => {
  const built = traceSearch(db, q, many ? { candidateCap: -1 } : {})!;
  return plan(built.sql, built.params);
};
const logs = (q: LogQuery, many = false) => {
  const built = logSearch(db, q, many ? { candidateCap: -1 } : {})!;
  return plan(built.sql, built.params);
};
const NO_SORT = /USE TEMP B-TREE FOR ORDER BY/;

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
    expect(traces({ status: 'error' })).toMatch(/SCAN t USING INDEX traces_with_errors/);
  });

  it('answers a duration range from the duration index when few traces are in it, newest first when many are', () => {
    expect(traces({ minDurationNs: 1000n, maxDurationNs: 2000n })).toMatch(/SEARCH t USING (COVERING )?INDEX traces_by_duration \(duration_ns>\? AND duration_ns<\?\)/);
    expect(traces({ minDurationNs: 1000n })).toMatch(/SEARCH t USING (COVERING )?INDEX traces_by_duration \(duration_ns>\?\)/);
    for (const q of [{ minDurationNs: 1000n, maxDurationNs: 2000n }, { minDurationNs: 1000n }, { maxDurationNs: 1000n, status: 'error' as const }]) {
      const walk = traces(q, true);
      expect(walk).toMatch(/^SCAN t USING INDEX (traces_by_start|traces_with_errors)/);
      expect(walk).not.toMatch(NO_SORT);
    }
    expect(traces({ service: 'web', minDurationNs: 1000n }, true)).toMatch(/^SEARCH p USING PRIMARY KEY \(service_id=\?\)/);
  });

  it('lists a rare attribute’s traces from the term index, and walks newest first testing each for a common one', () => {
    for (const attr of [{ key: 'http.route', value: '/' }, { key: 'http.route' }, { key: 'http.route', value: '/a', prefix: true }]) {
      const rare = traces({ attributes: [attr] });
      expect(rare).toMatch(/MATERIALIZE c[\s\S]*SCAN f VIRTUAL TABLE INDEX[\s\S]*SEARCH d USING INTEGER PRIMARY KEY/);
      // what the index does not cover yet is read by id, from where it stops
      expect(rare).toMatch(/SEARCH s USING INTEGER PRIMARY KEY \(rowid>\?\)[\s\S]*SEARCH l USING INTEGER PRIMARY KEY \(rowid>\?\)/);
      expect(rare).toMatch(/SCAN c\nSEARCH t USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      const common = traces({ attributes: [attr] }, true);
      expect(common).toMatch(/^SCAN t USING INDEX traces_by_start/);
      expect(common).not.toMatch(NO_SORT);
      expect(common).toMatch(/SEARCH s USING INDEX spans_by_trace \(trace_key=\?\)[\s\S]*SEARCH l USING INDEX logs_by_trace \(trace_key=\?\)/);
    }
    // with a service: its traces are looked up per candidate, not walked
    expect(traces({ service: 'web', attributes: [{ key: 'app.request_id', value: 'r1' }] })).toMatch(/SCAN c[\s\S]*SEARCH p (EXISTS )?USING COVERING INDEX trace_services_by_trace \(trace_key=\?/);
  });

  it('searches logs by time, service, trace and span', () => {
    expect(logs({ fromNs: T0 })).toMatch(/SEARCH l USING INDEX logs_by_time \(at_ns>\?\)/);
    expect(logs({})).toMatch(/^SCAN l USING INDEX logs_by_time/);
    expect(logs({ service: 'web' })).toMatch(/SEARCH l USING INDEX logs_by_service \(service_id=\?\)/);
    expect(logs({ traceId: traceId(1) })).toMatch(/SEARCH l USING INDEX logs_by_trace \(trace_key=\?\)/);
    expect(logs({ traceId: traceId(1), spanId: spanId(1) })).toMatch(/SEARCH l USING INDEX logs_by_trace \(trace_key=\? AND span_id=\?\)/);
  });

  it('lists rare log text from the text index, and walks newest first testing each for common text', () => {
    const rare = logs({ minSeverity: 9, text: 'order-8812 failed' });
    expect(rare).toMatch(/MATERIALIZE c[\s\S]*SCAN log_text VIRTUAL TABLE INDEX[\s\S]*SEARCH l USING INTEGER PRIMARY KEY \(rowid>\?\)/);
    expect(rare).toMatch(/SCAN c\nSEARCH l USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    const common = logs({ text: 'failed' }, true);
    expect(common).toMatch(/^SCAN l USING INDEX logs_by_time/);
    expect(common).not.toMatch(NO_SORT);
    expect(common).not.toMatch(/log_text/);
    expect(logs({ service: 'web', text: 'failed' }, true)).toMatch(/^SEARCH l USING INDEX logs_by_service \(service_id=\?\)/);
  });

  it('looks up a commit’s traces, settled traces, badges and a trace’s stitches by index', () => {
    const ids = JSON.stringify([traceId(1), traceId(2)]);
    expect(plan(SELECT_TRACES, [ids])).toMatch(/SEARCH i USING COVERING INDEX sqlite_autoindex_trace_ids_1 \(trace_id=\?\)\nSEARCH t USING INTEGER PRIMARY KEY/);
    // due traces in start order, never sorted: the walk stops after `limit` due ones
    expect(plan(DUE_SQL, [0, '[1,2]', 10])).toMatch(/^SCAN p USING INDEX analysis_pending_by_start\n/);
    expect(plan(DUE_SQL, [0, '[1,2]', 10])).toMatch(/\nSEARCH i USING INTEGER PRIMARY KEY/);
    // the traces being recorded, left out: a list built once, not a query per row
    expect(plan(DUE_SQL, [0, '[1,2]', 10])).toMatch(/\nLIST SUBQUERY/);
    expect(plan(DUE_SQL, [0, '[1,2]', 10])).not.toMatch(NO_SORT);
    // with each one's span count (serve sets aside a trace too large without reading it): by primary key
    expect(plan(DUE_SQL, [0, '[1,2]', 10])).toMatch(/SEARCH t USING INTEGER PRIMARY KEY/);
    // the traces a dead analysis worker was analyzing, taken again one at a time: by primary key
    expect(plan(PENDING_SQL, ['[1,2]'])).toMatch(/SEARCH p USING INTEGER PRIMARY KEY/);
    expect(plan(FIRST_PENDING_SQL, [])).toMatch(/^SCAN analysis_pending USING INDEX analysis_pending_by_start$/);
    // a batch's spans and logs: one index lookup per trace
    expect(plan(BATCH_SPANS_SQL, ['[1,2]'])).toMatch(/SEARCH s USING INDEX spans_by_trace \(trace_key=\?\)/);
    expect(plan(BATCH_SPANS_SQL, ['[1,2]'])).not.toMatch(/TEMP B-TREE/);
    expect(plan(BATCH_LOGS_SQL, ['[1,2]'])).toMatch(/SEARCH l USING INDEX logs_by_trace \(trace_key=\?\)/);
    expect(plan(COUNTS_BY_TRACE_SQL, [ids])).toMatch(/SEARCH c USING PRIMARY KEY \(trace_key=\?\)/);
    expect(plan(TRACE_STITCHES_SQL, [{ traceId: traceId(1) }])).toMatch(/INDEX stitches_by_from_trace \(from_trace_id=\?\)[\s\S]*INDEX stitches_by_to_trace \(to_trace_id=\?\)/);
  });
});
