import { useEffect, useRef } from 'react';
import { api } from '../api';
import { CopyButton } from '../components/CopyButton';
import { Icon } from '../components/Icon';
import { StatusCode } from '../../../common/telemetry';
import { spanKey } from '../../../common/wire';
import { serviceColor } from '../model/colors';
import { formatDuration, formatTimestamp, plural } from '../model/format';
import { TRACE_VIEW_KEYS, type TraceKeyAction } from '../model/keys';
import { collapseBelow } from '../model/waterfall';
import { resolvedTheme, usePrefs } from '../stores/prefs';
import { navigate, type Route } from '../stores/route';
import { useTraceView } from '../stores/traceView';
import { isTyping, toggleKeyboardHelp } from './KeyboardHelp';
import { SpanDetail } from './SpanDetail';
import { Waterfall } from './Waterfall';

export function TraceView({ route }: { route: Extract<Route, { view: 'trace' | 'stitch' }> }) {
  const status = useTraceView((s) => s.status);
  const error = useTraceView((s) => s.error);
  const w = useTraceView((s) => s.waterfall);
  const selected = useTraceView((s) => s.selected);
  const search = useTraceView((s) => s.search);
  const matches = useTraceView((s) => s.matches);
  const matchIndex = useTraceView((s) => s.matchIndex);
  const searching = useTraceView((s) => s.searching);
  const showCritical = useTraceView((s) => s.showCritical);
  const theme = resolvedTheme(usePrefs((s) => s.theme));
  const detailWidth = usePrefs((s) => s.detailWidth);
  const setDetailWidth = usePrefs((s) => s.setDetailWidth);
  const searchInput = useRef<HTMLInputElement>(null);
  const key = route.view === 'trace' ? route.traceId : `${spanKey(route.from)}>${spanKey(route.to)}`;

  useEffect(() => {
    const view = useTraceView.getState();
    if (route.view === 'trace') view.open(key, (signal) => api.trace(route.traceId, signal), route.spanId);
    else view.open(key, (signal) => api.stitched(route.from, route.to, signal), route.spanId);
  }, [key, route]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const view = useTraceView.getState();
      if (e.key === '/' && !isTyping(e.target)) {
        e.preventDefault();
        searchInput.current?.focus();
        searchInput.current?.select();
        return;
      }
      if (isTyping(e.target) || e.metaKey || e.ctrlKey || e.altKey) return;
      const actions: Record<TraceKeyAction, () => void> = {
        next: () => view.move(1),
        previous: () => view.move(-1),
        pageDown: () => view.move(20),
        pageUp: () => view.move(-20),
        first: () => view.move(-Infinity),
        last: () => view.move(Infinity),
        foldOrParent: () => view.collapseOrParent(),
        unfoldOrChild: () => view.expandOrChild(),
        toggle: () => view.toggle(view.selected),
        nextMatch: () => view.nextMatch(1),
        previousMatch: () => view.nextMatch(-1),
        deselect: () => view.select(-1),
      };
      const action = Object.hasOwn(TRACE_VIEW_KEYS, e.key) ? TRACE_VIEW_KEYS[e.key] : undefined;
      if (action) {
        e.preventDefault();
        actions[action]();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (status === 'error') {
    return (
      <div className="trace-view">
        <div className="page-message">
          <Icon name="alert" size={20} />
          <div>{error}</div>
          <a href="#/traces" className="button">
            Back to traces
          </a>
        </div>
      </div>
    );
  }
  if (!w) {
    return (
      <div className="trace-view">
        <div className="trace-head skeleton-head" />
        <div className="page-message muted">
          <span className="spinner" /> Loading trace…
        </div>
      </div>
    );
  }

  const { trace } = w;
  const rootRow = trace.tree.tops.find((t) => t.kind === 'root')?.firstRow ?? 0;
  const rootService = w.service[rootRow];
  const services = [...new Set(w.service)];
  const errors = trace.rows.status.reduce((n, code) => n + (code === StatusCode.ERROR ? 1 : 0), 0);
  const spanCount = trace.rows.spanId.length;
  const orphanGroups = w.missingParent.size;
  // A lost hop's finding is at its consumer; a producer here whose consumer is elsewhere counts too, as in the list.
  const hopsOut = (trace.hops ?? []).filter((h) => w.spanRowByRef.has(spanKey(h.from)) && !w.spanRowByRef.has(spanKey(h.to))).length;
  const findingCount = trace.findings.length + hopsOut;
  const view = useTraceView.getState();

  return (
    <div className="trace-view" data-testid="trace-view">
      <div className="trace-head">
        <div className="trace-title-row">
          <button type="button" className="icon-button" onClick={() => (window.history.length > 1 ? window.history.back() : navigate({ view: 'traces' }))} aria-label="Back">
            <Icon name="chevronLeft" />
          </button>
          <span className="svc-dot" style={{ background: serviceColor(rootService) }} />
          <h1 className="trace-title">
            <span className="root-service">{rootService}</span> {w.name[rootRow]}
          </h1>
          {trace.stitch && (
            <span className="badge stitch" title={`Signals: ${trace.stitch.signals.join(', ')}`}>
              <Icon name="link" size={12} /> stitched · {trace.stitch.kind} · {Math.round(trace.stitch.confidence * 100)}%
            </span>
          )}
        </div>
        <div className="trace-facts">
          <span className="mono id" data-testid="trace-id">
            {trace.traceId}
            <CopyButton text={trace.traceId} label="Copy trace ID" />
          </span>
          <span>{formatTimestamp(trace.tree.startNs)}</span>
          <span>
            <b>{formatDuration(w.durationNs)}</b>
          </span>
          <span>
            <b>{spanCount.toLocaleString()}</b> spans
          </span>
          <span className="fact-services">
            {services.slice(0, 8).map((s) => (
              <span key={s} className="svc-tag">
                <span className="svc-dot small" style={{ background: serviceColor(s) }} />
                {s}
              </span>
            ))}
            {services.length > 8 && <span className="muted">+{services.length - 8}</span>}
          </span>
          {errors > 0 && (
            <span className="badge error">
              <Icon name="alert" size={12} /> {errors} {errors === 1 ? 'error' : 'errors'}
            </span>
          )}
          {findingCount > 0 && (
            <span className="badge finding" data-testid="trace-findings" title={hopsOut > 0 ? `${hopsOut} of them where the work continues in another trace: the context was lost` : undefined}>
              <Icon name="flag" size={12} /> {findingCount} {findingCount === 1 ? 'finding' : 'findings'}
            </span>
          )}
          {orphanGroups > 0 && (
            <span className="badge warn" title="Spans whose parent never arrived are shown under a placeholder row">
              <Icon name="unlink" size={12} /> {orphanGroups} missing {orphanGroups === 1 ? 'parent' : 'parents'}
            </span>
          )}
        </div>
      </div>
      <div className="trace-toolbar">
        <div className={`search-box ${search && !searching && matches.length === 0 ? 'invalid' : ''}`}>
          <Icon name="search" size={14} />
          <input
            ref={searchInput}
            value={search}
            placeholder="Search spans  ( / )"
            aria-label="Search in trace"
            data-testid="trace-search"
            onChange={(e) => view.setSearch(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                view.nextMatch(e.shiftKey ? -1 : 1);
              } else if (e.key === 'Escape') {
                view.setSearch('');
                e.currentTarget.blur();
              }
            }}
          />
          {search && (
            <span className="match-count" data-testid="match-count">
              {searching ? '…' : matches.length === 0 ? 'no match' : matchIndex >= 0 ? `${matchIndex + 1}/${matches.length}` : `${matches.length} ${plural(matches.length, 'match', 'matches')}`}
            </span>
          )}
        </div>
        <button type="button" className={`toggle ${showCritical ? 'on' : ''}`} aria-pressed={showCritical} onClick={() => view.setShowCritical(!showCritical)}>
          <Icon name="route" size={14} /> Critical path
        </button>
        <div className="toolbar-group">
          <button type="button" className="button ghost small" onClick={() => view.setCollapsed(new Set())} title="Expand all">
            <Icon name="expand" size={14} /> Expand
          </button>
          <button type="button" className="button ghost small" onClick={() => view.setCollapsed(collapseBelow(w, 1))} title="Show only the top level">
            <Icon name="collapse" size={14} /> Collapse
          </button>
        </div>
        <a className="button ghost small" href={`#/logs?trace=${trace.traceId}`}>
          <Icon name="logs" size={14} /> Logs <span className="tab-count">{trace.logs.length}</span>
        </a>
        <span className="toolbar-hint muted small">
          j/k move · ←/→ fold · enter toggle · / search ·{' '}
          <button type="button" className="link-button" onClick={() => toggleKeyboardHelp(true)} data-testid="show-keys">
            ? all keys
          </button>
        </span>
      </div>
      <div className="trace-body" style={{ gridTemplateColumns: selected >= 0 ? `minmax(0, 1fr) ${detailWidth}px` : 'minmax(0, 1fr)' }}>
        <Waterfall w={w} theme={theme} />
        {selected >= 0 && (
          <div className="detail-wrap">
            <div
              className="resize-handle"
              role="separator"
              aria-orientation="vertical"
              onPointerDown={(e) => {
                const startX = e.clientX;
                const startWidth = detailWidth;
                const move = (ev: PointerEvent) => setDetailWidth(startWidth + (startX - ev.clientX));
                const up = () => {
                  window.removeEventListener('pointermove', move);
                  window.removeEventListener('pointerup', up);
                };
                window.addEventListener('pointermove', move);
                window.addEventListener('pointerup', up);
              }}
            />
            <SpanDetail w={w} row={selected} theme={theme} onClose={() => view.select(-1)} />
          </div>
        )}
      </div>
    </div>
  );
}
