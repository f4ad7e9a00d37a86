import { create } from 'zustand';
import type { WireTraceSummary } from '../../../common/wire';
import { api } from '../api';
import type { TraceFilter } from '../api/client';
import { mergeNewestFirst } from '../model/traceOrder';
import { onLiveTraces } from './live';
import { pagedSearch, type PagedResults, type PagedSearch } from './paged';

const PAGE = 100;
const LIVE_REFRESH_MS = 1000;

interface TraceSearchState extends PagedResults<WireTraceSummary> {
  filter: TraceFilter;
  /** Bumped by `clearFilter`, so inputs holding half-typed text start over. */
  filterEpoch: number;
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

// Set as the store is created; refreshHead drops what a newer search made moot.
let paging: PagedSearch;

/** The trace list and its search; lives as long as the app so going back keeps the list. */
export const useTraceSearch = create<TraceSearchState>()((set, get, store) => {
  paging = pagedSearch<WireTraceSummary, TraceSearchState>(store, (cursor) => api.searchTraces(get().filter, { limit: PAGE, cursor }), {
    reset: { pending: [] },
    // Live updates may already have put a trace of the next page on this one.
    append: (have, more) => {
      const seen = new Set(have.map((t) => t.traceId));
      return [...have, ...more.filter((t) => !seen.has(t.traceId))];
    },
  });
  return {
    filter: {},
    filterEpoch: 0,
    items: [],
    loading: false,
    pending: [],
    atTop: true,
    services: [],
    operations: [],
    search: paging.search,
    loadMore: paging.loadMore,

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

    setAtTop(atTop) {
      if (atTop !== get().atTop) set({ atTop });
      if (atTop && get().pending.length) get().showPending();
    },

    showPending() {
      set((s) => ({ items: mergeNewestFirst(s.items, s.pending), pending: [] }));
    },

    async loadServices() {
      const services = await api.services();
      set({ services });
    },
  };
});

let refreshTimer: number | undefined;

/** New traces: ask the server which of them match the current search, at most once a second. */
async function refreshHead(): Promise<void> {
  refreshTimer = undefined;
  const mine = paging.generation();
  const { filter } = useTraceSearch.getState();
  void useTraceSearch.getState().loadServices().catch(() => undefined);
  const page = await api.searchTraces(filter, { limit: PAGE }).catch(() => undefined);
  if (!page || mine !== paging.generation()) return;
  useTraceSearch.setState((s) => {
    const known = new Map(s.items.map((t) => [t.traceId, t]));
    const waiting = new Set(s.pending.map((t) => t.traceId));
    const fresh = page.items.filter((t) => !known.has(t.traceId) && !waiting.has(t.traceId));
    const updated = new Map(page.items.filter((t) => known.has(t.traceId)).map((t) => [t.traceId, t]));
    // At the top of an unpaged list the fresh first page simply replaces it: new rows appear above, nothing moves.
    if (s.atTop && s.items.length <= PAGE) return { items: page.items, nextCursor: page.nextCursor, pending: [] };
    const items = updated.size ? s.items.map((t) => updated.get(t.traceId) ?? t) : s.items;
    if (fresh.length === 0) return { items };
    if (s.atTop) return { items: mergeNewestFirst(items, fresh) };
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
