// The store: one SQLite file, a write side (group commit, retention, checkpoints, analysis results) on this
// thread or in a worker thread, a reader connection for the UI and analysis, and a read-only connection
// for the SQL console.
import { registerSearchFunctions } from './search';
import { accessSync, closeSync, constants, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors';
import { clusterHistory } from './cluster';
import { compactIfMostlyFree, DEFAULT_COMPACT_LIMITS, type CompactLimits, type Compaction } from './compact';
import { openConnection } from './connection';
import { encodeBatch, type EncodedBatch } from './encode';
import { analysisReader } from './analysis-reads';
import { findingCountsByTrace, findings, stitches } from './findings';
import { getSpan, rootPlaces, spanPlace, getTrace, getTraceOutline, getTraceSummary, logsForTrace, operations, searchTraces, services, stats } from './reads';
import { querySql } from './sql-console';
import type { Store, StoreOptions, StoreReader } from './types';
import { openWriteSide, type WriteSideOptions } from './write-side';
import { startWriterThread } from './writer-thread';

export type * from './types';
export type { CompactLimits, Compaction } from './compact';
export { compactingLine, compactionLine, DEFAULT_COMPACT_LIMITS } from './compact';
export { damagedDatabase } from './connection';
export type { ClusterChange, ListedChange, ObjectChange } from './cluster';

/** Retention defaults: keep at most 1 GiB of data and what arrived within the last 7 days. */
export const DEFAULT_MAX_BYTES = 1024 ** 3;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_PENDING_ITEMS = 200_000;

/** Compacts a store that is not open (import, once retention has trimmed what it imported); see compact.ts. */
export function compactStore(file: string, limits: CompactLimits = DEFAULT_COMPACT_LIMITS): Compaction | undefined {
  const db = openConnection(file, 'writer');
  try {
    return compactIfMostlyFree(db, limits);
  } finally {
    db.close();
  }
}

export function openStore(options: StoreOptions): Store {
  if (options.path === ':memory:' || options.path === '') {
    throw new Error('openStore: a file path is required (readers need their own connection)');
  }
  prepareDatabaseFile(options.path);
  const writeOptions: WriteSideOptions = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    maxPendingItems: options.maxPendingItems ?? DEFAULT_MAX_PENDING_ITEMS,
  };
  // Here, so that a file that is not ours, too new or damaged is refused by openStore itself, and the schema is
  // current (and a mostly empty file compacted) before the write side and the readers open it.
  const first = openConnection(options.path, 'writer', { verify: true });
  let compacted: Compaction | undefined;
  try {
    if (options.compactAtOpen !== false) compacted = compactIfMostlyFree(first, options.compactAtOpen ?? DEFAULT_COMPACT_LIMITS);
  } finally {
    first.close();
  }
  const writeSide = options.writerThread ? startWriterThread(options.path, writeOptions) : openWriteSide(options.path, writeOptions);
  const readerDb = openConnection(options.path, 'reader');
  registerSearchFunctions(readerDb);
  const consoleDb = openConnection(options.path, 'console');

  const reader: StoreReader = {
    ...analysisReader(readerDb),
    stats: () => stats(readerDb),
    getTrace: (traceId) => getTrace(readerDb, traceId),
    getTraceOutline: (traceId) => getTraceOutline(readerDb, traceId),
    getSpan: (traceId, key) => getSpan(readerDb, traceId, key),
    spanPlace: (traceId, spanId) => spanPlace(readerDb, traceId, spanId),
    rootPlaces: (traceIds) => rootPlaces(readerDb, traceIds),
    getTraceSummary: (traceId) => getTraceSummary(readerDb, traceId),
    logsForTrace: (traceId) => logsForTrace(readerDb, traceId),
    searchTraces: (q) => searchTraces(readerDb, q),
    services: () => services(readerDb),
    operations: (service) => operations(readerDb, service),
    querySql: (sql, maxRows) => querySql(consoleDb, sql, maxRows),
    findings: () => findings(readerDb),
    stitches: (traceId) => stitches(readerDb, traceId),
    findingCountsByTrace: (traceIds) => findingCountsByTrace(readerDb, traceIds),
    clusterHistory: (cluster, fromMs, toMs) => clusterHistory(readerDb, cluster, fromMs, toMs),
  };

  let closed: Promise<void> | undefined;
  const writeEncoded = (rows: EncodedBatch) => (closed ? Promise.reject(new Error(`store ${options.path} is closed`)) : writeSide.write(rows));
  return {
    write(batch) {
      let rows;
      try {
        // Encoded here: a bad span rejects only its own request, and the writer only binds values.
        rows = encodeBatch(batch);
      } catch (e) {
        return Promise.reject(e);
      }
      return writeEncoded(rows);
    },
    writeEncoded,
    overloaded: writeSide.overloaded,
    reader,
    path: options.path,
    compacted,
    connectWriter: () => writeSide.connect(),
    onCommit: writeSide.onCommit,
    recordTraceAnalyses: writeSide.recordTraceAnalyses,
    recordWindowAnalysis: writeSide.recordWindowAnalysis,
    recordClusterChanges: writeSide.recordClusterChanges,
    flush: writeSide.flush,
    catchUpSearch: writeSide.catchUpSearch,
    retention: writeSide.retention,
    setRetention: writeSide.setRetention,
    close: () =>
      (closed ??= (async () => {
        await writeSide.close();
        consoleDb.close();
        readerDb.close();
      })()),
  };
}

/**
 * Makes sure `file` can be a database, creating its folder and an empty file when they are missing (an empty
 * file is a new database to SQLite); what is in the way is refused with an InputError naming the path.
 */
function prepareDatabaseFile(file: string): void {
  const resolved = path.resolve(file);
  const refuse = (why: string) => new InputError(`cannot use ${file} as the database: ${why}; choose another file with --db`, { file });
  const existing = statOrUndefined(resolved);
  if (existing?.isDirectory()) throw refuse(`it is a folder (to keep the database in it, name a file there, e.g. ${path.join(file, 'hopscope.db')})`);
  const dir = path.dirname(resolved);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const inTheWay = fileAmongFolders(dir);
    throw refuse(inTheWay ? `${inTheWay} is a file, not a folder` : `cannot create the folder ${dir} (${errnoText(e)})`);
  }
  if (!existing) {
    try {
      closeSync(openSync(resolved, 'wx', 0o644));
    } catch (e) {
      // EEXIST: another process created it meanwhile, which is as good.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw refuse(`cannot create a file in ${dir} (${errnoText(e)})`);
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw refuse(`the folder ${dir} is not writable (${errnoText(e)}), and SQLite keeps its -wal and -shm files beside the database`);
  }
  try {
    accessSync(resolved, constants.R_OK | constants.W_OK);
  } catch (e) {
    throw refuse(`the file is not readable and writable (${errnoText(e)})`);
  }
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** The nearest of `dir` and its parents that exists as something other than a folder. */
function fileAmongFolders(dir: string): string | undefined {
  for (let p = dir; ; p = path.dirname(p)) {
    const st = statOrUndefined(p);
    if (st) return st.isDirectory() ? undefined : p;
    if (path.dirname(p) === p) return undefined;
  }
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a parent is not a folder';
    default:
      return err.code ?? err.message;
  }
}
