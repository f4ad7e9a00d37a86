// The SQL console: one statement that only reads, with limits on rows, bytes and time.
//
// What may run is decided by SQLite, not by matching text: the statement must be one that `sqlite3_stmt_readonly`
// calls read-only and that returns rows (`stmt.readonly`, `stmt.reader`), on a connection opened read-only with
// query_only set. PRAGMAs are the exception SQLite leaves to us: many of them change a setting while the statement is
// being *prepared* (`PRAGMA "query_only"=0`, `EXPLAIN PRAGMA mmap_size=…`) and still count as read-only. So a
// statement that is a PRAGMA is recognised with SQLite's own tokens before it is prepared, and only names from a list
// of PRAGMAs that read may pass, never with a value. After preparing and after running, the connection's settings are
// read back; a statement that changed one is refused and the setting put back.
//
// `querySql` does all that on the connection it is given. The UI's console (`SqlConsole`) runs it in a process of
// its own (./sql-console-worker.ts), on a fresh read-only connection per query: SQLite cannot be interrupted while it
// is inside one step (better-sqlite3 exposes neither sqlite3_interrupt nor a progress handler, and a worker thread
// stuck there survives Worker.terminate() and even process.exit), but a process can be killed. A query that runs
// past its deadline, or that the user cancels, is stopped that way, and neither ingest nor the UI waits for it.
import Database from 'better-sqlite3';
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SQL_DEFAULT_MAX_ROWS, SQL_DEFAULT_TIMEOUT_MS, SQL_MAX_RESULT_BYTES, SQL_MAX_ROWS, SQL_MAX_TIMEOUT_MS, SQL_MIN_TIMEOUT_MS } from '../../common/wire';
import { InputError } from '../errors';
import type { Db } from './connection';
import type { SqlResult } from './types';

export const DEFAULT_MAX_ROWS = SQL_DEFAULT_MAX_ROWS;

export interface SqlConsoleResult extends SqlResult {
  /** Why rows were left out, when `truncated`. */
  message?: string;
  elapsedMs?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Limits

/** maxRows as asked for: an integer from 1 to SQL_MAX_ROWS, else an InputError naming the field. */
export function checkMaxRows(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= SQL_MAX_ROWS) return value;
  throw new InputError(`maxRows must be an integer from 1 to ${SQL_MAX_ROWS} (got ${shown(value)})`, { field: 'maxRows' });
}

/** timeoutMs as asked for: an integer from SQL_MIN_TIMEOUT_MS to SQL_MAX_TIMEOUT_MS, else an InputError naming the field. */
export function checkTimeoutMs(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= SQL_MIN_TIMEOUT_MS && value <= SQL_MAX_TIMEOUT_MS) return value;
  throw new InputError(`timeoutMs must be an integer from ${SQL_MIN_TIMEOUT_MS} to ${SQL_MAX_TIMEOUT_MS} milliseconds (got ${shown(value)})`, { field: 'timeoutMs' });
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return typeof value;
}

// ---------------------------------------------------------------------------------------------------------------
// One statement on one connection

/** A statement that changed a setting of its connection; the connection (or process) that ran it should not be trusted further. */
export class SettingChangedError extends InputError {
  override name = 'SettingChangedError';
}

const REFUSED = 'SQL: only statements that read are allowed';
const ENVELOPE_BYTES = 512;

/**
 * Runs one statement that only reads and returns at most `maxRows` rows and about `maxBytes` of JSON.
 * Anything else (a write, ATTACH, BEGIN, a PRAGMA that is not on the reading list or that is given a value,
 * more than one statement, bad SQL) is refused with an InputError that names what is wrong.
 */
