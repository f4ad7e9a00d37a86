import { useEffect } from 'react';
import { FINDING_KINDS } from '../../../common/findings';
import { spanKey, type WireAnalysisBacklog, type WireFinding, type WireStitch } from '../../../common/wire';
import { paceText, plural, setAsideText } from '../../../common/text';
import { Icon } from '../components/Icon';
import { MarkedText } from '../components/MarkedText';
import { serviceColor } from '../model/colors';
import { distinctOccurrences, distinctStitches } from '../model/findings';
import { evidenceLabel } from '../model/format';
import { useFindings } from '../stores/findings';
import { useLive } from '../stores/live';
import { navigate, routeHash, stitchHref, traceHref, type Route } from '../stores/route';
import { ObjectChips, useOpenObject } from './ObjectChips';
import { ObjectPanel } from './ObjectPanel';

const MAX_OCCURRENCES_SHOWN = 50;

/** A span reference as a link to it; a list as one line per item; log lines as a log; anything else as text or JSON. */
function EvidenceValue({ value }: { value: unknown }) {
  if (isSpanRef(value)) {
    const label = typeof value.service === 'string' ? `${value.service} · ${String(value.operation ?? '')}` : value.spanId;
    return (
      <a className="attr-text evidence-span" href={traceHref(value.traceId, value.spanId)} title={`trace ${value.traceId}, span ${value.spanId}`}>
        <Icon name="layers" size={12} /> {label} <span className="muted mono">{value.spanId}</span>
      </a>
    );
  }
  if (Array.isArray(value) && value.every(isLogLine)) {
    return (
      <div className="evidence-log" data-testid="evidence-log">
        {value.map((l, i) => (
          <div key={i} className={`evidence-log-line${PANIC.test(l.body) ? ' panic' : ''}`}>
            <span className="muted mono">{l.time.slice(11, 23)}</span> <span className="evidence-log-sev">{l.severity}</span> <span className="mono">{l.body}</span>
          </div>
        ))}
      </div>
    );
  }
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) {
    return value.length <= 1 ? (
      <span className="attr-text">{value[0] ?? ''}</span>
    ) : (
      <ul className="evidence-list">
        {value.map((x, i) => (
          <li key={i}>{x}</li>
        ))}
      </ul>
    );
  }
  return <span className="attr-text">{typeof value === 'string' ? value : JSON.stringify(value)}</span>;
}

const PANIC = /\bpanic:|\bfatal error:/i;

function isLogLine(v: unknown): v is { time: string; severity: string; body: string } {
  const l = v as { time?: unknown; severity?: unknown; body?: unknown } | null;
  return typeof l === 'object' && l !== null && typeof l.time === 'string' && typeof l.severity === 'string' && typeof l.body === 'string';
}

function isSpanRef(v: unknown): v is { traceId: string; spanId: string; service?: unknown; operation?: unknown } {
  return typeof v === 'object' && v !== null && typeof (v as { traceId?: unknown }).traceId === 'string' && typeof (v as { spanId?: unknown }).spanId === 'string';
}

