import { create } from 'zustand';
import type { WireSpanDetail, WireTrace } from '../../../common/wire';
import { api } from '../api';
import { spanKey } from '../../../common/wire';
import { buildWaterfall, matchFrom, matchingRows, positionOf, revealRow, visibleRows, type Waterfall } from '../model/waterfall';

export type DetailTab = 'attributes' | 'events' | 'links' | 'logs' | 'json';

interface TraceViewState {
  /** The trace id, or `from>to` for a stitched view. */
  key?: string;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error?: string;
  waterfall?: Waterfall;
  collapsed: ReadonlySet<number>;
  /** Selected display row, or -1. */
  selected: number;
  search: string;
  matches: Int32Array;
  /** Position in `matches` of the selected row, or -1 when the selection is not a match. */
  matchIndex: number;
  /** A search is on its way to the server; a jump asked for meanwhile happens when it answers. */
  searching: boolean;
  showCritical: boolean;
  detailTab: DetailTab;
  /** Bumped when the selection should be scrolled into view (keyboard, search, links). */
  scrollRequest: number;
  /** Spans opened in full, by `traceId:spanId`; fetched when selected. */
  details: ReadonlyMap<string, WireSpanDetail | { error: string }>;

  open(key: string, load: (signal: AbortSignal) => Promise<WireTrace>, spanId?: string): void;
  /** Selects a span by id; without `traceId` in any trace of the view. */
  selectSpan(spanId: string, traceId?: string): void;
  select(row: number, scroll?: boolean): void;
  toggle(row: number): void;
  setCollapsed(collapsed: ReadonlySet<number>): void;
  move(delta: number): void;
  collapseOrParent(): void;
  expandOrChild(): void;
  setSearch(text: string): void;
  nextMatch(direction: 1 | -1): void;
  setShowCritical(show: boolean): void;
  setDetailTab(tab: DetailTab): void;
}

let lastVisible: { w: Waterfall; collapsed: ReadonlySet<number>; rows: Int32Array } | undefined;

/** `visibleRows`, remembered for the last (waterfall, collapsed set) pair: every consumer shares one array. */
export function memoVisibleRows(w: Waterfall, collapsed: ReadonlySet<number>): Int32Array {
  if (lastVisible?.w !== w || lastVisible.collapsed !== collapsed) lastVisible = { w, collapsed, rows: visibleRows(w, collapsed) };
  return lastVisible.rows;
}

let loading: AbortController | undefined;
let searchAbort: AbortController | undefined;
let searchTimer: number | undefined;
let pendingJump: 0 | 1 | -1 = 0;
const SEARCH_DELAY_MS = 120;
const NO_MATCHES = new Int32Array(0);

/** Fetches a span in full the first time it is selected. */
async function loadDetail(w: Waterfall, r: number): Promise<void> {
  const traceId = w.trace.traceIds[w.trace.rows.trace[r]];
  const key = spanKey({ traceId, spanId: w.trace.rows.spanId[r] });
  if (useTraceView.getState().details.has(key)) return;
  let detail: WireSpanDetail | { error: string };
  try {
    detail = await api.spanDetail(traceId, w.trace.rows.spanId[r]);
  } catch (err) {
    detail = { error: (err as Error).message };
  }
  if (useTraceView.getState().waterfall !== w) return;
  useTraceView.setState((s) => ({ details: new Map(s.details).set(key, detail) }));
}