export function querySql(db: Db, sql: string, maxRows: unknown = DEFAULT_MAX_ROWS, maxBytes = SQL_MAX_RESULT_BYTES): SqlConsoleResult {
  const rowLimit = checkMaxRows(maxRows);
  if (typeof sql !== 'string' || sql.trim() === '') throw new InputError('SQL: the statement is empty', { field: 'sql' });
  const pragma = checkPragma(sql);
  const before = readSettings(db);
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (e) {
    throw new InputError(`SQL: ${(e as Error).message}`, { field: 'sql' });
  } finally {
    keepSettings(db, before, sql);
  }
  if (!stmt.readonly) throw new InputError(`${REFUSED}: ${statementHead(sql)} would write to the database`, { field: 'sql' });
  if (!stmt.reader) {
    // An allowed PRAGMA may have nothing to say (table_info of a table that does not exist).
    if (pragma) return { columns: [], rows: [], truncated: false };
    throw new InputError(`${REFUSED}: ${statementHead(sql)} changes the connection instead of reading (it returns no rows)`, { field: 'sql' });
  }
  stmt.raw(true).safeIntegers(true);
  const columns = stmt.columns().map((c) => c.name);
  const rows: unknown[][] = [];
  // What the answer holds besides columns and rows: its keys, `truncated`, the message, elapsedMs.
  let bytes = ENVELOPE_BYTES + jsonSize(columns);
  let message: string | undefined;
  try {
    for (const raw of stmt.iterate() as IterableIterator<unknown[]>) {
      if (rows.length === rowLimit) {
        message = `showing the first ${rowLimit} ${rowLimit === 1 ? 'row' : 'rows'}; there are more (maxRows)`;
        break;
      }
      const row = raw.map(plainValue);
      bytes += rowSize(row, maxBytes - bytes);
      if (bytes > maxBytes) {
        message = `showing the first ${rows.length} ${rows.length === 1 ? 'row' : 'rows'}: the answer stops before ${formatBytes(maxBytes)}`;
        break;
      }
      rows.push(row);
    }
  } catch (e) {
    throw new InputError(`SQL: ${(e as Error).message}`, { field: 'sql' });
  } finally {
    keepSettings(db, before, sql);
  }
  return message === undefined ? { columns, rows, truncated: false } : { columns, rows, truncated: true, message };
}

/** Integers that fit a double come back as numbers, others stay bigint; blobs as Uint8Array. */
function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Buffer.isBuffer(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

/** Characters JSON escapes, or that take more than one byte in UTF-8. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;

/** Bytes of a row in the API's JSON (bigints as strings, blobs as base64); past `room`, any number over it. */
function rowSize(row: readonly unknown[], room: number): number {
  let size = 2 + Math.max(0, row.length - 1) + 1;
  for (const v of row) {
    if (size > room) return size;
    if (v === null || v === undefined) size += 4;
    else if (typeof v === 'number') size += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'bigint') size += v.toString().length + 2;
    else if (v instanceof Uint8Array) size += Math.ceil(v.byteLength / 3) * 4 + 2;
    else if (typeof v === 'string') size += v.length > room ? v.length : NEEDS_ESCAPE.test(v) ? Buffer.byteLength(JSON.stringify(v)) : v.length + 2;
    else size += jsonSize(v);
  }
  return size;
}

