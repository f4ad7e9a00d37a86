import { useMemo, useState } from 'react';
import type { WireLog, WireSpan, WireTrace } from '../../../collector/api/wire';
import { AttributeTable } from '../components/AttributeTable';
import { CopyButton } from '../components/CopyButton';
import { Icon } from '../components/Icon';
import { serviceColor } from '../model/colors';
import { formatDuration, formatTimestamp } from '../model/format';
import { displayValue, plainAttributes, severityLevel, severityName, spanKindName } from '../model/values';
import type { Waterfall } from '../model/waterfall';
import { traceHref } from '../stores/route';
import { useTraceView, type DetailTab } from '../stores/traceView';
import { JsonView } from './JsonView';

function nsBetween(a: string, b: string): number {
  return Number(BigInt(b) - BigInt(a));
}

/** The span as OTLP-style JSON, resource and scope inlined, for the raw view. */
function rawSpan(trace: WireTrace, span: WireSpan): unknown {
  const resource = trace.resources[span.resource];
  const scope = trace.scopes[span.scope];
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    traceState: span.traceState,
    flags: span.flags,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startNs,
    endTimeUnixNano: span.endNs,
    attributes: plainAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) => ({ timeUnixNano: e.timeNs, name: e.name, attributes: plainAttributes(e.attributes), droppedAttributesCount: e.droppedAttributesCount })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, traceState: l.traceState, flags: l.flags, attributes: plainAttributes(l.attributes) })),
    droppedLinksCount: span.droppedLinksCount,
    status: span.status,
    resource: { attributes: plainAttributes(resource.attributes), droppedAttributesCount: resource.droppedAttributesCount, schemaUrl: resource.schemaUrl },
    scope: { name: scope.name, version: scope.version, attributes: plainAttributes(scope.attributes), schemaUrl: scope.schemaUrl },
  };
}

function Section({ title, count, children }: { title: string; count?: number; children: React.ReactNode }) {
  return (
    <section className="detail-section">
      <h4>
        {title}
        {count !== undefined && <span className="muted"> {count}</span>}
      </h4>
      {children}
    </section>
  );
}

export function LogLine({ log, service, onOpen }: { log: WireLog; service?: string; onOpen?: () => void }) {
  const level = severityLevel(log.severityNumber);
  return (
    <div className="log-line" data-testid="span-log">
      <span className={`sev sev-${level}`}>{severityName(log.severityNumber, log.severityText)}</span>
      <span className="mono muted">{formatTimestamp(log.timeNs)}</span>
      {service && <span className="muted">{service}</span>}
      <span className="log-body">{displayValue(log.body)}</span>
      {onOpen && (
        <button type="button" className="link-button" onClick={onOpen}>
          Open
        </button>
      )}
    </div>
  );
}

