import { encodeLog, TelemetryTables } from '../encode';
import type { Handlers } from '../dispatch';
import { parseLogQuery } from '../query';

export const logHandlers = {
  searchLogs: (ctx, { query }) => {
    const page = ctx.reader.searchLogs(parseLogQuery(query));
    const tables = new TelemetryTables();
    const items = page.items.map((l) => encodeLog(l, tables));
    return { ...tables.tables(), items, nextCursor: page.nextCursor };
  },
} satisfies Partial<Handlers>;