function jsonSize(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v) ?? 'null');
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`;
}

/** The first words of the statement, for messages. */
function statementHead(sql: string): string {
  const text = sql.slice(skipBlank(sql, 0)).replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// PRAGMAs

/** PRAGMAs that only report (schema, file, settings); none of them may be given a value. */
const READING_PRAGMAS = new Set([
  'analysis_limit',
  'application_id',
  'auto_vacuum',
  'automatic_index',
  'busy_timeout',
  'cache_size',
  'cache_spill',
  'cell_size_check',
  'checkpoint_fullfsync',
  'collation_list',
  'compile_options',
  'data_version',
  'database_list',
  'defer_foreign_keys',
  'encoding',
  'foreign_key_check',
  'foreign_key_list',
  'foreign_keys',
  'freelist_count',
  'fullfsync',
  'function_list',
  'hard_heap_limit',
  'ignore_check_constraints',
  'index_info',
  'index_list',
  'index_xinfo',
  'integrity_check',
  'journal_mode',
  'journal_size_limit',
  'legacy_alter_table',
  'locking_mode',
  'max_page_count',
  'mmap_size',
  'module_list',
  'page_count',
  'page_size',
  'pragma_list',
  'query_only',
  'quick_check',
  'read_uncommitted',
  'recursive_triggers',
  'reverse_unordered_selects',
  'schema_version',
  'secure_delete',
  'soft_heap_limit',
  'synchronous',
  'table_info',
  'table_list',
  'table_xinfo',
  'temp_store',
  'temp_store_directory',
  'threads',
  'trusted_schema',
  'user_version',
  'wal_autocheckpoint',
]);

/** Of those, the ones whose argument in parentheses names what to describe (a table, an index, a row limit). */
const DESCRIBING_PRAGMAS = new Set(['table_info', 'table_xinfo', 'table_list', 'index_info', 'index_xinfo', 'index_list', 'foreign_key_list', 'foreign_key_check', 'integrity_check', 'quick_check']);

/**
 * When the statement is a PRAGMA (possibly under EXPLAIN), refuses it unless it reads; returns whether it is one.
 * Read with SQLite's tokens: blanks are space, tab, CR, LF and FF; comments are `--…` and `/* … *\/`; empty statements
 * (`;`) are skipped; a name is bare or quoted with "", [], `` or ''; a schema may prefix it.
 */
export function checkPragma(sql: string): boolean {
  let i = skipBlankAndEmpty(sql, 0);
  let word = readWord(sql, i);
  if (word?.toLowerCase() === 'explain') {
    i = skipBlank(sql, i + word.length);
    word = readWord(sql, i);
    if (word?.toLowerCase() === 'query') {
      i = skipBlank(sql, i + word.length);
      const plan = readWord(sql, i);
      if (plan?.toLowerCase() !== 'plan') return false; // a syntax error, which SQLite reports before doing anything
      i = skipBlank(sql, i + plan.length);
      word = readWord(sql, i);
    }
  }
  if (word?.toLowerCase() !== 'pragma') return false;
  const start = i;
  i = skipBlank(sql, i + word.length);
  let name = readName(sql, i);
  if (name) {
    i = skipBlank(sql, name.end);
    if (sql[i] === '.') {
      name = readName(sql, skipBlank(sql, i + 1));
      if (name) i = skipBlank(sql, name.end);
    }
  }
  if (!name) throw new InputError(`${REFUSED}: cannot tell which setting ${quoteHead(sql, start, sql.length)} is about`, { field: 'sql' });
  const key = asciiLower(name.value);
  const next = sql[i];
  const head = quoteHead(sql, start, next === '=' || next === '(' ? pragmaEnd(sql, i) : i);
  if (next === '=') throw new InputError(`${REFUSED}: ${head} would change a setting`, { field: 'sql' });
  if (!READING_PRAGMAS.has(key)) {
    throw new InputError(`${REFUSED}: ${head} is not one of the PRAGMAs that only read (${[...READING_PRAGMAS].join(', ')})`, { field: 'sql' });
  }
  if (next === '(' && !DESCRIBING_PRAGMAS.has(key)) throw new InputError(`${REFUSED}: ${head} would change a setting`, { field: 'sql' });
  if (next !== undefined && next !== ';' && next !== '(') throw new InputError(`${REFUSED}: cannot tell what ${head} does`, { field: 'sql' });
  return true;
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Past the value of `= value` or `(value)`, for messages. */
function pragmaEnd(sql: string, i: number): number {
  const end = sql.indexOf(sql[i] === '(' ? ')' : ';', i);
  return end < 0 ? sql.length : sql[i] === '(' ? end + 1 : end;
}

function quoteHead(sql: string, start: number, end: number): string {
  const text = sql.slice(start, end).trim().replace(/\s+/g, ' ');
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

const BLANK = new Set([' ', '\t', '\n', '\f', '\r']);

function skipBlank(sql: string, i: number): number {
  for (;;) {
    if (BLANK.has(sql[i])) i++;
    else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else return i;
  }
}

function skipBlankAndEmpty(sql: string, i: number): number {
  for (;;) {
    i = skipBlank(sql, i);
    if (sql[i] !== ';') return i;
    i++;
  }
}

/** A bare word (letters, digits, `_`, `$`, anything past ASCII), as SQLite reads keywords and plain names. */
function readWord(sql: string, i: number): string | undefined {
  const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i, i + 200));
  return m?.[0];
}

