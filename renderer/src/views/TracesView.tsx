import { useCallback, useEffect } from 'react';
import { Icon } from '../components/Icon';
import { plural } from '../model/format';
import { useLive } from '../stores/live';
import { navigate } from '../stores/route';
import { useTraceSearch } from '../stores/traceSearch';
import { DurationChart } from './DurationChart';
import { EmptyState } from './EmptyState';
import { TraceList } from './TraceList';
import { TraceSearchBar } from './TraceSearchBar';

const SEARCH_DELAY_MS = 150;

export function TracesView() {
  const filter = useTraceSearch((s) => s.filter);
  const items = useTraceSearch((s) => s.items);
  const loading = useTraceSearch((s) => s.loading);
  const error = useTraceSearch((s) => s.error);
  const nextCursor = useTraceSearch((s) => s.nextCursor);
  const setFilter = useTraceSearch((s) => s.setFilter);
  const clearFilter = useTraceSearch((s) => s.clearFilter);
  const filterEpoch = useTraceSearch((s) => s.filterEpoch);
  const stats = useLive((s) => s.stats);

  useEffect(() => {
    const timer = window.setTimeout(() => void useTraceSearch.getState().search(), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [filter]);
  useEffect(() => {
    void useTraceSearch.getState().loadServices().catch(() => undefined);
  }, [stats?.services]);

  const onBrush = useCallback((fromMs: number, toMs: number) => {
    setFilter({ fromNs: (BigInt(Math.floor(fromMs)) * 1_000_000n).toString(), toNs: (BigInt(Math.ceil(toMs)) * 1_000_000n).toString() });
  }, [setFilter]);
  const onOpen = useCallback((traceId: string) => navigate({ view: 'trace', traceId }), []);

  const storeEmpty = stats !== undefined && stats.spans === 0 && stats.logs === 0;
  if (storeEmpty && items.length === 0) return <EmptyState />;

  const filtered = Object.keys(filter).length > 0;
  return (
    <div className="traces-view">
      <TraceSearchBar key={filterEpoch} />
      <div className="traces-summary">
        <span data-testid="result-count">
          {items.length.toLocaleString()}
          {nextCursor ? '+' : ''} {plural(items.length, 'trace')}
          {filtered ? ' match' : ''}
        </span>
        {loading && <span className="spinner" aria-label="Loading" />}
        {error && <span className="error-text">{error}</span>}
        <span className="muted small hint">Drag across the chart to narrow the time range</span>
      </div>
      <DurationChart traces={items} onBrush={onBrush} onOpen={onOpen} />
      {items.length === 0 && !loading ? (
        <div className="no-results">
          <Icon name="search" size={20} />
          <div>No traces match this search.</div>
          {filtered && (
            <button type="button" className="button" onClick={clearFilter}>
              Clear filters
            </button>
          )}
        </div>
      ) : (
        <TraceList />
      )}
    </div>
  );
}
