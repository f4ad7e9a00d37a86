import { create } from 'zustand';
import type { WireTraceSummary } from '../../../collector/api/wire';
import { api } from '../api';
import type { TraceFilter } from '../api/client';
import { onLiveTraces } from './live';

const PAGE = 100;
const LIVE_REFRESH_MS = 1000;

interface TraceSearchState {
  filter: TraceFilter;
  /** Bumped by `clearFilter`, so inputs holding half-typed text start over. */
  filterEpoch: number;
  items: WireTraceSummary[];
  nextCursor?: string;
  loading: boolean;
  error?: string;
  /** Traces that arrived while the list was scrolled away from the top; shown on request, so rows never jump. */
  pending: WireTraceSummary[];
  atTop: boolean;
  services: string[];
  operations: string[];
  setFilter(patch: Partial<TraceFilter>): void;
  clearFilter(): void;
  search(): Promise<void>;
  loadMore(): Promise<void>;
  setAtTop(atTop: boolean): void;
  showPending(): void;
  loadServices(): Promise<void>;
}

let generation = 0;

/** The trace list and its search; lives as long as the app so going back keeps the list. */
export const useTraceSearch = create<TraceSearchState>()((set, get) => ({
  filter: {},
  filterEpoch: 0,
  items: [],
  loading: false,
  pending: [],
  atTop: true,
  services: [],
  operations: [],

  setFilter(patch) {
    const before = get().filter;
    const filter: TraceFilter = { ...before, ...patch };
    if (filter.service !== before.service) {
      delete filter.operation;
      set({ operations: [] });
      if (filter.service) void api.operations(filter.service).then((operations) => set({ operations }), () => undefined);
    }
    for (const k of Object.keys(filter) as (keyof TraceFilter)[]) if (filter[k] === undefined || filter[k] === '') delete filter[k];
    set({ filter });
  },

  clearFilter() {
    set((s) => ({ filter: {}, operations: [], filterEpoch: s.filterEpoch + 1 }));
  },

  async search() {
    const mine = ++generation;
    set({ loading: true, error: undefined });
    try {
      const page = await api.searchTraces(get().filter, { limit: PAGE });
      if (mine !== generation) return;
      set({ items: page.items, nextCursor: page.nextCursor, pending: [], loading: false });
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
      const page = await api.searchTraces(filter, { limit: PAGE, cursor: nextCursor });
      if (mine !== generation) return;
      const seen = new Set(get().items.map((t) => t.traceId));
      set((s) => ({ items: [...s.items, ...page.items.filter((t) => !seen.has(t.traceId))], nextCursor: page.nextCursor, loading: false }));
    } catch (err) {
      if (mine === generation) set({ loading: false, error: (err as Error).message });
    }
  },

  setAtTop(atTop) {
    if (atTop !== get().atTop) set({ atTop });
    if (atTop && get().pending.length) get().showPending();
  },

  showPending() {
    set((s) => {
      const ids = new Set(s.pending.map((t) => t.traceId));
      return { items: [...s.pending, ...s.items.filter((t) => !ids.has(t.traceId))], pending: [] };
    });
  },

  async loadServices() {
    const services = await api.services();
    set({ services });
  },
}));

let refreshTimer: number | undefined;

/** New traces: ask the server which of them match the current search, at most once a second. */
async function refreshHead(): Promise<void> {
  refreshTimer = undefined;
  const mine = generation;
  const { filter } = useTraceSearch.getState();
  void useTraceSearch.getState().loadServices().catch(() => undefined);
  const page = await api.searchTraces(filter, { limit: PAGE }).catch(() => undefined);
  if (!page || mine !== generation) return;
  useTraceSearch.setState((s) => {
    const known = new Map(s.items.map((t) => [t.traceId, t]));
    const waiting = new Set(s.pending.map((t) => t.traceId));
    const fresh = page.items.filter((t) => !known.has(t.traceId) && !waiting.has(t.traceId));
    const updated = new Map(page.items.filter((t) => known.has(t.traceId)).map((t) => [t.traceId, t]));
    // At the top of an unpaged list the fresh first page simply replaces it: new rows appear above, nothing moves.
    if (s.atTop && s.items.length <= PAGE) return { items: page.items, nextCursor: page.nextCursor, pending: [] };
    const items = updated.size ? s.items.map((t) => updated.get(t.traceId) ?? t) : s.items;
    if (fresh.length === 0) return { items };
    if (s.atTop) return { items: [...fresh, ...items] };
    return { items, pending: [...fresh, ...s.pending] };
  });
}

onLiveTraces((event) => {
  const { items } = useTraceSearch.getState();
  if (event.updated.length) {
    const byId = new Map(event.updated.map((t) => [t.traceId, t]));
    if (items.some((t) => byId.has(t.traceId))) {
      useTraceSearch.setState({ items: items.map((t) => byId.get(t.traceId) ?? t) });
    }
  }
  if (event.newTraceIds.length || event.truncated) {
    refreshTimer ??= window.setTimeout(() => void refreshHead(), LIVE_REFRESH_MS);
  }
});