const QUOTES: Record<string, string> = { '"': '"', "'": "'", '`': '`', '[': ']' };

/** A name, bare or quoted (a doubled quote inside stands for one; [] has no escape). */
function readName(sql: string, i: number): { value: string; end: number } | undefined {
  const close = QUOTES[sql[i]];
  if (!close) {
    const word = readWord(sql, i);
    return word ? { value: word, end: i + word.length } : undefined;
  }
  let value = '';
  for (let j = i + 1; j < sql.length; j++) {
    if (sql[j] !== close) value += sql[j];
    else if (close !== ']' && sql[j + 1] === close) value += sql[j++];
    else return { value, end: j + 1 };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings, read back after every statement

/** The connection's settings a PRAGMA could change (and that can be read back), with how to put each back. */
const SETTINGS = [
  'query_only',
  'locking_mode',
  'mmap_size',
  'wal_autocheckpoint',
  'cache_size',
  'cache_spill',
  'temp_store',
  'temp_store_directory',
  'busy_timeout',
  'journal_size_limit',
  'soft_heap_limit',
  'hard_heap_limit',
  'threads',
  'analysis_limit',
  'automatic_index',
  'cell_size_check',
  'checkpoint_fullfsync',
  'defer_foreign_keys',
  'foreign_keys',
  'fullfsync',
  'ignore_check_constraints',
  'legacy_alter_table',
  'read_uncommitted',
  'recursive_triggers',
  'reverse_unordered_selects',
  'secure_delete',
  'synchronous',
  'trusted_schema',
  'max_page_count',
] as const;

type Settings = Map<string, unknown>;

/** Exported for tests. */
export function readSettings(db: Db): Settings {
  const settings: Settings = new Map();
  for (const name of SETTINGS) settings.set(name, db.pragma(name, { simple: true }));
  // An ATTACH would add a schema (and is refused anyway: it returns no rows). The temp schema comes and goes as
  // statements need it (`SELECT * FROM temp.sqlite_master`).
  const schemas = db.pragma('database_list') as { name: string; file: string }[];
  settings.set('database_list', JSON.stringify(schemas.filter((s) => s.name !== 'temp')));
  return settings;
}

/** Refuses the statement when it changed a setting, after putting the setting back. Exported for tests. */
export function keepSettings(db: Db, before: Settings, sql: string): void {
  const after = readSettings(db);
  const changed = [...before.keys()].filter((name) => after.get(name) !== before.get(name));
  if (changed.length === 0) return;
  for (const name of changed) {
    if (name === 'database_list') continue;
    const value = before.get(name);
    try {
      // temp_store_directory reads back as nothing when unset, and '' unsets it
      const literal = typeof value === 'number' || typeof value === 'bigint' ? String(value) : `'${String(value ?? '').replace(/'/g, "''")}'`;
      db.pragma(`${name} = ${literal}`);
    } catch (e) {
      console.error(`sql console: could not put ${name} back to ${String(value)}`, e);
    }
  }
  throw new SettingChangedError(`${REFUSED}: ${statementHead(sql)} would change a setting (${changed.join(', ')})`, { field: 'sql' });
}

// ---------------------------------------------------------------------------------------------------------------
// In a process of its own

/** What the console's process is sent: one query. */
export interface ConsoleRequest {
  file: string;
  sql: string;
  maxRows: number;
  maxBytes: number;
  timeoutMs: number;
}

/** What it answers: `started` when the query begins, then the outcome. */
export type ConsoleReply =
  | { kind: 'started' }
  | { kind: 'result'; result: SqlConsoleResult }
  | { kind: 'refused'; message: string; field?: string; settingChanged: boolean }
  | { kind: 'failed'; message: string };

/** The console process's side: the query on a fresh read-only connection, closed before answering. */
export function answerConsoleRequest(request: ConsoleRequest): Exclude<ConsoleReply, { kind: 'started' }> {
  let db: Db | undefined;
  try {
    db = new Database(request.file, { readonly: true, fileMustExist: true });
    db.pragma('query_only = ON');
    const started = performance.now();
    const result = querySql(db, request.sql, request.maxRows, request.maxBytes);
    return { kind: 'result', result: { ...result, elapsedMs: Math.round(performance.now() - started) } };
  } catch (e) {
    if (e instanceof InputError) return { kind: 'refused', message: e.message, field: e.where.field, settingChanged: e instanceof SettingChangedError };
    return { kind: 'failed', message: `SQL: ${(e as Error).message}` };
  } finally {
    db?.close();
  }
}

/** A query stopped before it answered: past its deadline, or cancelled. */
export class SqlStoppedError extends Error {
  override name = 'SqlStoppedError';
  constructor(
    readonly reason: 'timeout' | 'cancelled',
    timeoutMs: number,
  ) {
    super(
      reason === 'timeout'
        ? `SQL: the query was stopped at its time limit of ${formatSeconds(timeoutMs)}; narrow it (WHERE, LIMIT) or allow it more time (timeoutMs, at most ${formatSeconds(SQL_MAX_TIMEOUT_MS)})`
        : 'SQL: the query was cancelled',
    );
  }
}

/** Too many queries at once. */
export class SqlBusyError extends Error {
  override name = 'SqlBusyError';
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export const MAX_RUNNING_QUERIES = 4;
/** A process that answered waits this long for the next query before it ends. */
const IDLE_MS = 60_000;
/** How long a process may take to start (a checkout's first start compiles TypeScript). */
const START_MS = 30_000;
/** V8 heap of a console process: rows are capped at SQL_MAX_RESULT_BYTES of JSON, so this is ample. */
const HEAP_MB = 256;

export interface SqlRunOptions {
  maxRows?: unknown;
  timeoutMs?: unknown;
  /** Aborting stops the query (the process running it is killed). */
  signal?: AbortSignal;
}

interface ConsoleProcess {
  child: ChildProcess;
  idleTimer?: NodeJS.Timeout;
}

const everyProcess = new Set<ChildProcess>();
let exitHook = false;

/** Runs console queries for the database `file`, each in a process that is killed when it runs too long or is cancelled. */
export class SqlConsole {
  private readonly idle: ConsoleProcess[] = [];
  private readonly busy = new Set<ConsoleProcess>();
  private closed = false;

  constructor(private readonly file: string) {}

  /** Queries running now. */
  get running(): number {
    return this.busy.size;
  }

  async run(sql: string, options: SqlRunOptions = {}): Promise<SqlConsoleResult> {
    const maxRows = checkMaxRows(options.maxRows ?? DEFAULT_MAX_ROWS);
    const timeoutMs = checkTimeoutMs(options.timeoutMs ?? SQL_DEFAULT_TIMEOUT_MS);
    if (typeof sql !== 'string' || sql.trim() === '') throw new InputError('SQL: the statement is empty', { field: 'sql' });
    // Refused here already, so that a PRAGMA that would change a setting never reaches a connection at all.
    checkPragma(sql);
    if (this.closed) throw new Error('the SQL console is closed');
    const { signal } = options;
    if (signal?.aborted) throw new SqlStoppedError('cancelled', timeoutMs);
    if (this.busy.size >= MAX_RUNNING_QUERIES) {
      throw new SqlBusyError(`SQL: ${MAX_RUNNING_QUERIES} queries are running already; wait for one to finish or cancel it`);
    }
    const proc = this.take();
    this.busy.add(proc);
    const { child } = proc;
    const request: ConsoleRequest = { file: this.file, sql, maxRows, maxBytes: SQL_MAX_RESULT_BYTES, timeoutMs };

    return new Promise<SqlConsoleResult>((resolve, reject) => {
      let timer = setTimeout(() => stop(new Error('SQL: the console process did not start')), START_MS);
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        child.off('message', onMessage);
        child.off('exit', onExit);
        this.busy.delete(proc);
      };
      const stop = (err: Error): void => {
        finish();
        this.kill(child);
        reject(err);
      };
      const onAbort = (): void => stop(new SqlStoppedError('cancelled', timeoutMs));
      const onExit = (code: number | null, sig: NodeJS.Signals | null): void => {
        finish();
        reject(new Error(`SQL: the console process stopped (${sig ?? `exit code ${code}`}); the query may need more memory than it may use`));
      };
      const onMessage = (reply: ConsoleReply): void => {
        switch (reply.kind) {
          case 'started':
            clearTimeout(timer);
            timer = setTimeout(() => stop(new SqlStoppedError('timeout', timeoutMs)), timeoutMs);
            return;
          case 'result':
            finish();
            this.release(proc);
            return resolve(reply.result);
          case 'refused':
            finish();
            // A statement that changed a setting may have changed one of the whole process (temp_store_directory).
            if (reply.settingChanged) this.kill(child);
            else this.release(proc);
            return reject(new InputError(reply.message, { field: reply.field }));
          case 'failed':
            finish();
            this.release(proc);
            return reject(new Error(reply.message));
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(request, (err) => {
        if (err) stop(new Error(`SQL: could not reach the console process: ${err.message}`));
      });
    });
  }

  /** Stops every query and process. */
  close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy].map((p) => p.child);
    this.idle.length = 0;
    return Promise.all(
      all.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            this.kill(child);
          }),
      ),
    ).then(() => undefined);
  }

  private take(): ConsoleProcess {
    for (let proc = this.idle.pop(); proc; proc = this.idle.pop()) {
      clearTimeout(proc.idleTimer);
      if (proc.child.connected) {
        proc.child.ref();
        proc.child.channel?.ref();
        return proc;
      }
    }
    return { child: startConsoleProcess() };
  }

  /** Keeps one answered process for the next query; it must not keep this process alive. */
  private release(proc: ConsoleProcess): void {
    if (this.closed || this.idle.length > 0 || !proc.child.connected) return this.kill(proc.child);
    proc.child.unref();
    proc.child.channel?.unref();
    proc.idleTimer = setTimeout(() => {
      const at = this.idle.indexOf(proc);
      if (at >= 0) this.idle.splice(at, 1);
      this.kill(proc.child);
    }, IDLE_MS).unref();
    this.idle.push(proc);
  }

  private kill(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The worker module beside this one: its TypeScript through tsx in a checkout, the built .cjs in a bundle. */
function consoleEntry(): { file: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { file: fileURLToPath(new URL('./sql-console-worker.ts', here)), execArgv: ['--import', tsx] };
  }
  return { file: path.join(path.dirname(fileURLToPath(here)), 'sql-console-worker.cjs'), execArgv: [] };
}

function startConsoleProcess(): ChildProcess {
  const entry = consoleEntry();
  const child = fork(entry.file, [], {
    execArgv: [...entry.execArgv, `--max-old-space-size=${HEAP_MB}`],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Electron's binary runs as Node only when told so (the collector runs in Electron's utility process).
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    windowsHide: true,
  });
  everyProcess.add(child);
  child.once('exit', () => everyProcess.delete(child));
  child.on('error', (err) => console.error('sql console: the console process failed', err));
  if (!exitHook) {
    exitHook = true;
    // A query in progress does not notice this process end until it reaches its own deadline: end it now.
    process.once('exit', () => {
      for (const c of everyProcess) c.kill('SIGKILL');
    });
  }
  return child;
}
