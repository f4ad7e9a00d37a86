import { useCallback, useRef } from 'react';
import type { WireTraceSummary } from '../../../common/wire';
import { Icon } from '../components/Icon';
import { VirtualList, type VirtualListHandle } from '../components/VirtualList';
import { serviceColor } from '../model/colors';
import { formatDuration, formatListTime, plural } from '../model/format';
import { traceHref } from '../stores/route';
import { useTraceSearch } from '../stores/traceSearch';

const ROW = 36;

function TraceRow({ t, maxDuration }: { t: WireTraceSummary; maxDuration: number }) {
  const duration = Number(t.durationNs);
  const others = t.services.filter((s) => s !== t.rootService);
  return (
    <a className="trace-row" href={traceHref(t.traceId)} data-testid="trace-row" data-trace-id={t.traceId}>
      <span className="cell time mono">{formatListTime(t.startNs)}</span>
      <span className="cell root">
        <span className="svc-dot" style={{ background: serviceColor(t.rootService) }} />
        <span className="root-service">{t.rootService}</span>
        <span className="root-op">{t.rootOperation}</span>
      </span>
      <span className="cell services" title={t.services.join(', ')}>
        {others.slice(0, 3).map((s) => (
          <span key={s} className="svc-tag">
            <span className="svc-dot small" style={{ background: serviceColor(s) }} />
            {s}
          </span>
        ))}
        {others.length > 3 && <span className="muted">+{others.length - 3}</span>}
      </span>
      <span className="cell num">{t.spanCount.toLocaleString()}</span>
      <span className="cell badges">
        {t.errorCount > 0 && (
          <span className="badge error" title={`${t.errorCount} spans with error status`}>
            <Icon name="alert" size={12} />
            {t.errorCount}
          </span>
        )}
        {t.findingCount > 0 && (
          <span className="badge finding" title={`${t.findingCount} findings`}>
            <Icon name="flag" size={12} />
            {t.findingCount}
          </span>
        )}
      </span>
      <span className="cell duration">
        <span className="duration-track">
          <span className="duration-fill" style={{ width: `${Math.max(2, (100 * duration) / maxDuration)}%` }} />
        </span>
        <span className="duration-text mono">{formatDuration(duration)}</span>
      </span>
    </a>
  );
}

export function TraceList() {
  const items = useTraceSearch((s) => s.items);
  const pending = useTraceSearch((s) => s.pending);
  const loadMore = useTraceSearch((s) => s.loadMore);
  const setAtTop = useTraceSearch((s) => s.setAtTop);
  const showPending = useTraceSearch((s) => s.showPending);
  const list = useRef<VirtualListHandle>(null);
  const maxDuration = items.reduce((m, t) => Math.max(m, Number(t.durationNs)), 1);

  const onScroll = useCallback((top: number) => setAtTop(top < ROW / 2), [setAtTop]);
  const onEnd = useCallback(() => void loadMore(), [loadMore]);

  return (
    <div className="trace-list" data-testid="trace-list">
      <div className="trace-row header" role="row">
        <span className="cell time">Started</span>
        <span className="cell root">Root service · operation</span>
        <span className="cell services">Services</span>
        <span className="cell num">Spans</span>
        <span className="cell badges">Issues</span>
        <span className="cell duration">Duration</span>
      </div>
      {pending.length > 0 && (
        <button
          type="button"
          className="new-pill"
          onClick={() => {
            showPending();
            list.current?.scrollTo(0);
          }}
        >
          ↑ {pending.length} new {plural(pending.length, 'trace')}
        </button>
      )}
      <VirtualList ref={list} count={items.length} rowHeight={ROW} renderRow={(i) => <TraceRow t={items[i]} maxDuration={maxDuration} />} onScroll={onScroll} onEndReached={onEnd} />
    </div>
  );
}
