import { InputError } from '../errors';
import type Database from 'better-sqlite3';
import { migrations } from './migrations';

// The connection's type, named here so that schema.ts and connection.ts do not import each other.
type Db = Database.Database;

/** `PRAGMA application_id` of a Hopscope database: 'HOPS'. */
export const APPLICATION_ID = 0x484f5053;

export const SCHEMA_VERSION = migrations.length;

/** Refuses a file that is not a Hopscope database or is newer than this build, then applies pending migrations. */
export function upgradeSchema(db: Db, file: string): void {
  const { applicationId, version, tables } = identify(db, file);
  if (applicationId !== APPLICATION_ID && (applicationId !== 0 || tables > 0)) {
    throw new InputError(
      `${file} is a SQLite database but not a Hopscope one (application_id ${applicationId}, ${tables} tables); ` +
        'choose another file with --db',
      { file },
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new InputError(
      `${file} was written by a newer Hopscope (schema version ${version}; this one reads up to ${SCHEMA_VERSION}); ` +
        'upgrade Hopscope or choose another file with --db',
      { file },
    );
  }
  db.pragma('journal_mode = WAL');
  for (const m of migrations.slice(version)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
      if (m.version === 1) db.pragma(`application_id = ${APPLICATION_ID}`);
    })();
  }
}

function identify(db: Db, file: string): { applicationId: number; version: number; tables: number } {
  try {
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      version: db.pragma('user_version', { simple: true }) as number,
      tables: (db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'`).get() as { n: number }).n,
    };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new InputError(`${file} is not a SQLite database (${(e as Error).message}); choose another file with --db`, { file });
    }
    throw e;
  }
}

if (migrations.some((m, i) => m.version !== i + 1)) {
  throw new Error('collector/store/migrations.ts: versions must be 1, 2, 3… in order');
}