export function SpanDetail({ w, row, theme, onClose }: { w: Waterfall; row: number; theme: 'light' | 'dark'; onClose(): void }) {
  const tab = useTraceView((s) => s.detailTab);
  const setTab = useTraceView((s) => s.setDetailTab);
  const selectSpan = useTraceView((s) => s.selectSpan);
  const [filter, setFilter] = useState('');
  const { trace } = w;
  const r = w.spanRow[row];
  const span = r >= 0 ? trace.spans[r] : undefined;
  const logs = useMemo(() => (span ? trace.logs.filter((l) => l.spanId === span.spanId && l.traceId === span.traceId) : []), [trace, span]);
  const findings = useMemo(() => (span ? trace.findings.filter((f) => f.spanId === span.spanId) : []), [trace, span]);

  if (!span) {
    const missing = w.missingParent.get(row) ?? '';
    return (
      <aside className="detail" data-testid="span-detail">
        <header className="detail-head">
          <div className="detail-title">
            <Icon name="unlink" /> Missing parent
          </div>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close details">
            <Icon name="close" />
          </button>
        </header>
        <div className="detail-body">
          <p>
            {(w.end[row] - row - 1).toLocaleString()} spans name <code>{missing}</code> as their parent, but no span with that id reached Hopscope. Its exporter may have dropped a batch, or the
            context came from another request.
          </p>
        </div>
      </aside>
    );
  }

  const resource = trace.resources[span.resource];
  const scope = trace.scopes[span.scope];
  const service = w.service[r];
  const duration = nsBetween(span.startNs, span.endNs);
  const offset = trace.tree.start[r];
  const parentRow = trace.tree.parent[r];
  const tabs: { id: DetailTab; label: string; count?: number }[] = [
    { id: 'attributes', label: 'Attributes' },
    { id: 'events', label: 'Events', count: span.events.length },
    { id: 'links', label: 'Links', count: span.links.length },
    { id: 'logs', label: 'Logs', count: logs.length },
    { id: 'json', label: 'JSON' },
  ];

  return (
    <aside className="detail" data-testid="span-detail" data-span-id={span.spanId}>
      <header className="detail-head">
        <div className="detail-title">
          <span className="svc-dot" style={{ background: serviceColor(service) }} />
          <span className="detail-service">{service}</span>
          <span className="detail-name" title={span.name}>
            {span.name}
          </span>
        </div>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close details">
          <Icon name="close" />
        </button>
      </header>
      <div className="detail-facts">
        <div>
          <span className="fact-label">Duration</span>
          <span className="mono">{formatDuration(duration)}</span>
        </div>
        <div>
          <span className="fact-label">Starts at</span>
          <span className="mono">+{formatDuration(offset)}</span>
        </div>
        <div>
          <span className="fact-label">Kind</span>
          <span>{spanKindName(span.kind)}</span>
        </div>
        <div>
          <span className="fact-label">Status</span>
          <span className={span.status.code === 2 ? 'status-error' : span.status.code === 1 ? 'status-ok' : 'muted'}>{['unset', 'ok', 'error'][span.status.code] ?? span.status.code}</span>
        </div>
        <div className="wide">
          <span className="fact-label">Span ID</span>
          <span className="mono id">
            {span.spanId}
            <CopyButton text={span.spanId} label="Copy span ID" />
          </span>
        </div>
        <div className="wide">
          <span className="fact-label">Parent</span>
          <span className="mono id">
            {span.parentSpanId === '' ? (
              <span className="muted">root</span>
            ) : parentRow >= 0 ? (
              <button type="button" className="link-button mono" onClick={() => selectSpan(trace.spans[parentRow].spanId)}>
                {span.parentSpanId}
              </button>
            ) : (
              <span title="Not in this trace">{span.parentSpanId} (missing)</span>
            )}
          </span>
        </div>
      </div>
      {span.status.message && <div className="status-message">{span.status.message}</div>}
      {findings.map((f) => (
        <a key={f.fingerprint} className={`finding-strip ${f.severity}`} href={`#/findings/${f.fingerprint}`}>
          <Icon name="flag" size={13} /> {f.title}
        </a>
      ))}
      <nav className="detail-tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'active' : ''} onClick={() => setTab(t.id)} data-testid={`tab-${t.id}`}>
            {t.label}
            {t.count !== undefined && <span className="tab-count">{t.count}</span>}
          </button>
        ))}
      </nav>
      <div className={`detail-body ${tab === 'json' ? 'flush' : ''}`}>
        {tab === 'attributes' && (
          <>
            <div className="detail-filter">
              <Icon name="search" size={14} />
              <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Filter attributes" aria-label="Filter attributes" data-testid="attribute-filter" />
            </div>
            <Section title="Span" count={Object.keys(span.attributes).length}>
              <AttributeTable attributes={span.attributes} filter={filter} />
            </Section>
            <Section title="Resource" count={Object.keys(resource.attributes).length}>
              <AttributeTable attributes={resource.attributes} filter={filter} />
            </Section>
            <Section title={`Scope ${scope.name}${scope.version ? ` ${scope.version}` : ''}`} count={Object.keys(scope.attributes).length}>
              <AttributeTable attributes={scope.attributes} filter={filter} empty="No scope attributes" />
            </Section>
          </>
        )}
        {tab === 'events' &&
          (span.events.length === 0 ? (
            <div className="muted small">No events on this span.</div>
          ) : (
            span.events.map((e, i) => (
              <Section key={i} title={e.name}>
                <div className="muted small mono">+{formatDuration(nsBetween(span.startNs, e.timeNs))} after span start</div>
                <AttributeTable attributes={e.attributes} />
              </Section>
            ))
          ))}
        {tab === 'links' &&
          (span.links.length === 0 ? (
            <div className="muted small">No links on this span.</div>
          ) : (
            span.links.map((l, i) => {
              const here = l.traceId === span.traceId;
              return (
                <Section key={i} title={here ? 'Link within this trace' : 'Link to another trace'}>
                  <a
                    className="link-target mono"
                    href={traceHref(l.traceId, l.spanId)}
                    data-testid="span-link"
                    onClick={(e) => {
                      if (here && w.spanRowById.has(l.spanId)) {
                        e.preventDefault();
                        selectSpan(l.spanId);
                      }
                    }}
                  >
                    <Icon name="link" size={13} />
                    {l.traceId.slice(0, 12)}… / {l.spanId}
                  </a>
                  <AttributeTable attributes={l.attributes} empty="No link attributes" />
                </Section>
              );
            })
          ))}
        {tab === 'logs' &&
          (logs.length === 0 ? <div className="muted small">No logs carry this span's context.</div> : logs.map((l) => <LogLine key={l.id} log={l} />))}
        {tab === 'json' && <JsonView value={rawSpan(trace, span)} theme={theme} />}
      </div>
    </aside>
  );
}