/** Interaction state of the open trace (jaeger-ui's store.timeline): reset whenever another trace opens. */
export const useTraceView = create<TraceViewState>()((set, get) => ({
  status: 'idle',
  collapsed: new Set(),
  selected: -1,
  search: '',
  matches: NO_MATCHES,
  matchIndex: -1,
  searching: false,
  showCritical: true,
  detailTab: 'attributes',
  scrollRequest: 0,
  details: new Map(),

  open(key, load, spanId) {
    if (get().key === key && get().status !== 'error') {
      if (spanId) get().selectSpan(spanId);
      return;
    }
    loading?.abort();
    const abort = (loading = new AbortController());
    set({ key, status: 'loading', error: undefined, waterfall: undefined, collapsed: new Set(), selected: -1, search: '', matches: NO_MATCHES, matchIndex: -1, details: new Map() });
    performance.mark('hopscope:trace-fetch');
    load(abort.signal).then(
      (trace) => {
        if (abort.signal.aborted) return;
        performance.mark('hopscope:trace-build');
        const waterfall = buildWaterfall(trace);
        performance.measure('hopscope:trace-build', 'hopscope:trace-build');
        set({ status: 'ready', waterfall });
        if (spanId) get().selectSpan(spanId);
        else get().select(waterfall.size > 0 ? 0 : -1);
      },
      (err: unknown) => {
        if (!abort.signal.aborted) set({ status: 'error', error: (err as Error).message });
      },
    );
  },

  selectSpan(spanId, traceId) {
    const w = get().waterfall;
    if (!w) return;
    for (const id of traceId ? [traceId] : w.trace.traceIds) {
      const r = w.spanRowByRef.get(spanKey({ traceId: id, spanId }));
      if (r !== undefined) return get().select(w.displayOf[r], true);
    }
  },

  select(row, scroll = false) {
    const w = get().waterfall;
    if (row === -1) set({ selected: -1, matchIndex: -1 });
    if (!w || row < 0 || row >= w.size) return;
    const collapsed = revealRow(w, get().collapsed, row);
    set((s) => ({ selected: row, collapsed, matchIndex: s.matches.indexOf(row), scrollRequest: scroll ? s.scrollRequest + 1 : s.scrollRequest }));
    const r = w.spanRow[row];
    if (r >= 0) void loadDetail(w, r);
  },

  toggle(row) {
    const w = get().waterfall;
    if (!w || !w.hasChildren(row)) return;
    const collapsed = new Set(get().collapsed);
    if (!collapsed.delete(row)) collapsed.add(row);
    // The selection may not disappear inside a collapsed subtree.
    const selected = get().selected;
    const next = selected > row && selected < w.end[row] && collapsed.has(row) ? row : selected;
    set((s) => ({ collapsed, selected: next, matchIndex: s.matches.indexOf(next) }));
  },

  setCollapsed(collapsed) {
    const { waterfall: w, selected } = get();
    if (!w) return;
    let sel = selected;
    for (let p = w.parent[sel]; sel >= 0 && p >= 0; p = w.parent[p]) if (collapsed.has(p)) sel = p;
    set((s) => ({ collapsed, selected: sel, matchIndex: s.matches.indexOf(sel) }));
  },

  move(delta) {
    const { waterfall: w, collapsed, selected } = get();
    if (!w) return;
    const visible = memoVisibleRows(w, collapsed);
    const at = Math.max(0, positionOf(visible, selected));
    const next = visible[Math.min(visible.length - 1, Math.max(0, at + delta))];
    get().select(next, true);
  },

  collapseOrParent() {
    const { waterfall: w, collapsed, selected } = get();
    if (!w || selected < 0) return;
    if (w.hasChildren(selected) && !collapsed.has(selected)) get().toggle(selected);
    else if (w.parent[selected] >= 0) get().select(w.parent[selected], true);
  },

  expandOrChild() {
    const { waterfall: w, collapsed, selected } = get();
    if (!w || selected < 0 || !w.hasChildren(selected)) return;
    if (collapsed.has(selected)) get().toggle(selected);
    else get().select(selected + 1, true);
  },

  setSearch(text) {
    window.clearTimeout(searchTimer);
    searchAbort?.abort();
    pendingJump = 0;
    const w = get().waterfall;
    if (!w || text.trim() === '') {
      set({ search: text, matches: NO_MATCHES, matchIndex: -1, searching: false });
      return;
    }
    set({ search: text, matchIndex: -1, searching: true });
    searchTimer = window.setTimeout(() => {
      const abort = (searchAbort = new AbortController());
      api.searchSpans(w.trace.traceIds, text, abort.signal).then(
        (refs) => {
          if (abort.signal.aborted || get().waterfall !== w) return;
          const matches = matchingRows(w, refs, text);
          set({ matches, matchIndex: -1, searching: false });
          const jump = pendingJump;
          pendingJump = 0;
          if (jump) get().nextMatch(jump);
          // As a browser's find does: the first match from the selection on becomes the current one.
          else if (matches.length > 0) get().select(matches[matchFrom(matches, get().selected, 1, true)], true);
        },
        () => {
          if (!abort.signal.aborted) set({ searching: false });
        },
      );
    }, SEARCH_DELAY_MS);
  },

  nextMatch(direction) {
    const { matches, matchIndex, selected, searching } = get();
    if (searching) {
      pendingJump = direction;
      return;
    }
    if (matches.length === 0) return;
    // Off the matches, start from the selection: the first match after it (or before it, going up).
    const i = matchIndex < 0 ? matchFrom(matches, selected, direction, false) : (matchIndex + direction + matches.length) % matches.length;
    get().select(matches[i], true);
  },

  setShowCritical: (showCritical) => set({ showCritical }),
  setDetailTab: (detailTab) => set({ detailTab }),
}));
