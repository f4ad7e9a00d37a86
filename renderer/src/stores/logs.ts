import { create } from 'zustand';
import type { WireLog, WireResource, WireScope } from '../../../common/wire';
import { api } from '../api';
import type { LogFilter } from '../api/client';
import { pagedSearch, type PageOf, type PagedResults } from './paged';

const PAGE = 200;

/** A log with its resource and scope looked up, so rows from different pages can sit in one list. */
export interface LogRow {
  log: WireLog;
  resource: WireResource;
  scope: WireScope;
}

interface LogsState extends PagedResults<LogRow> {
  filter: LogFilter;
  /** Index into items, or -1. */
  selected: number;
  setFilter(patch: Partial<LogFilter>): void;
  search(): Promise<void>;
  loadMore(): Promise<void>;
  select(index: number): void;
}

async function fetchPage(filter: LogFilter, cursor?: string): Promise<PageOf<LogRow>> {
  const page = await api.searchLogs(filter, { limit: PAGE, cursor });
  return { items: page.items.map((log) => ({ log, resource: page.resources[log.resource], scope: page.scopes[log.scope] })), nextCursor: page.nextCursor };
}

export const useLogs = create<LogsState>()((set, get, store) => {
  const { search, loadMore } = pagedSearch<LogRow, LogsState>(store, (cursor) => fetchPage(get().filter, cursor), { reset: { selected: -1 } });
  return {
    filter: {},
    items: [],
    loading: false,
    selected: -1,

    setFilter(patch) {
      const filter: LogFilter = { ...get().filter, ...patch };
      for (const k of Object.keys(filter) as (keyof LogFilter)[]) if (filter[k] === undefined || filter[k] === '') delete filter[k];
      // The same filter again (the text field's debounce on opening, a route without a trace) is no new search:
      // one would drop the row the user selected meanwhile.
      const before = get().filter;
      const keys = Object.keys(filter) as (keyof LogFilter)[];
      if (keys.length === Object.keys(before).length && keys.every((k) => filter[k] === before[k])) return;
      set({ filter });
    },

    select: (selected) => set({ selected }),
    search,
    loadMore,
  };
});
