import { useEffect, useRef, useState } from 'react';
import { AttributeTable } from '../components/AttributeTable';
import { ChoiceField } from '../components/ChoiceField';
import { CopyButton } from '../components/CopyButton';
import { Icon } from '../components/Icon';
import { VirtualList } from '../components/VirtualList';
import { serviceColor } from '../model/colors';
import { formatTimestamp, plural } from '../model/format';
import { displayValue, severityLevel, severityName } from '../model/values';
import { useLive } from '../stores/live';
import { useLogs } from '../stores/logs';
import { navigate, traceHref, type Route } from '../stores/route';
import { useTraceSearch } from '../stores/traceSearch';

const ROW = 30;
const SEVERITIES: [number, string][] = [
  [0, 'Any severity'],
  [5, 'DEBUG and up'],
  [9, 'INFO and up'],
  [13, 'WARN and up'],
  [17, 'ERROR and up'],
];

function LogDetail() {
  const rows = useLogs((s) => s.items);
  const selected = useLogs((s) => s.selected);
  const select = useLogs((s) => s.select);
  const row = rows[selected];
  if (!row) return null;
  const { log, resource, scope } = row;
  return (
    <aside className="detail" data-testid="log-detail">
      <header className="detail-head">
        <div className="detail-title">
          <span className={`sev sev-${severityLevel(log.severityNumber)}`}>{severityName(log.severityNumber, log.severityText)}</span>
          <span className="detail-service">{resource.service}</span>
          <span className="muted mono">{formatTimestamp(log.timeNs)}</span>
        </div>
        <button type="button" className="icon-button" onClick={() => select(-1)} aria-label="Close details">
          <Icon name="close" />
        </button>
      </header>
      <div className="detail-body">
        <pre className="log-body-full">{displayValue(log.body)}</pre>
        {log.traceId ? (
          <div className="trace-context">
            <div>
              <span className="fact-label">Trace ID</span>
              <span className="mono id">
                {log.traceId}
                <CopyButton text={log.traceId} label="Copy trace ID" />
              </span>
            </div>
            <div>
              <span className="fact-label">Span ID</span>
              <span className="mono id">{log.spanId || '—'}</span>
            </div>
            <a className="button primary small" href={traceHref(log.traceId, log.spanId || undefined)} data-testid="log-open-span">
              <Icon name="layers" size={14} /> {log.spanId ? 'Open span' : 'Open trace'}
            </a>
          </div>
        ) : (
          <div className="muted small trace-context">This record has no trace context.</div>
        )}
        <section className="detail-section">
          <h4>Attributes</h4>
          <AttributeTable attributes={log.attributes} />
        </section>
        <section className="detail-section">
          <h4>Resource</h4>
          <AttributeTable attributes={resource.attributes} />
        </section>
        <section className="detail-section">
          <h4>
            Scope {scope.name} {scope.version}
          </h4>
          <AttributeTable attributes={scope.attributes} empty="No scope attributes" />
        </section>
      </div>
    </aside>
  );
}

