// The SQL console through the API: queries run off the collector's thread with a deadline, limits on rows and
// bytes, PRAGMAs that would change a setting refused with the settings left as they were, and cancelling.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqlConsoleOf } from '../collector/api/handlers/sql';
import { startApiServer, type RunningApiServer } from '../collector/api/server';
import { openStore } from '../collector/store';
import { span, spanId, tempDir, traceId } from '../collector/store/testing';
import type { Store } from '../collector/store/types';
import { SQL_MAX_RESULT_BYTES, type WireError, type WireSqlResult, type WireStats } from '../common/wire';
import { repoRoot } from './corpus';

const ENDLESS = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c`;

let dir: ReturnType<typeof tempDir>;

beforeEach(() => {
  dir = tempDir();
});

afterEach(() => {
  dir.remove();
});

interface Answer<T> {
  status: number;
  body: T;
  bytes: number;
}

async function post<T>(base: string, token: string, route: string, body: unknown, signal?: AbortSignal): Promise<Answer<T>> {
  const res = await fetch(`${base}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
}

/** An OTLP/JSON request with one span, as an SDK would send it. */
function otlpSpan(name: string): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'sql-test' } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans: [{ traceId: traceId(77), spanId: spanId(77), name, kind: 2, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1_000_000n) }] }],
      },
    ],
  });
}

