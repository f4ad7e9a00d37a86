// The SQL console: one statement at a time on a read-only connection, results capped.
import { InputError } from '../errors';
import type { Db } from './connection';
import type { SqlResult } from './types';

export const DEFAULT_MAX_ROWS = 1000;

// PRAGMAs that take an argument but only describe the schema.
const INTROSPECTION_PRAGMAS = new Set([
  'table_info',
  'table_xinfo',
  'table_list',
  'index_info',
  'index_xinfo',
  'index_list',
  'foreign_key_list',
  'function_list',
  'pragma_list',
  'collation_list',
]);

export function querySql(db: Db, sql: string, maxRows = DEFAULT_MAX_ROWS): SqlResult {
  refuseWrites(sql);
  let stmt;
  try {
    stmt = db.prepare(sql);
  } catch (e) {
    throw new InputError(`SQL: ${(e as Error).message}`, { field: 'sql' });
  }
  // readonly: changes no file; reader: returns rows (ATTACH, BEGIN and the like return none).
  if (!stmt.readonly || !stmt.reader) {
    throw new InputError('SQL: only statements that read are allowed here (SELECT, WITH, EXPLAIN, read-only PRAGMA)', { field: 'sql' });
  }
  stmt.raw(true).safeIntegers(true);
  const rows: unknown[][] = [];
  let truncated = false;
  try {
    for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
      if (rows.length === maxRows) {
        truncated = true;
        break;
      }
      rows.push(row.map(plainValue));
    }
  } catch (e) {
    throw new InputError(`SQL: ${(e as Error).message}`, { field: 'sql' });
  }
  return { columns: stmt.columns().map((c) => c.name), rows, truncated };
}

/** Integers that fit a double come back as numbers, others stay bigint; blobs as Uint8Array. */
function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Buffer.isBuffer(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

function refuseWrites(sql: string): void {
  const text = sql.replace(/^(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  const pragma = /^pragma\s+(?:\w+\.)?(\w+)\s*([=(])?/i.exec(text);
  if (pragma && (pragma[2] === '=' || (pragma[2] === '(' && !INTROSPECTION_PRAGMAS.has(pragma[1].toLowerCase())))) {
    throw new InputError(`SQL: PRAGMA ${pragma[1]} with a value could change settings; only reading PRAGMAs are allowed`, { field: 'sql' });
  }
}
