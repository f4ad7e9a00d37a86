import { useMemo, useState } from 'react';
import type { WireLog, WireSpanDetail } from '../../../common/wire';
import { AttributeTable } from '../components/AttributeTable';
import { CopyButton } from '../components/CopyButton';
import { MarkedText } from '../components/MarkedText';
import { Icon } from '../components/Icon';
import { Section } from '../components/Section';
import { serviceColor } from '../model/colors';
import { hopsAt, sameStitch } from '../model/findings';
import { formatDuration, formatTimestamp, nsToMs, plural } from '../model/format';
import { StatusCode } from '../../../common/telemetry';
import { displayValue, plainAttributes, severityLevel, severityName, spanKindName, statusCodeName } from '../model/values';
import { spanKey } from '../../../common/wire';
import type { Waterfall } from '../model/waterfall';
import { routeHash, stitchHref, traceHref } from '../stores/route';
import { useTraceView, type DetailTab } from '../stores/traceView';
import { JsonView } from './JsonView';
import { ObjectChips, useOpenObject } from './ObjectChips';
import { ObjectPanel } from './ObjectPanel';

function nsBetween(a: string, b: string): number {
  return Number(BigInt(b) - BigInt(a));
}

/** The span as OTLP-style JSON, resource and scope inlined, for the raw view. */
function rawSpan({ span, resources, scopes }: WireSpanDetail): unknown {
  const resource = resources[span.resource];
  const scope = scopes[span.scope];
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
  const details = useTraceView((s) => s.details);
  const [filter, setFilter] = useState('');
  const { trace } = w;
  const r = w.spanRow[row];
  const traceId = r >= 0 ? trace.traceIds[trace.rows.trace[r]] : '';
  const spanId = r >= 0 ? trace.rows.spanId[r] : '';
  const loaded = details.get(spanKey({ traceId, spanId }));
  const logs = useMemo(() => trace.logs.filter((l) => l.spanId === spanId && l.traceId === traceId), [trace, spanId, traceId]);
  const findings = useMemo(() => trace.findings.filter((f) => f.spanId === spanId), [trace, spanId]);
  const hops = useMemo(() => hopsAt(trace.hops, { traceId, spanId }), [trace, traceId, spanId]);
  const objectView = useOpenObject(spanKey({ traceId, spanId }));

  if (r < 0) {
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
            {(w.end[row] - row - 1).toLocaleString()} {plural(w.end[row] - row - 1, 'span names', 'spans name')} <code>{missing}</code> as{' '}
            {plural(w.end[row] - row - 1, 'its', 'their')} parent, but no span with that id reached Hopscope. Its exporter may have dropped a batch, or the
            context came from another request.
          </p>
        </div>
      </aside>
    );
  }

  const detail = loaded && 'span' in loaded ? loaded : undefined;
  const span = detail?.span;
  const service = w.service[r];
  const kind = trace.rows.kind[r];
  const status = trace.rows.status[r];
  const duration = trace.tree.end[r] - trace.tree.start[r];
  const parentRow = trace.tree.parent[r];
  const tabs: { id: DetailTab; label: string; count?: number }[] = [
    { id: 'attributes', label: 'Attributes' },
    { id: 'events', label: 'Events', count: trace.rows.eventCount[r] },
    { id: 'links', label: 'Links', count: trace.rows.linkCount[r] },
    { id: 'logs', label: 'Logs', count: logs.length },
    { id: 'json', label: 'JSON' },
  ];

  return (
    <aside className="detail" data-testid="span-detail" data-span-id={spanId}>
      <header className="detail-head">
        <div className="detail-title">
          <span className="svc-dot" style={{ background: serviceColor(service) }} />
          <span className="detail-service">{service}</span>
          <span className="detail-name" title={w.name[r]}>
            {w.name[r]}
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
          <span className="mono">+{formatDuration(trace.tree.start[r])}</span>
        </div>
        <div>
          <span className="fact-label">Kind</span>
          <span>{spanKindName(kind)}</span>
        </div>
        <div>
          <span className="fact-label">Status</span>
          <span className={status === StatusCode.ERROR ? 'status-error' : status === StatusCode.OK ? 'status-ok' : 'muted'}>{statusCodeName(status)}</span>
        </div>
        <div className="wide">
          <span className="fact-label">Span ID</span>
          <span className="mono id">
            {spanId}
            <CopyButton text={spanId} label="Copy span ID" />
          </span>
        </div>
        <div className="wide">
          <span className="fact-label">Parent</span>
          <span className="mono id">
            {r === w.stitchedRow && parentRow >= 0 ? (
              <span className="muted" title="This span's context was lost; the stitch hangs it under the span that started it">
                none · stitched under{' '}
                <button type="button" className="link-button mono" onClick={() => selectSpan(trace.rows.spanId[parentRow], trace.traceIds[trace.rows.trace[parentRow]])}>
                  {trace.rows.spanId[parentRow]}
                </button>
              </span>
            ) : parentRow >= 0 ? (
              <button type="button" className="link-button mono" onClick={() => selectSpan(trace.rows.spanId[parentRow], trace.traceIds[trace.rows.trace[parentRow]])}>
                {trace.rows.spanId[parentRow]}
              </button>
            ) : !span ? (
              <span className="muted">…</span>
            ) : span.parentSpanId === '' ? (
              <span className="muted">root</span>
            ) : (
              <span title="Not in this trace">{span.parentSpanId} (missing)</span>
            )}
          </span>
        </div>
      </div>
      {detail && <ObjectChips objects={detail.objects} openUid={objectView.openUid} onToggle={objectView.toggle} />}
      {span?.status.message && <div className="status-message">{span.status.message}</div>}
      {findings.map((f) => (
        <a key={f.fingerprint} className={`finding-strip ${f.severity}`} href={`#/findings/${f.fingerprint}`}>
          <Icon name="flag" size={13} />
          {/* one flex item: the title's words and code wrap as a line, not as columns */}
          <span>
            <MarkedText text={f.title} />
          </span>
        </a>
      ))}
      {hops.map(({ hop, side, other }) => {
        const here = w.spanRowByRef.has(spanKey(other));
        const joined = sameStitch(hop, trace.stitch);
        return (
          <div key={`${side}>${spanKey(other)}`} className="hop-strip" data-testid="hop-strip" data-side={side}>
            <Icon name="link" size={13} />
            <span className="hop-text">
              {side === 'producer' ? (
                <>
                  Continues in <b>{hop.finding.service}</b> {hop.finding.operation},
                </>
              ) : (
                'Continued from'
              )}{' '}
              {here ? 'span' : 'trace'}{' '}
              <a
                className="mono"
                href={traceHref(other.traceId, other.spanId)}
                title={`trace ${other.traceId}, span ${other.spanId}`}
                onClick={(e) => {
                  if (here) {
                    e.preventDefault();
                    selectSpan(other.spanId, other.traceId);
                  }
                }}
              >
                {here ? other.spanId : `${other.traceId.slice(0, 8)}…${other.traceId.slice(-4)}`}
              </a>{' '}
              <span className="muted">(lost context{joined ? ', stitched here' : ''})</span>
            </span>
            <span className="hop-links">
              <a href={routeHash({ view: 'findings', fingerprint: hop.finding.fingerprint })} title={hop.finding.title.replace(/`/g, '')} data-testid="hop-finding">
                <Icon name="flag" size={12} /> Finding
              </a>
              {!joined && (
                <a href={stitchHref(hop)} title="Producer and consumer as one trace" data-testid="hop-stitched">
                  <Icon name="route" size={12} /> Stitched view
                </a>
              )}
            </span>
          </div>
        );
      })}
      {detail && objectView.openUid ? (
        <div className="detail-body object-host">
          <ObjectPanel uid={objectView.openUid} at={{ atMs: nsToMs(detail.span.startNs) }} objects={detail.objects} onOpen={objectView.open} onClose={objectView.close} />
        </div>
      ) : (
        <>
          <nav className="detail-tabs" role="tablist">
            {tabs.map((t) => (
              <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'active' : ''} onClick={() => setTab(t.id)} data-testid={`tab-${t.id}`}>
                {t.label}
                {t.count !== undefined && <span className="tab-count">{t.count}</span>}
              </button>
            ))}
          </nav>
          <div className={`detail-body ${tab === 'json' && detail ? 'flush' : ''}`}>
            {tab === 'logs' ? (
              logs.length === 0 ? (
                <div className="muted small">No logs carry this span's context.</div>
              ) : (
                logs.map((l) => <LogLine key={l.id} log={l} />)
              )
            ) : !loaded ? (
              <div className="muted small detail-loading">
                <span className="spinner" /> Loading span…
              </div>
            ) : !detail ? (
              <div className="error-text">{'error' in loaded ? loaded.error : ''}</div>
            ) : (
              <SpanTabs tab={tab} w={w} detail={detail} filter={filter} setFilter={setFilter} theme={theme} />
            )}
          </div>
        </>
      )}
    </aside>
  );
}

function SpanTabs({ tab, w, detail, filter, setFilter, theme }: { tab: Exclude<DetailTab, 'logs'>; w: Waterfall; detail: WireSpanDetail; filter: string; setFilter(f: string): void; theme: 'light' | 'dark' }) {
  const selectSpan = useTraceView((s) => s.selectSpan);
  const { span } = detail;
  const resource = detail.resources[span.resource];
  const scope = detail.scopes[span.scope];
  switch (tab) {
    case 'attributes':
      return (
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
      );
    case 'events':
      return span.events.length === 0 ? (
        <div className="muted small">No events on this span.</div>
      ) : (
        <>
          {span.events.map((e, i) => (
            <Section key={i} title={e.name}>
              <div className="muted small mono">+{formatDuration(nsBetween(span.startNs, e.timeNs))} after span start</div>
              <AttributeTable attributes={e.attributes} />
            </Section>
          ))}
        </>
      );
    case 'links':
      return span.links.length === 0 ? (
        <div className="muted small">No links on this span.</div>
      ) : (
        <>
          {span.links.map((l, i) => {
            const here = w.spanRowByRef.has(spanKey(l));
            return (
              <Section key={i} title={here ? 'Link within this view' : 'Link to another trace'}>
                <a
                  className="link-target mono"
                  href={traceHref(l.traceId, l.spanId)}
                  data-testid="span-link"
                  onClick={(e) => {
                    if (here) {
                      e.preventDefault();
                      selectSpan(l.spanId, l.traceId);
                    }
                  }}
                >
                  <Icon name="link" size={13} />
                  {l.traceId.slice(0, 12)}… / {l.spanId}
                </a>
                <AttributeTable attributes={l.attributes} empty="No link attributes" />
              </Section>
            );
          })}
        </>
      );
    case 'json':
      return <JsonView value={rawSpan(detail)} theme={theme} />;
  }
}
