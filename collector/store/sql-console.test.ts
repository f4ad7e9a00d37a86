import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQL_MAX_RESULT_BYTES } from '../../common/wire';
import { InputError } from '../errors';
import { openStore, type Store } from './index';
import { openConnection } from './connection';
import { checkPragma, keepSettings, readSettings, SettingChangedError, SqlConsole, SqlStoppedError } from './sql-console';
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

/** The console connection's settings a PRAGMA could change, read back through the console itself. */
function consoleSettings(): Record<string, unknown> {
  const read = (name: string) => store.reader.querySql(`PRAGMA ${name}`).rows[0]?.[0];
  return {
    query_only: read('query_only'),
    locking_mode: read('locking_mode'),
    mmap_size: read('mmap_size'),
    wal_autocheckpoint: read('wal_autocheckpoint'),
    temp_store_directory: read('temp_store_directory'),
    cache_size: read('cache_size'),
  };
}

/** As openStore leaves the console connection. */
const CONSOLE_DEFAULTS = { query_only: 1, locking_mode: 'normal', mmap_size: 0, wal_autocheckpoint: 1000, temp_store_directory: undefined, cache_size: -16000 };

// Each of these changed a setting of the console connection (or, temp_store_directory, of the whole process)
// while SQLite prepared it, before anything ran.
const SETTING_TRICKS = [
  `PRAGMA "query_only"=0`,
  `PRAGMA 'query_only' = 0`,
  `PRAGMA [query_only]=0`,
  'PRAGMA `query_only`=0',
  `PRAGMA "main"."query_only"=0`,
  `PRAGMA main . query_only = 0`,
  `pragma/**/QUERY_ONLY/**/=/**/off`,
  `PRAGMA query_only(0)`,
  `;; -- leading empty statements\n PRAGMA query_only=0`,
  `EXPLAIN PRAGMA query_only=0`,
  `EXPLAIN QUERY PLAN PRAGMA "mmap_size"=5`,
  `PRAGMA "temp_store_directory"='/tmp'`,
  `PRAGMA "locking_mode"=EXCLUSIVE`,
  `PRAGMA "mmap_size"=1000000`,
  `PRAGMA "wal_autocheckpoint"=0`,
  `PRAGMA "query_""only"=0`,
  `PRAGMA temp.cache_size=5`,
];

