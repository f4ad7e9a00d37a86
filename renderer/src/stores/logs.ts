import { create } from 'zustand';
import type { WireLog, WireResource, WireScope } from '../../../collector/api/wire';
import { api } from '../api';
import type { LogFilter } from '../api/client';

const PAGE = 200;

/** A log with its resource and scope looked up, so rows from different pages can sit in one list. */
export interface LogRow {
  log: WireLog;
  resource: WireResource;
  scope: WireScope;
}

interface LogsState {
  filter: LogFilter;
  rows: LogRow[];
  nextCursor?: string;
  loading: boolean;
  error?: string;
  /** Index into rows, or -1. */
  selected: number;
  setFilter(patch: Partial<LogFilter>): void;
  search(): Promise<void>;
  loadMore(): Promise<void>;
  select(index: number): void;
}

let generation = 0;

async function fetchPage(filter: LogFilter, cursor?: string): Promise<{ rows: LogRow[]; nextCursor?: string }> {
  const page = await api.searchLogs(filter, { limit: PAGE, cursor });
  return { rows: page.items.map((log) => ({ log, resource: page.resources[log.resource], scope: page.scopes[log.scope] })), nextCursor: page.nextCursor };
}

export const useLogs = create<LogsState>()((set, get) => ({
  filter: {},
  rows: [],
  loading: false,
  selected: -1,

  setFilter(patch) {
    const filter: LogFilter = { ...get().filter, ...patch };
    for (const k of Object.keys(filter) as (keyof LogFilter)[]) if (filter[k] === undefined || filter[k] === '') delete filter[k];
    set({ filter });
  },

  async search() {
    const mine = ++generation;
    set({ loading: true, error: undefined });
    try {
      const page = await fetchPage(get().filter);
      if (mine === generation) set({ rows: page.rows, nextCursor: page.nextCursor, loading: false, selected: -1 });
    } catch (err) {
      if (mine === generation) set({ loading: false, error: (err as Error).message });
    }
  },

  async loadMore() {
    const { nextCursor, loading, filter } = get();
    if (!nextCursor || loading) return;
    const mine = generation;
    set({ loading: true });
    try {
      const page = await fetchPage(filter, nextCursor);
      if (mine === generation) set((s) => ({ rows: [...s.rows, ...page.rows], nextCursor: page.nextCursor, loading: false }));
    } catch (err) {
      if (mine === generation) set({ loading: false, error: (err as Error).message });
    }
  },

  select: (selected) => set({ selected }),
}));
