import Database from 'better-sqlite3';
import { upgradeSchema } from './schema';

export type Db = Database.Database;

/** The writer's connection is opened first: it refuses a file that is not ours and brings the schema up to date. */
export function openConnection(file: string, role: 'writer' | 'reader' | 'console'): Db {
  const readonly = role !== 'writer';
  const db = new Database(file, { readonly, fileMustExist: readonly, timeout: 5000 });
  if (role === 'writer') {
    try {
      upgradeSchema(db, file);
    } catch (e) {
      db.close();
      throw e;
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
