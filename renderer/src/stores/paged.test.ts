import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { pagedSearch, type PageOf, type PagedResults } from './paged';

interface State extends PagedResults<number> {
  selected: number;
}

/** A store over a fake paged API whose answers the test releases one by one, in any order. */
function setup(append?: (have: number[], more: number[]) => number[]) {
  const calls: { cursor?: string; answer(page: PageOf<number>): void; fail(message: string): void }[] = [];
  const store = createStore<State>()(() => ({ items: [], loading: false, selected: 3 }));
  const paging = pagedSearch<number, State>(
    store,
    (cursor) =>
      new Promise((resolve, reject) => {
        calls.push({ cursor, answer: resolve, fail: (message) => reject(new Error(message)) });
      }),
    { reset: { selected: -1 }, append },
  );
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { store, paging, calls, settle };
}

describe('pagedSearch', () => {
  it('shows the first page, resets the extra state, and appends further pages until there are none', async () => {
    const { store, paging, calls, settle } = setup();
    const searched = paging.search();
    expect(store.getState().loading).toBe(true);
    calls[0].answer({ items: [1, 2], nextCursor: 'c2' });
    await searched;
    expect(store.getState()).toMatchObject({ items: [1, 2], nextCursor: 'c2', loading: false, selected: -1 });

    const more = paging.loadMore();
    // A second request while one is under way is not sent.
    await paging.loadMore();
    expect(calls.map((c) => c.cursor)).toEqual([undefined, 'c2']);
    calls[1].answer({ items: [3] });
    await more;
    expect(store.getState()).toMatchObject({ items: [1, 2, 3], nextCursor: undefined, loading: false });
    await paging.loadMore();
    await settle();
    expect(calls).toHaveLength(2);
  });

  it('drops the answers of a search that a newer one replaced, pages included', async () => {
    const { store, paging, calls } = setup();
    const first = paging.search();
    const second = paging.search();
    expect(paging.generation()).toBe(2);
    calls[1].answer({ items: [20], nextCursor: 'n' });
    await second;
    calls[0].answer({ items: [10] });
    await first;
    expect(store.getState().items).toEqual([20]);

    const more = paging.loadMore();
    const third = paging.search();
    calls[2].answer({ items: [21] });
    await more;
    expect(store.getState().items).toEqual([20]);
    calls[3].fail('HTTP 503');
    await third;
    expect(store.getState()).toMatchObject({ items: [20], error: 'HTTP 503', loading: false });
  });

  it('says why a fetch failed, and joins pages as told', async () => {
    const { store, paging, calls } = setup((have, more) => [...new Set([...have, ...more])]);
    const searched = paging.search();
    calls[0].fail('HTTP 500');
    await searched;
    expect(store.getState()).toMatchObject({ loading: false, error: 'HTTP 500' });
    const again = paging.search();
    expect(store.getState().error).toBeUndefined();
    calls[1].answer({ items: [1, 2], nextCursor: 'x' });
    await again;
    const more = paging.loadMore();
    calls[2].answer({ items: [2, 3] });
    await more;
    expect(store.getState().items).toEqual([1, 2, 3]);
  });
});
