// One paged search inside a zustand store: the first page, further pages on request, and answers to a
// search that a newer one replaced dropped on arrival.
import type { StoreApi } from 'zustand';

/** The part of a store that holds one paged search. */
export interface PagedResults<T> {
  items: T[];
  /** Where the next page starts; absent on the last page. */
  nextCursor?: string;
  loading: boolean;
  error?: string;
}

export interface PageOf<T> {
  items: T[];
  nextCursor?: string;
}

export interface PagedSearch {
  /** Fetches the first page and replaces the items with it. */
  search(): Promise<void>;
  /** Appends the next page of the current search, unless there is none or a fetch is under way. */
  loadMore(): Promise<void>;
  /** Which search is current: work started for an older one should be dropped. */
  generation(): number;
}

export function pagedSearch<T, S extends PagedResults<T>>(
  store: Pick<StoreApi<S>, 'getState' | 'setState'>,
  /** The current filter's page at `cursor` (the first page without one). */
  fetchPage: (cursor?: string) => Promise<PageOf<T>>,
  options: {
    /** More state a new search's answer resets (a selection, rows waiting to be shown). */
    reset?: Partial<S>;
    /** How a further page joins the items; default: appended. */
    append?: (have: T[], more: T[]) => T[];
  } = {},
): PagedSearch {
  const { reset, append = (have, more) => [...have, ...more] } = options;
  // Typed loosely once here: every update below touches only PagedResults<T> fields (and `reset`, typed by S).
  const set = (patch: Partial<PagedResults<T>> | ((s: S) => Partial<PagedResults<T>>)) => store.setState(patch as Partial<S> | ((s: S) => Partial<S>));
  let generation = 0;
  const failed = (mine: number, err: unknown) => {
    if (mine === generation) set({ loading: false, error: (err as Error).message });
  };
  return {
    generation: () => generation,
    async search() {
      const mine = ++generation;
      set({ loading: true, error: undefined });
      try {
        const page = await fetchPage();
        if (mine === generation) store.setState({ ...reset, items: page.items, nextCursor: page.nextCursor, loading: false } as Partial<S>);
      } catch (err) {
        failed(mine, err);
      }
    },
    async loadMore() {
      const { nextCursor, loading } = store.getState();
      if (!nextCursor || loading) return;
      const mine = generation;
      set({ loading: true });
      try {
        const page = await fetchPage(nextCursor);
        if (mine === generation) set((s) => ({ items: append(s.items, page.items), nextCursor: page.nextCursor, loading: false }));
      } catch (err) {
        failed(mine, err);
      }
    },
  };
}
