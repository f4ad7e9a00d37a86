import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors';
import { openStore, type Store } from './index';
import { attributes, span, spanId, tempDir, traceId } from './testing';

let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeAll(async () => {
  tmp = tempDir();
  store = openStore({ path: tmp.file('store.db') });
  await store.write({
    spans: [1, 2, 3].map((n) =>
      span({ traceId: traceId(n), spanId: spanId(n), name: `op${n}`, attributes: attributes({ 'http.route': `/r/${n}`, big: 9223372036854775807n }) }),
    ),
    logs: [],
  });
});

afterAll(async () => {
  await store.close();
  tmp.remove();
});

describe('querySql', () => {
  it('answers a SELECT with columns and rows', () => {
    const result = store.reader.querySql(`SELECT name, json_extract(attributes, '$."http.route"') AS route FROM span_view ORDER BY name`);
    expect(result).toEqual({ columns: ['name', 'route'], rows: [['op1', '/r/1'], ['op2', '/r/2'], ['op3', '/r/3']], truncated: false });
  });

  it('caps rows and says so, keeping int64 exact', () => {
    const result = store.reader.querySql(`SELECT start_ns, 9223372036854775807 AS big FROM spans`, 2);
    expect(result.rows).toHaveLength(2);
    expect(result.truncated).toBe(true);
    expect(result.rows[0][1]).toBe(9223372036854775807n);
    expect(typeof result.rows[0][0]).toBe('bigint');
  });

  it('allows reading PRAGMAs and EXPLAIN', () => {
    expect(store.reader.querySql(`PRAGMA table_info(spans)`).rows.length).toBeGreaterThan(10);
    expect(store.reader.querySql(`  -- how big\n PRAGMA page_count`).rows).toHaveLength(1);
    expect(store.reader.querySql(`EXPLAIN QUERY PLAN SELECT * FROM spans WHERE trace_key = 1`).rows.length).toBeGreaterThan(0);
  });

  it.each([
    `INSERT INTO services (name) VALUES ('x')`,
    `UPDATE spans SET name = 'x'`,
    `DELETE FROM spans`,
    `DROP TABLE spans`,
    `CREATE TABLE t (x)`,
    `ATTACH DATABASE 'other.db' AS other`,
    `DETACH DATABASE main`,
    `PRAGMA user_version = 99`,
    `/* sneaky */ PRAGMA journal_mode=DELETE`,
    `PRAGMA cache_size(10)`,
    `VACUUM`,
    `BEGIN`,
    `SELECT 1; DELETE FROM spans`,
    `SELECT 1; SELECT 2`,
  ])('refuses %s', (sql) => {
    expect(() => store.reader.querySql(sql)).toThrow(InputError);
    expect(store.reader.stats().spans).toBe(3);
    expect(store.reader.querySql(`SELECT count(*) FROM spans`).rows).toEqual([[3]]);
  });

  it('reports SQL errors as InputError', () => {
    expect(() => store.reader.querySql(`SELECT nope FROM spans`)).toThrow(/SQL: no such column: nope/);
  });
});
