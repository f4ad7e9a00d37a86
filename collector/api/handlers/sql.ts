import { InputError } from '../../errors';
import type { Handlers } from '../dispatch';
import { jsonCell } from '../encode';

export const sqlHandlers = {
  querySql: (ctx, { body }) => {
    const { sql, maxRows } = (typeof body === 'object' && body !== null ? body : {}) as { sql?: unknown; maxRows?: unknown };
    if (typeof sql !== 'string' || sql.trim() === '') throw new InputError('the body must be {"sql": "SELECT …"}', { field: 'sql' });
    const result = ctx.reader.querySql(sql, typeof maxRows === 'number' ? maxRows : undefined);
    return { ...result, rows: result.rows.map((row) => row.map(jsonCell)) };
  },
} satisfies Partial<Handlers>;