export function LogsView({ route }: { route: Extract<Route, { view: 'logs' }> }) {
  const filter = useLogs((s) => s.filter);
  const rows = useLogs((s) => s.items);
  const loading = useLogs((s) => s.loading);
  const error = useLogs((s) => s.error);
  const nextCursor = useLogs((s) => s.nextCursor);
  const selected = useLogs((s) => s.selected);
  const { setFilter, search, loadMore, select } = useLogs.getState();
  const services = useTraceSearch((s) => s.services);
  const logCount = useLive((s) => s.stats?.logs);
  const [text, setText] = useState(filter.text ?? '');
  const atTop = useRef(true);

  useEffect(() => {
    setFilter({ traceId: route.traceId, spanId: route.spanId });
  }, [route.traceId, route.spanId, setFilter]);
  useEffect(() => {
    const timer = window.setTimeout(() => setFilter({ text }), 250);
    return () => window.clearTimeout(timer);
  }, [text, setFilter]);
  useEffect(() => {
    void search();
  }, [filter, search]);
  // New records arrive with the stats: re-run the search only while the newest rows are on screen, so nothing moves under the reader.
  useEffect(() => {
    if (logCount !== undefined && atTop.current && useLogs.getState().selected < 0) void search();
  }, [logCount, search]);
  useEffect(() => {
    void useTraceSearch.getState().loadServices().catch(() => undefined);
  }, []);

  return (
    <div className="logs-view" data-testid="logs-view">
      <div className="searchbar" role="search">
        <ChoiceField label="Service" anyLabel="All services" options={services} value={filter.service} onChange={(service) => setFilter({ service })} testId="logs-service" />
        <label className="field">
          <span className="field-label">Severity</span>
          <select value={filter.minSeverity ?? 0} onChange={(e) => setFilter({ minSeverity: Number(e.target.value) || undefined })} data-testid="logs-severity">
            {SEVERITIES.map(([n, label]) => (
              <option key={n} value={n}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field grow">
          <span className="field-label">Text</span>
          <input value={text} onChange={(e) => setText(e.target.value)} placeholder="Words, order-8812, /api/orders, &quot;a phrase&quot;" title="Finds records with words that start as typed (ids and paths whole, or any part of them: orders finds /api/orders/42); quote a phrase" data-testid="logs-text" />
        </label>
        {filter.traceId && (
          <div className="chips">
            <span className="chip">
              trace <code>{filter.traceId.slice(0, 12)}…</code>
              <button type="button" aria-label="Show all logs" onClick={() => navigate({ view: 'logs' })}>
                <Icon name="close" size={12} />
              </button>
            </span>
          </div>
        )}
      </div>
      <div className="traces-summary">
        <span data-testid="log-count">
          {rows.length.toLocaleString()}
          {nextCursor ? '+ records' : ` ${plural(rows.length, 'record')}`}
        </span>
        {loading && <span className="spinner" />}
        {error && <span className="error-text">{error}</span>}
      </div>
      <div className="logs-body" style={{ gridTemplateColumns: selected >= 0 ? 'minmax(0,1fr) 440px' : 'minmax(0,1fr)' }}>
        <div className="log-list">
          <div className="log-row header">
            <span>Time</span>
            <span>Level</span>
            <span>Service</span>
            <span>Message</span>
            <span>Trace</span>
          </div>
          {rows.length === 0 && !loading ? (
            <div className="no-results">
              <Icon name="logs" size={20} />
              <div>No log records match.</div>
            </div>
          ) : (
            <VirtualList
              count={rows.length}
              rowHeight={ROW}
              onEndReached={() => void loadMore()}
              onScroll={(top) => (atTop.current = top < ROW)}
              renderRow={(i) => {
                const { log, resource } = rows[i];
                return (
                  <div className={`log-row ${i === selected ? 'selected' : ''}`} onClick={() => select(i)} data-testid="log-row" data-trace-id={log.traceId}>
                    <span className="mono muted">{formatTimestamp(log.timeNs)}</span>
                    <span>
                      <span className={`sev sev-${severityLevel(log.severityNumber)}`}>{severityName(log.severityNumber, log.severityText)}</span>
                    </span>
                    <span className="log-service">
                      <span className="svc-dot small" style={{ background: serviceColor(resource.service) }} />
                      {resource.service}
                    </span>
                    <span className="log-body" title={displayValue(log.body)}>
                      {displayValue(log.body)}
                    </span>
                    <span>
                      {log.traceId && (
                        <a className="trace-link mono" href={traceHref(log.traceId, log.spanId || undefined)} onClick={(e) => e.stopPropagation()} data-testid="log-span-link" title="Open the span this record was logged in">
                          <Icon name="layers" size={12} />
                          {log.spanId ? log.spanId.slice(0, 8) : log.traceId.slice(0, 8)}
                        </a>
                      )}
                    </span>
                  </div>
                );
              }}
            />
          )}
        </div>
        {selected >= 0 && <LogDetail />}
      </div>
    </div>
  );
}
