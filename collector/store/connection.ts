import Database from 'better-sqlite3';
import { InputError } from '../errors';
import { upgradeSchema } from './schema';

export type Db = Database.Database;

/**
 * Databases up to this size are read through by `PRAGMA quick_check` when a store opens (about 0.5 s per
 * 100 MiB measured); larger ones are not, and damage shows when a damaged page is read.
 */
export const VERIFY_MAX_BYTES = 128 * 2 ** 20;

/**
 * The writer's connection is opened first: it refuses a file that is not ours and brings the schema up to date;
 * with `verify`, it also refuses a damaged database (see VERIFY_MAX_BYTES).
 */
export function openConnection(file: string, role: 'writer' | 'reader' | 'console', checks: { verify?: boolean } = {}): Db {
  const readonly = role !== 'writer';
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly, timeout: 5000 });
  } catch (e) {
    throw cannotOpen(file, e);
  }
  if (role === 'writer') {
    try {
      if (checks.verify) verifyIntegrity(db, file);
      upgradeSchema(db, file);
    } catch (e) {
      db.close();
      throw cannotOpen(file, e);
    }
    // WAL (set by the schema step) + NORMAL: a commit reaches the OS before it is acknowledged, so it survives a crash of the process.
    db.pragma('synchronous = NORMAL');
    // Rows are appended (span rowids, trace keys and start times grow), so commits touch few pages besides the
    // new ones: 16 MiB of page cache writes as fast as 64 MiB did under bench/ingest.ts, and serve's peak
    // RSS fell from 275–344 MB to 223–267 MB.
    db.pragma('cache_size = -16384');
  } else {
    db.pragma('query_only = ON');
  }
  db.pragma('temp_store = MEMORY');
  return db;
}

/** SQLite's refusals to open or write the file, as what to do about them; other errors as they are. */
function cannotOpen(file: string, e: unknown): unknown {
  const code = (e as { code?: string }).code ?? '';
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new InputError(
      `cannot open ${file} as the database (SQLite: ${(e as Error).message}); its folder must be writable (SQLite keeps ${file}-wal and ${file}-shm beside it), or choose another file with --db`,
      { file },
    );
  }
  return e;
}

/** Refuses a database whose pages are damaged, when it is small enough to read through at open. */
function verifyIntegrity(db: Db, file: string): void {
  let problems: string;
  try {
    const bytes = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    if (bytes > VERIFY_MAX_BYTES) return;
    // One row of lines, or a row per problem, depending on the SQLite version.
    const found = (db.pragma('quick_check(2)') as { quick_check: string }[])
      .flatMap((r) => r.quick_check.split('\n'))
      .filter((line) => line && !line.startsWith('*** in database'));
    problems = found.length > 1 ? `${found[0]}, and more` : (found[0] ?? 'ok');
  } catch (e) {
    // A file that is not SQLite at all is refused, with its own message, by the schema step.
    if ((e as { code?: string }).code === 'SQLITE_NOTADB') return;
    if ((e as { code?: string }).code !== 'SQLITE_CORRUPT') throw e;
    problems = (e as Error).message;
  }
  if (problems !== 'ok') throw damagedDatabase(file, problems);
}

/** The message for a database SQLite found damaged, at open or later when a damaged page was read. */
export function damagedDatabase(file: string, detail: string): InputError {
  return new InputError(
    `the database ${file} is damaged (${detail}); move it aside and start a new one (\`sqlite3 ${file} .recover\` may save what is readable), or choose another file with --db`,
    { file },
  );
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * The connection's prepared statement for this SQL, prepared once. Integers come back as bigint
 * (nanosecond timestamps need all 64 bits); callers turn small ones into numbers.
 */
export function prepared<P extends unknown[] = unknown[], R = unknown>(db: Db, sql: string): Database.Statement<P, R> {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = db.prepare(sql).safeIntegers(true)));
  return stmt as Database.Statement<P, R>;
}

/** Rows per multi-row INSERT: one call into SQLite binds this many (16 to 64 measured alike, a little ahead of one row a call). */
export const ROWS_PER_INSERT = 32;

/**
 * `${head} VALUES (…),(…),… ${tail}` over `values`, a flat array of `width` values per row, in statements
 * of ROWS_PER_INSERT rows and then halving sizes for the rest, each prepared once.
 */
export function insertRows(db: Db, head: string, width: number, values: readonly unknown[], tail = ''): void {
  const rows = values.length / width;
  let done = 0;
  for (let size = ROWS_PER_INSERT; size >= 1; size >>= 1) {
    if (rows - done < size) continue;
    const stmt = prepared(db, `${head} VALUES ${`,(${'?,'.repeat(width - 1)}?)`.repeat(size).slice(1)} ${tail}`);
    const params = new Array<unknown>(size * width);
    for (; rows - done >= size; done += size) {
      const offset = done * width;
      for (let i = 0; i < params.length; i++) params[i] = values[offset + i];
      stmt.run(params);
    }
  }
}