describe('querySql', () => {
  it('answers a SELECT with columns and rows', () => {
    const result = store.reader.querySql(`SELECT name, json_extract(attributes, '$."http.route"') AS route FROM span_view ORDER BY name`);
    expect(result).toEqual({ columns: ['name', 'route'], rows: [['op1', '/r/1'], ['op2', '/r/2'], ['op3', '/r/3']], truncated: false });
  });

  it('caps rows and says so, keeping int64 exact', () => {
    const result = store.reader.querySql(`SELECT start_ns, 9223372036854775807 AS big FROM spans`, 2);
    expect(result.rows).toHaveLength(2);
    expect(result.truncated).toBe(true);
    expect(result).toMatchObject({ message: 'showing the first 2 rows; there are more (maxRows)' });
    expect(result.rows[0][1]).toBe(9223372036854775807n);
    expect(typeof result.rows[0][0]).toBe('bigint');
  });

  it('allows reading PRAGMAs and EXPLAIN', () => {
    expect(store.reader.querySql(`PRAGMA table_info(spans)`).rows.length).toBeGreaterThan(10);
    expect(store.reader.querySql(`PRAGMA main.table_info("spans")`).rows.length).toBeGreaterThan(10);
    expect(store.reader.querySql(`  -- how big\n PRAGMA page_count`).rows).toHaveLength(1);
    expect(store.reader.querySql(`PRAGMA "query_only"`).rows).toEqual([[1]]);
    expect(store.reader.querySql(`PRAGMA table_info(no_such_table)`).rows).toEqual([]);
    expect(store.reader.querySql(`EXPLAIN QUERY PLAN SELECT * FROM spans WHERE trace_key = 1`).rows.length).toBeGreaterThan(0);
    expect(store.reader.querySql(`SELECT * FROM pragma_table_list WHERE name = 'spans'`).rows).toHaveLength(1);
    // The temp schema opens on demand; that is no setting changed.
    expect(store.reader.querySql(`SELECT count(*) FROM temp.sqlite_master`).rows).toEqual([[0]]);
  });

  it.each([
    `INSERT INTO services (name) VALUES ('x')`,
    `UPDATE spans SET name = 'x'`,
    `DELETE FROM spans`,
    `DROP TABLE spans`,
    `CREATE TABLE t (x)`,
    `CREATE TEMP TABLE t (x)`,
    `ATTACH DATABASE 'other.db' AS other`,
    `DETACH DATABASE main`,
    `PRAGMA user_version = 99`,
    `/* sneaky */ PRAGMA journal_mode=DELETE`,
    `PRAGMA cache_size(10)`,
    `PRAGMA optimize`,
    `PRAGMA wal_checkpoint(TRUNCATE)`,
    `PRAGMA no_such_pragma`,
    `VACUUM`,
    `VACUUM INTO 'copy.db'`,
    `BEGIN`,
    `SELECT 1; DELETE FROM spans`,
    `SELECT 1; SELECT 2`,
    ...SETTING_TRICKS,
  ])('refuses %s', (sql) => {
    expect(() => store.reader.querySql(sql)).toThrow(InputError);
    expect(consoleSettings()).toEqual(CONSOLE_DEFAULTS);
    expect(store.reader.stats().spans).toBe(3);
    expect(store.reader.querySql(`SELECT count(*) FROM spans`).rows).toEqual([[3]]);
  });

  it('leaves every setting as it was after the PRAGMA tricks, and the store still writes', async () => {
    for (const sql of SETTING_TRICKS) expect(() => store.reader.querySql(sql), sql).toThrow(/would change a setting/);
    expect(consoleSettings()).toEqual(CONSOLE_DEFAULTS);
    await store.write({ spans: [span({ traceId: traceId(9), spanId: spanId(9), name: 'after' })], logs: [] });
    expect(store.reader.querySql(`SELECT name FROM spans WHERE name = 'after'`).rows).toEqual([['after']]);
    await store.write({ spans: [], logs: [] });
  });

  it('names what is wrong', () => {
    expect(() => store.reader.querySql(`PRAGMA "query_only"=0`)).toThrow('SQL: only statements that read are allowed: PRAGMA "query_only"=0 would change a setting');
    expect(() => store.reader.querySql(`PRAGMA optimize`)).toThrow(/PRAGMA optimize is not one of the PRAGMAs that only read \(analysis_limit, /);
    expect(() => store.reader.querySql(`DELETE FROM spans`)).toThrow('SQL: only statements that read are allowed: DELETE FROM spans would write to the database');
    expect(() => store.reader.querySql(`ATTACH 'x.db' AS x`)).toThrow(/ATTACH 'x.db' AS x changes the connection instead of reading/);
    expect(() => store.reader.querySql(`SELECT nope FROM spans`)).toThrow(/SQL: no such column: nope/);
  });

  it.each([-1, 0, 0.5, 1e9, 100_001, Number.NaN, '10', null])('refuses maxRows %s, naming the field', (maxRows) => {
    let err: unknown;
    try {
      store.reader.querySql('SELECT 1', maxRows as number);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).where.field).toBe('maxRows');
    expect((err as InputError).message).toMatch(/^maxRows must be an integer from 1 to 100000 \(got /);
  });

  it('stops a large answer at the size limit, and says so', () => {
    const result = store.reader.querySql(
      `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) SELECT x, printf('%.100c', 'y') AS pad FROM c`,
      100_000,
    );
    expect(result.truncated).toBe(true);
    expect(result).toMatchObject({ message: expect.stringMatching(/^showing the first \d+ rows: the answer stops before 8 MiB$/) });
    expect(result.rows.length).toBeGreaterThan(10_000);
    expect(result.rows.length).toBeLessThan(100_000);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(SQL_MAX_RESULT_BYTES);
  });
});

describe('checkPragma', () => {
  it.each([
    [`SELECT 1`, false],
    [`WITH x AS (SELECT 1) SELECT * FROM x`, false],
    [`EXPLAIN SELECT 1`, false],
    [`PRAGMA page_count`, true],
    [`explain query plan pragma page_count;`, true],
    [`PRAGMA [main].\`table_info\`('spans')`, true],
  ])('%s: a PRAGMA that reads? %s', (sql, pragma) => {
    expect(checkPragma(sql)).toBe(pragma);
  });

  it.each([`PRAGMA "query_only`, `PRAGMA`, `PRAGMA query_only 0`, `PRAGMA main.`])('refuses what it cannot read: %s', (sql) => {
    expect(() => checkPragma(sql)).toThrow(InputError);
  });
});

describe('keepSettings', () => {
  it('puts back a setting a statement changed, and refuses the statement', () => {
    const db = openConnection(tmp.file('store.db'), 'console');
    try {
      const before = readSettings(db);
      db.pragma('mmap_size = 4096');
      db.pragma('query_only = 0');
      db.pragma(`temp_store_directory = '${tmp.dir}'`);
      expect(() => keepSettings(db, before, 'SELECT sneaky()')).toThrow(SettingChangedError);
      expect(() => keepSettings(db, before, 'SELECT sneaky()')).not.toThrow();
      expect(db.pragma('mmap_size', { simple: true })).toBe(0);
      expect(db.pragma('query_only', { simple: true })).toBe(1);
      expect(db.pragma('temp_store_directory', { simple: true })).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('names the settings', () => {
    const db = openConnection(tmp.file('store.db'), 'console');
    try {
      const before = readSettings(db);
      db.pragma('wal_autocheckpoint = 0');
      expect(() => keepSettings(db, before, 'SELECT sneaky()')).toThrow('SQL: only statements that read are allowed: SELECT sneaky() would change a setting (wal_autocheckpoint)');
    } finally {
      db.close();
    }
  });
});

describe('SqlConsole', () => {
  let console_: SqlConsole;
  beforeAll(() => {
    console_ = new SqlConsole(tmp.file('store.db'));
  });
  afterAll(() => console_.close());

  it('runs a query in its own process and keeps int64 exact', async () => {
    const result = await console_.run(`SELECT count(*) AS n, 9223372036854775807 AS big, x'00ff' AS blob FROM spans`);
    expect(result).toMatchObject({ columns: ['n', 'big', 'blob'], rows: [[expect.any(Number), 9223372036854775807n, new Uint8Array([0, 255])]], truncated: false });
    expect(typeof result.elapsedMs).toBe('number');
  });

  it('stops an endless query at its deadline, and answers the next one', async () => {
    const endless = console_.run(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c`, { timeoutMs: 500 });
    await expect(endless).rejects.toThrow(SqlStoppedError);
    await expect(endless).rejects.toThrow('SQL: the query was stopped at its time limit of 0.5 s; narrow it (WHERE, LIMIT) or allow it more time (timeoutMs, at most 60 s)');
    expect(console_.running).toBe(0);
    expect((await console_.run('SELECT 42')).rows).toEqual([[42]]);
  });

  it('stops a query when its signal aborts', async () => {
    const controller = new AbortController();
    const endless = console_.run(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c`, { timeoutMs: 60_000, signal: controller.signal });
    await expect.poll(() => console_.running).toBe(1);
    controller.abort();
    await expect(endless).rejects.toThrow('SQL: the query was cancelled');
    expect(console_.running).toBe(0);
  });

  it('checks its limits', async () => {
    await expect(console_.run('SELECT 1', { maxRows: -1 })).rejects.toThrow(/^maxRows must be/);
    await expect(console_.run('SELECT 1', { timeoutMs: 0 })).rejects.toThrow(/^timeoutMs must be an integer from 100 to 60000 milliseconds \(got 0\)/);
    await expect(console_.run('SELECT 1', { timeoutMs: 120_000 })).rejects.toThrow(/^timeoutMs must be/);
    await expect(console_.run(`PRAGMA "query_only"=0`)).rejects.toThrow(/would change a setting/);
  });
});
