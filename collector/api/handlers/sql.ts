// The SQL console's API. Queries run in a process of their own (SqlConsole), never on this thread: a slow or endless
// one holds up neither the receivers nor the UI, stops at its deadline, and stops when its client goes away
// (the request's connection closes) or sends `POST /api/sql/cancel` with its id.
import type { IncomingMessage } from 'node:http';
import { InputError } from '../../errors';
import { SqlBusyError, SqlConsole, SqlStoppedError } from '../../store/sql-console';
import type { StoreReader } from '../../store/types';
import type { Handlers } from '../dispatch';
import { jsonCell } from '../encode';
import { HttpError } from '../http';

interface ConsoleState {
  console: SqlConsole;
  /** Running queries that were sent with an id. */
  running: Map<string, AbortController>;
}

const consoles = new WeakMap<StoreReader, ConsoleState>();

/** The console for this store's file (found through the store's own read-only console connection). */
export function sqlConsoleOf(reader: StoreReader): ConsoleState {
  let state = consoles.get(reader);
  if (!state) {
    const file = reader.querySql(`SELECT file FROM pragma_database_list WHERE name = 'main'`).rows[0]?.[0];
    if (typeof file !== 'string' || file === '') throw new Error('the SQL console needs the store to be a file');
    state = { console: new SqlConsole(file), running: new Map() };
    consoles.set(reader, state);
  }
  return state;
}

const ID = /^[A-Za-z0-9_-]{1,100}$/;

function bodyObject(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** Aborts when the client goes away before it has its answer. */
function abortOnClose(req: IncomingMessage, controller: AbortController): () => void {
  const socket = req.socket;
  const onClose = (): void => controller.abort();
  if (socket.destroyed) controller.abort();
  else socket.once('close', onClose);
  return () => socket.off('close', onClose);
}

export const sqlHandlers = {
  querySql: async (ctx, { body, req }) => {
    const { sql, maxRows, timeoutMs, id } = bodyObject(body);
    if (typeof sql !== 'string' || sql.trim() === '') throw new InputError('the body must be {"sql": "SELECT …"}', { field: 'sql' });
    if (id !== undefined && (typeof id !== 'string' || !ID.test(id))) {
      throw new InputError('id must be 1 to 100 letters, digits, "-" or "_"', { field: 'id' });
    }
    const state = sqlConsoleOf(ctx.reader);
    if (id !== undefined && state.running.has(id)) throw new HttpError(409, `a query with id ${id} is running already`);
    const controller = new AbortController();
    if (id !== undefined) state.running.set(id, controller);
    const release = abortOnClose(req, controller);
    try {
      const result = await state.console.run(sql, { maxRows, timeoutMs, signal: controller.signal });
      return { ...result, rows: result.rows.map((row) => row.map(jsonCell)) };
    } catch (e) {
      if (e instanceof SqlStoppedError) throw new HttpError(e.reason === 'timeout' ? 504 : 409, e.message);
      if (e instanceof SqlBusyError) throw new HttpError(429, e.message);
      throw e;
    } finally {
      release();
      if (id !== undefined) state.running.delete(id);
    }
  },

  cancelSql: (ctx, { body }) => {
    const { id } = bodyObject(body);
    if (typeof id !== 'string' || !ID.test(id)) throw new InputError('the body must be {"id": "…"}, the id the query was sent with', { field: 'id' });
    const controller = sqlConsoleOf(ctx.reader).running.get(id);
    controller?.abort();
    return { cancelled: controller !== undefined };
  },
} satisfies Partial<Handlers>;