function EvidenceTable({ evidence }: { evidence: unknown }) {
  if (evidence === null || typeof evidence !== 'object') return <pre className="evidence-raw">{JSON.stringify(evidence, null, 2)}</pre>;
  // uids are for linking (the chips above show those objects), not for reading
  const entries = Object.entries(evidence as Record<string, unknown>).filter(([k]) => !k.endsWith('Uid'));
  if (entries.length === 0) return <div className="muted small">No evidence recorded.</div>;
  return (
    <dl className="attr-table evidence">
      {entries.map(([k, v]) => (
        <div className="attr-row" key={k}>
          <dt title={k}>{evidenceLabel(k)}</dt>
          <dd className="attr-value">
            <EvidenceValue value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Where the finding's Kubernetes objects go: chips, the open one's panel, or a line on how to get them. */
function FindingObjects({ finding, clusterKnown }: { finding: WireFinding; clusterKnown: boolean }) {
  const objectView = useOpenObject(finding.fingerprint);
  if (finding.objects.length === 0) {
    return (
      <div className="object-hint" data-testid="object-hint">
        <Icon name="cube" size={13} />
        {clusterKnown ? (
          <span>No Kubernetes object matched the spans of this finding.</span>
        ) : (
          <span>
            Cluster linking is off: no cluster history yet. Connect one in the <a href={routeHash({ view: 'cluster' })}>Cluster view</a>, or with <code>hopscope serve --cluster</code>.
          </span>
        )}
      </div>
    );
  }
  return (
    <>
      <ObjectChips objects={finding.objects} openUid={objectView.openUid} onToggle={objectView.toggle} />
      {objectView.openUid && (
        <ObjectPanel uid={objectView.openUid} at={{ finding: finding.fingerprint }} objects={finding.objects} onOpen={objectView.open} onClose={objectView.close} />
      )}
    </>
  );
}

function FindingDetail({ finding, stitches, clusterKnown }: { finding: WireFinding; stitches: WireStitch[]; clusterKnown: boolean }) {
  const occurrences = distinctOccurrences(finding.occurrences);
  const traces = new Set(occurrences.map((o) => o.traceId));
  const related = distinctStitches(stitches.filter((s) => traces.has(s.from.traceId) || traces.has(s.to.traceId)));
  const kind = FINDING_KINDS[finding.kind];
  return (
    <div className="finding-detail" data-testid="finding-detail">
      <div className="finding-detail-head">
        <span className={`sev-pill ${finding.severity}`}>{finding.severity}</span>
        <code>
          {finding.kind}/{finding.subkind}
        </code>
        <span className="muted mono small">#{finding.fingerprint}</span>
      </div>
      <h2>
        <MarkedText text={finding.title} />
      </h2>
      <div className="finding-where">
        <span className="svc-dot" style={{ background: serviceColor(finding.service) }} />
        <b>{finding.service}</b> <span className="muted">·</span> {finding.operation}
        <span className="muted">
          {' '}
          · {finding.count.toLocaleString()} {finding.count === 1 ? 'occurrence' : 'occurrences'}
        </span>
      </div>
      <FindingObjects finding={finding} clusterKnown={clusterKnown} />
      <p className="kind-help">
        <b>{kind.label}.</b> {kind.help} <span className="muted">Typical cause:</span> <MarkedText text={kind.cause} />
      </p>
      <section className="detail-section">
        <h4>Evidence</h4>
        <EvidenceTable evidence={finding.evidence} />
      </section>
      {related.length > 0 && (
        <section className="detail-section">
          <h4>Stitched traces</h4>
          {related.map((s) => (
            <a key={`${spanKey(s.from)}>${spanKey(s.to)}`} className="stitch-row" href={stitchHref(s)} data-testid="stitch-link">
              <span className="stitch-ends mono">
                <span className="muted">producer</span> {s.from.spanId} <span className="stitch-arrow">⇢</span> <span className="muted">consumer</span> {s.to.spanId}
              </span>
              <span className="muted small">{s.signals.join(' · ')}</span>
              <span className="confidence" title="Confidence">
                {Math.round(s.confidence * 100)}%
              </span>
            </a>
          ))}
        </section>
      )}
      <section className="detail-section">
        <h4>
          Occurrences <span className="muted">{occurrences.length}</span>
        </h4>
        <div className="occurrences">
          {occurrences.slice(0, MAX_OCCURRENCES_SHOWN).map((o) => (
            <a key={spanKey(o)} className="occurrence mono" href={traceHref(o.traceId, o.spanId)} data-testid="occurrence">
              <Icon name="layers" size={12} /> {o.traceId.slice(0, 16)}… <span className="muted">span</span> {o.spanId}
            </a>
          ))}
          {occurrences.length > MAX_OCCURRENCES_SHOWN && <div className="muted small">and {occurrences.length - MAX_OCCURRENCES_SHOWN} more</div>}
        </div>
      </section>
    </div>
  );
}

/** While many traces wait for analysis: what is listed is not all there will be. */
function AnalysisBehind({ backlog }: { backlog: WireAnalysisBacklog }) {
  return (
    <div className="analysis-behind" role="status" data-testid="analysis-behind">
      <Icon name="clock" size={13} />
      <span>
        Findings are incomplete: {backlog.due.toLocaleString('en-US')} traces wait for analysis{paceText(backlog.due, backlog.perSecond)}.
      </span>
    </div>
  );
}

/** Once live analysis set aside traces too large for it: their findings are missing, and what analyzes them (why, in its tooltip). */
function AnalysisSetAside({ n }: { n: number }) {
  return (
    <div className="analysis-behind set-aside" role="status" title={setAsideText(n)} data-testid="analysis-set-aside">
      <Icon name="alert" size={13} />
      <span>
        Findings are incomplete: {n.toLocaleString('en-US')} {plural(n, 'trace')} too large to analyze live; <code>hopscope analyze --db</code> analyzes{' '}
        {n === 1 ? 'it' : 'them'}.
      </span>
    </div>
  );
}

export function FindingsView({ route }: { route: Extract<Route, { view: 'findings' }> }) {
  const backlog = useLive((s) => s.stats?.analysisBacklog);
  const setAside = useLive((s) => s.stats?.analysisSetAside);
  const data = useFindings((s) => s.data);
  const loading = useFindings((s) => s.loading);
  const error = useFindings((s) => s.error);
  const version = useLive((s) => s.findingsVersion);

  useEffect(() => {
    void useFindings.getState().load();
  }, [version]);

  const all = data?.findings ?? [];
  const findings = route.object === undefined ? all : all.filter((f) => f.objects.some((o) => o.uid === route.object));
  const about = route.object === undefined ? undefined : all.flatMap((f) => f.objects).find((o) => o.uid === route.object);
  const current = findings.find((f) => f.fingerprint === route.fingerprint) ?? findings[0];

  if (!data) {
    return <div className="page-message muted">{error ?? (loading ? 'Loading findings…' : '')}</div>;
  }
  if (findings.length === 0 && route.object !== undefined) {
    return (
      <div className="page-message" data-testid="findings-empty">
        <Icon name="flag" size={22} />
        <h2>No findings about this object</h2>
        <p className="muted">The findings that named it have gone (their traces were trimmed, or the object no longer matches).</p>
        <a className="button" href={routeHash({ view: 'findings' })}>
          Show all findings
        </a>
      </div>
    );
  }
  if (findings.length === 0) {
    return (
      <div className="page-message" data-testid="findings-empty">
        <Icon name="flag" size={22} />
        <h2>No findings</h2>
        <p className="muted">
          Hopscope checks every trace for broken parent links, traces split at async hops, request IDs that disagree with trace IDs, sampling skew and logs that lost their span.
          {backlog || setAside ? ' Nothing is wrong in what it has analyzed so far.' : ' Nothing is wrong in what it has seen so far.'}
        </p>
        {backlog && <AnalysisBehind backlog={backlog} />}
        {!!setAside && <AnalysisSetAside n={setAside} />}
      </div>
    );
  }
  return (
    <div className="findings-view" data-testid="findings-view">
      <div className="finding-list">
        {backlog && <AnalysisBehind backlog={backlog} />}
        {!!setAside && <AnalysisSetAside n={setAside} />}
        {route.object !== undefined && (
          <div className="finding-filter" data-testid="finding-filter">
            <Icon name="cube" size={13} />
            <span className="finding-filter-text">
              About {about ? <>{about.kind} <b className="mono">{about.name}</b></> : 'one Kubernetes object'}
              {about?.namespace && <span className="muted"> in {about.namespace}</span>}
            </span>
            <a href={routeHash({ view: 'findings', fingerprint: current?.fingerprint })} className="finding-filter-clear">
              Show all
            </a>
          </div>
        )}
        {findings.map((f) => (
          <button
            key={f.fingerprint}
            type="button"
            className={`finding-item ${f === current ? 'active' : ''}`}
            onClick={() => navigate({ view: 'findings', fingerprint: f.fingerprint, object: route.object }, { replace: true })}
            data-testid="finding-item"
          >
            <span className={`sev-bar ${f.severity}`} />
            <span className="finding-item-main">
              <span className="finding-item-title">
                <MarkedText text={f.title} />
              </span>
              <span className="muted small">
                {f.kind}/{f.subkind} · {f.service}
              </span>
            </span>
            <span className="finding-count">{f.count.toLocaleString()}</span>
          </button>
        ))}
      </div>
      {current && <FindingDetail key={current.fingerprint} finding={current} stitches={data.stitches} clusterKnown={findings.some((f) => f.objects.length > 0)} />}
    </div>
  );
}
