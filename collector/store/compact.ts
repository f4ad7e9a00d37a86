// Returning freed space to the disk. Retention deletes rows and SQLite keeps the freed pages for new ones: a store
// at its size limit reuses them as it goes, but one whose limit was lowered, or that age trimmed after a quiet
// spell, keeps a file far larger than its data. auto_vacuum would return pages as they are freed, but its
// pointer map cost 7 % of ingest (measured, session 6); so instead a store whose file is mostly free pages is
// compacted when it is opened, before anything is received, and ingest never waits for it.
import { formatSize } from '../../common/retention';
import type { Db } from './connection';

export interface CompactLimits {
  /** Free pages worth at least this many bytes... */
  minFreeBytes: number;
  /** ...and at least this share of the file. */
  minFreeShare: number;
  /** Told before the rewrite starts, which blocks this thread (1–2 s per 100 MB kept; measured: 176 MB in 2–3 s). */
  onStart?: (freeBytes: number, fileBytes: number) => void;
}

/** 64 MiB and a quarter of the file: below that, what new data reuses is not worth a rewrite. */
export const DEFAULT_COMPACT_LIMITS: CompactLimits = { minFreeBytes: 64 * 2 ** 20, minFreeShare: 0.25 };

export interface Compaction {
  beforeBytes: number;
  afterBytes: number;
  ms: number;
}

/**
 * VACUUMs the database on the writer connection when its free pages pass both limits; returns what it did, or
 * undefined when there was nothing worth doing or another process holds the file (it then waits its turn: the
 * next open). Blocks the calling thread for the rewrite (see CompactLimits.onStart).
 */
export function compactIfMostlyFree(db: Db, limits: CompactLimits): Compaction | undefined {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const beforeBytes = (db.pragma('page_count', { simple: true }) as number) * pageSize;
  const freeBytes = (db.pragma('freelist_count', { simple: true }) as number) * pageSize;
  if (freeBytes < limits.minFreeBytes || freeBytes < beforeBytes * limits.minFreeShare) return undefined;
  limits.onStart?.(freeBytes, beforeBytes);
  const started = performance.now();
  // VACUUM builds the new database in a temporary one first: in a file (the system's temp folder), not in memory,
  // where the connections keep their temporary tables, or the rewrite would hold all that is kept in RAM
  const tempStore = db.pragma('temp_store', { simple: true }) as number;
  db.pragma('temp_store = FILE');
  try {
    db.exec('VACUUM');
    // in WAL mode the rewrite goes through the log; the file shrinks when it is checkpointed
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw e;
  } finally {
    db.pragma(`temp_store = ${tempStore}`);
  }
  const afterBytes = (db.pragma('page_count', { simple: true }) as number) * pageSize;
  return { beforeBytes, afterBytes, ms: performance.now() - started };
}

/** Said before a compaction, which holds up what follows (serve, import, the desktop app's start). */
export function compactingLine(freeBytes: number, fileBytes: number): string {
  return `Compacting the database: ${formatSize(freeBytes)} of its ${formatSize(fileBytes)} are pages retention freed…`;
}

/** What compacting the database returned to the disk. */
export function compactionLine(c: Compaction): string {
  return `Compacted the database: ${formatSize(c.beforeBytes)} → ${formatSize(c.afterBytes)} (pages retention had freed, returned to the disk) in ${(c.ms / 1000).toFixed(1)} s`;
}