describe('hopscope serve with an endless query running', () => {
  let serve: ChildProcessWithoutNullStreams | undefined;

  afterEach(async () => {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((resolve) => serve!.once('exit', resolve));
      serve.kill('SIGKILL');
      await exited;
    }
    serve = undefined;
  });

  /** `hopscope serve` in a process of its own (an old console blocked its thread for good), on free loopback ports. */
  function startServe(): Promise<{ otlpHttp: string; ui: string; token: string }> {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'hopscope.mjs'), 'serve', '--db', dir.file('hopscope.db'), '--otlp-grpc', '0', '--otlp-http', '0', '--ui', '0'], {
      cwd: dir.dir,
      env: { ...process.env, HOPSCOPE_DATA_DIR: dir.dir, KUBECONFIG: '', SHELL: '' },
    });
    serve = child;
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const otlp = /OTLP\/HTTP: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        const ui = /UI: (http:\/\/127\.0\.0\.1:\d+)\/\?token=([^\s]+)/.exec(out);
        if (otlp && ui) resolve({ otlpHttp: otlp[1], ui: ui[1], token: decodeURIComponent(ui[2]) });
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
  }

  it('answers a timeout at the deadline while the receiver takes spans and the API answers', async () => {
    const { otlpHttp, ui, token } = await startServe();
    let sqlSettled = false;
    const endless = post<WireError>(ui, token, '/api/sql', { sql: ENDLESS, timeoutMs: 3000 }).finally(() => (sqlSettled = true));

    // Meanwhile: a span is accepted and the stats answer, before the query has.
    const ingest = await fetch(`${otlpHttp}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: otlpSpan('while the query runs') });
    expect(ingest.status).toBe(200);
    const stats = await fetch(`${ui}/api/stats`, { headers: { Authorization: `Bearer ${token}` } });
    expect(stats.status).toBe(200);
    const quick = await post<WireSqlResult>(ui, token, '/api/sql', { sql: `SELECT 'also' AS meanwhile` });
    expect(quick.body.rows).toEqual([['also']]);
    expect(sqlSettled).toBe(false);

    const answer = await endless;
    expect(answer.status).toBe(504);
    expect(answer.body.error).toBe('SQL: the query was stopped at its time limit of 3 s; narrow it (WHERE, LIMIT) or allow it more time (timeoutMs, at most 60 s)');

    // The span written meanwhile is there, and the console answers again.
    await expect.poll(async () => ((await (await fetch(`${ui}/api/stats`, { headers: { Authorization: `Bearer ${token}` } })).json()) as WireStats).spans).toBe(1);
    const after = await post<WireSqlResult>(ui, token, '/api/sql', { sql: `SELECT name FROM spans` });
    expect(after.body.rows).toEqual([['while the query runs']]);
  });
});

describe('the SQL console API', () => {
  const TOKEN = 'sql-console-test-token';
  let store: Store;
  let server: RunningApiServer;
  const sql = <T = WireSqlResult>(body: unknown, signal?: AbortSignal) => post<T>(server.origin, TOKEN, '/api/sql', body, signal);

  beforeEach(async () => {
    store = openStore({ path: dir.file('hopscope.db') });
    await store.write({ spans: [span({ traceId: traceId(1), spanId: spanId(1), name: 'one' })], logs: [] });
    server = await startApiServer({ host: '127.0.0.1', port: 0, token: TOKEN, store, ingest: (batch) => store.write(batch) });
  });

  afterEach(async () => {
    await server.close();
    await sqlConsoleOf(store.reader).console.close();
    await store.close();
  });

  it.each([-1, 0, 0.5, 1e9, '100'])('refuses maxRows %s with 400 naming the field', async (maxRows) => {
    const answer = await sql<WireError>({ sql: 'SELECT 1', maxRows });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^maxRows must be an integer from 1 to 100000 \(got /);
  });

  it.each([0, 99, 60_001, 2.5, 'soon'])('refuses timeoutMs %s with 400 naming the field', async (timeoutMs) => {
    const answer = await sql<WireError>({ sql: 'SELECT 1', timeoutMs });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^timeoutMs must be an integer from 100 to 60000 milliseconds \(got /);
  });

  it('cuts a 3M-row answer at the size limit and says so', async () => {
    const answer = await sql({ sql: `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) SELECT x, printf('%.100c', 'y') AS pad FROM c`, maxRows: 100_000, timeoutMs: 60_000 });
    expect(answer.status).toBe(200);
    expect(answer.body.truncated).toBe(true);
    expect(answer.body.message).toMatch(/^showing the first \d+ rows: the answer stops before 8 MiB$/);
    expect(answer.body.rows.length).toBeLessThan(100_000);
    expect(answer.body.rows.at(-1)?.[0]).toBe(answer.body.rows.length);
    expect(answer.bytes).toBeLessThanOrEqual(SQL_MAX_RESULT_BYTES);
  });

  it('cuts at maxRows and says so', async () => {
    const answer = await sql({ sql: `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) SELECT x FROM c`, maxRows: 5, timeoutMs: 60_000 });
    expect(answer.body).toMatchObject({ columns: ['x'], rows: [[1], [2], [3], [4], [5]], truncated: true, message: 'showing the first 5 rows; there are more (maxRows)' });
  });

  it('refuses every PRAGMA that would change a setting, and the settings stay as they were', async () => {
    const settings = () =>
      Object.fromEntries(['query_only', 'locking_mode', 'mmap_size', 'wal_autocheckpoint', 'temp_store_directory'].map((name) => [name, store.reader.querySql(`PRAGMA ${name}`).rows[0]?.[0] ?? null]));
    const before = settings();
    expect(before).toEqual({ query_only: 1, locking_mode: 'normal', mmap_size: 0, wal_autocheckpoint: 1000, temp_store_directory: null });
    for (const trick of [
      `PRAGMA "query_only"=0`,
      `PRAGMA [query_only] = 0`,
      'PRAGMA main.`query_only`=0',
      `PRAGMA "temp_store_directory"='${dir.dir}'`,
      `PRAGMA "locking_mode"=EXCLUSIVE`,
      `PRAGMA "mmap_size"=268435456`,
      `PRAGMA "wal_autocheckpoint"=0`,
      `EXPLAIN PRAGMA "query_only"=0`,
    ]) {
      const answer = await sql<WireError>({ sql: trick });
      expect(answer.status, trick).toBe(400);
      expect(answer.body.error, trick).toMatch(/^SQL: only statements that read are allowed: .* would change a setting$/);
    }
    expect((await sql<WireError>({ sql: `PRAGMA "query_only"=0` })).body.error).toBe('SQL: only statements that read are allowed: PRAGMA "query_only"=0 would change a setting');
    expect(settings()).toEqual(before);
    // What the console's own connections see, and the store still takes writes and readers still read.
    const seen = await sql({ sql: `SELECT (SELECT query_only FROM pragma_query_only) AS q, (SELECT locking_mode FROM pragma_locking_mode) AS l` });
    expect(seen.body.rows).toEqual([[1, 'normal']]);
    await store.write({ spans: [span({ traceId: traceId(2), spanId: spanId(2), name: 'two' })], logs: [] });
    expect((await sql({ sql: 'SELECT name FROM spans ORDER BY name' })).body.rows).toEqual([['one'], ['two']]);
  });

  it('cancels a running query by its id', async () => {
    const endless = sql<WireError>({ sql: ENDLESS, timeoutMs: 60_000, id: 'q-1' });
    const running = sqlConsoleOf(store.reader).console;
    await expect.poll(() => running.running).toBe(1);
    const busy = await sql<WireError>({ sql: 'SELECT 1', id: 'q-1' });
    expect(busy.status).toBe(409);
    expect((await post<{ cancelled: boolean }>(server.origin, TOKEN, '/api/sql/cancel', { id: 'q-1' })).body).toEqual({ cancelled: true });
    const answer = await endless;
    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe('SQL: the query was cancelled');
    expect(running.running).toBe(0);
    expect((await post<{ cancelled: boolean }>(server.origin, TOKEN, '/api/sql/cancel', { id: 'q-1' })).body).toEqual({ cancelled: false });
    expect((await sql({ sql: 'SELECT 7' })).body.rows).toEqual([[7]]);
  });

  it('stops the query when the client goes away', async () => {
    const controller = new AbortController();
    const endless = sql({ sql: ENDLESS, timeoutMs: 60_000 }, controller.signal);
    const running = sqlConsoleOf(store.reader).console;
    await expect.poll(() => running.running).toBe(1);
    controller.abort();
    await expect(endless).rejects.toThrow();
    await expect.poll(() => running.running).toBe(0);
    expect((await sql({ sql: 'SELECT 8' })).body.rows).toEqual([[8]]);
  });
});
