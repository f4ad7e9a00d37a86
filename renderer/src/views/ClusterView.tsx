import { useEffect, useState, type FormEvent } from 'react';
import type { WireClusterStatus, WireClusterStream, WireClusterWatch, WireClusterWorkloads, WireKubeconfig, WireWorkload, WireWorkloadPod } from '../../../common/wire';
import { Icon } from '../components/Icon';
import { formatCount, plural } from '../model/format';
import { goneText, relativeTime } from '../model/objects';
import {
  filterWorkloads,
  parseNamespaces,
  podLabels,
  podStatus,
  readiness,
  watchHeadline,
  watchSummary,
  workloadLinks,
  workloadTotals,
  worstSeverity,
  type WatchProblem,
} from '../model/workloads';
import { followCluster, useCluster } from '../stores/cluster';
import { useClusterObjects } from '../stores/clusterObjects';
import { routeHash } from '../stores/route';
import { useNow, useOpenObject } from './ObjectChips';
import { ObjectPanel } from './ObjectPanel';

/** Pod chips shown per workload before the rest fold behind "+n". */
const PODS_SHOWN = 8;

/** Contexts, namespaces and the live watch; the workloads of the cluster watched (or last recorded), with their pods and findings. */
export function ClusterView() {
  const status = useCluster((s) => s.status);
  const workloads = useCluster((s) => s.workloads);
  const error = useCluster((s) => s.error);
  const watchesShown = useCluster((s) => s.watchesShown);
  const objectView = useOpenObject('cluster');
  useEffect(followCluster, []);

  // An open object follows the cluster: ask for its latest state whenever a new reading comes.
  const { openUid } = objectView;
  const readAt = workloads?.atMs;
  useEffect(() => {
    if (openUid && readAt) useClusterObjects.getState().refresh(openUid);
  }, [openUid, readAt]);

  if (!status) {
    return <div className="page-message muted">{error ?? <span className="spinner" aria-label="Loading" />}</div>;
  }
  const open = openUid ? workloads?.namespaces.flatMap((ns) => ns.workloads).find((w) => w.uid === openUid || w.pods.some((p) => p.uid === openUid)) : undefined;
  return (
    <div className="cluster-view" data-testid="cluster-view">
      <ConnectBar status={status} />
      <div className={`cluster-body ${openUid ? 'with-panel' : ''}`}>
        <div className="cluster-main">
          {error && (
            <div className="notice bad">
              <Icon name="alert" size={14} />
              <span>The collector did not answer: {error}</span>
            </div>
          )}
          <Notices status={status} />
          {watchesShown && status.watch.streams.length > 0 && <Watches watch={status.watch} />}
          {!status.watch.connected && <ConnectHelp status={status} hasHistory={Boolean(workloads?.namespaces.length)} />}
          {workloads && <Workloads status={status} workloads={workloads} openUid={openUid} onToggle={objectView.toggle} />}
        </div>
        {openUid && (
          <aside className="cluster-panel object-host" aria-label="Kubernetes object">
            <ObjectPanel uid={openUid} at={{}} objects={open ? workloadLinks(open) : []} onOpen={objectView.open} onClose={objectView.close} />
          </aside>
        )}
      </div>
    </div>
  );
}

/** Context and namespaces to watch, connect / switch / disconnect, and how the watch is doing. */
function ConnectBar({ status }: { status: WireClusterStatus }) {
  const { watch, kubeconfig, canConnect } = status;
  const busy = useCluster((s) => s.busy);
  const [context, setContext] = useState<string>();
  const [namespacesText, setNamespacesText] = useState<string>();
  const contexts = kubeconfig.contexts;
  const fallback = (watch.connected && contexts.some((c) => c.name === watch.context) ? watch.context : undefined) ?? contexts.find((c) => c.current)?.name ?? contexts[0]?.name ?? '';
  const chosen = context !== undefined && contexts.some((c) => c.name === context) ? context : fallback;
  const text = namespacesText ?? watch.namespaces.join(', ');
  const parsed = parseNamespaces(text);
  const unchanged = watch.connected && !watch.error && chosen === watch.context && sameNames(parsed.namespaces, watch.namespaces);
  const connectable = canConnect && chosen !== '' && parsed.invalid === undefined && !busy && !unchanged;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!connectable) return;
    void useCluster
      .getState()
      .connect(chosen, parsed.namespaces)
      .then((taken) => {
        if (!taken) return;
        setContext(undefined);
        setNamespacesText(undefined);
      });
  };

  return (
    <form className="cluster-bar" onSubmit={submit} aria-label="Cluster connection">
      <label className="field context-field">
        <span className="field-label">Context</span>
        <select value={chosen} disabled={!canConnect || contexts.length === 0} onChange={(e) => setContext(e.target.value)} data-testid="context-select">
          {contexts.length === 0 && <option value="">No contexts</option>}
          {contexts.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
              {c.current ? ' (current)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label className={`field namespaces-field ${parsed.invalid !== undefined ? 'invalid' : ''}`} title="Namespaces to watch, separated by commas; empty watches every namespace you may list">
        <span className="field-label">Namespaces</span>
        <input
          value={text}
          placeholder="All namespaces"
          disabled={!canConnect || contexts.length === 0}
          spellCheck={false}
          autoCapitalize="off"
          onChange={(e) => setNamespacesText(e.target.value)}
          aria-invalid={parsed.invalid !== undefined}
          aria-describedby={parsed.invalid !== undefined ? 'namespaces-invalid' : undefined}
          data-testid="namespaces-input"
        />
      </label>
      <button type="submit" className={`button ${unchanged ? 'connected' : 'primary'}`} disabled={!connectable} data-testid="connect-button">
        <Icon name={unchanged ? 'check' : 'link'} size={14} />
        {busy === 'connect' ? 'Connecting…' : unchanged ? 'Connected' : watch.connected ? 'Switch' : 'Connect'}
      </button>
      {watch.connected && (
        <button type="button" className="button" disabled={Boolean(busy)} onClick={() => void useCluster.getState().disconnect()} data-testid="disconnect-button">
          <Icon name="unlink" size={14} />
          {busy === 'disconnect' ? 'Disconnecting…' : 'Disconnect'}
        </button>
      )}
      {parsed.invalid !== undefined && (
        <span className="error-text small" id="namespaces-invalid">
          “{parsed.invalid}” is not a namespace name
        </span>
      )}
      <div className="topbar-spacer" />
      <WatchStatus watch={watch} />
    </form>
  );
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n) => b.includes(n));
}

function WatchStatus({ watch }: { watch: WireClusterWatch }) {
  const shown = useCluster((s) => s.watchesShown);
  const summary = watchSummary(watch);
  const where = watch.connected && watch.server ? `${watch.context} · ${watch.server}` : 'No cluster is watched';
  const pill = (
    <>
      <span className="dot" />
      {watchHeadline(watch, summary)}
    </>
  );
  if (watch.streams.length === 0) {
    return (
      <span className={`pill watch-pill ${summary.health}`} title={where} role="status" data-testid="watch-status" data-health={summary.health}>
        {pill}
      </span>
    );
  }
  return (
    <button
      type="button"
      className={`pill watch-pill ${summary.health}`}
      title={`${where}\nShow each resource's watch`}
      aria-expanded={shown}
      aria-controls="cluster-watches"
      onClick={() => useCluster.getState().toggleWatches()}
      data-testid="watch-status"
      data-health={summary.health}
    >
      {pill}
      <Icon name={shown ? 'chevronDown' : 'chevronRight'} size={12} />
    </button>
  );
}

const STATE_ORDER: Record<WireClusterStream['state'], number> = { error: 0, syncing: 1, synced: 2 };

/** Each resource's watch: its state, how many objects it holds, its restarts and when it last heard from the server. */
function Watches({ watch }: { watch: WireClusterWatch }) {
  const now = useNow(5000);
  const streams = watch.streams.toSorted((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.namespace.localeCompare(b.namespace) || a.resource.localeCompare(b.resource));
  return (
    <section className="cluster-card watches" id="cluster-watches" aria-label="Watches" data-testid="cluster-watches">
      <h3>
        Watches <span className="muted">{streams.length}</span>
      </h3>
      <table className="object-table">
        <thead>
          <tr>
            <th className="fit">Resource</th>
            <th className="fit">Namespace</th>
            <th className="fit">State</th>
            <th className="fit num">Objects</th>
            <th className="fit num">Restarts</th>
            <th>Last event</th>
          </tr>
        </thead>
        <tbody>
          {streams.map((s) => (
            <tr key={`${s.resource}/${s.namespace}`}>
              <td className="fit mono">{s.resource}</td>
              <td className="fit">{s.namespace || <span className="muted">{s.kind === 'Node' ? 'cluster' : 'all'}</span>}</td>
              <td className={`fit tone-text ${s.state === 'synced' ? 'ok' : s.state === 'error' ? 'warn' : ''}`} title={s.error}>
                {s.state === 'error' ? (s.failure === 'forbidden' ? 'forbidden' : 'failing') : s.state}
              </td>
              <td className="fit num">{formatCount(s.objects)}</td>
              <td className="fit num">{s.restarts}</td>
              <td className="muted">{s.lastEventMs ? relativeTime(s.lastEventMs, now) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** What went wrong, calmly: a refused connect, an unreadable kubeconfig, a context that cannot be used, resources RBAC refuses. */
function Notices({ status }: { status: WireClusterStatus }) {
  const actionError = useCluster((s) => s.actionError);
  const { watch, kubeconfig } = status;
  const problems = watchSummary(watch).problems;
  return (
    <>
      {actionError && (
        <div className="notice bad" role="alert" data-testid="connect-error">
          <Icon name="alert" size={14} />
          <span>{actionError}</span>
        </div>
      )}
      {kubeconfig.error && kubeconfig.contexts.length > 0 && (
        <div className="notice warn">
          <Icon name="alert" size={14} />
          <span>{kubeconfig.error}</span>
        </div>
      )}
      {watch.connected && watch.error && (
        <div className="notice warn" data-testid="watch-error">
          <Icon name="alert" size={14} />
          <span>
            <b>Not watching {watch.context ? `context ${watch.context}` : 'a cluster'}.</b> {watch.error}
          </span>
        </div>
      )}
      {problems.length > 0 && <Problems problems={problems} />}
    </>
  );
}

function Problems({ problems }: { problems: WatchProblem[] }) {
  const allForbidden = problems.every((p) => p.forbidden);
  return (
    <section className="cluster-problems" aria-label="Resources that cannot be read" data-testid="cluster-problems">
      <header>
        <Icon name="alert" size={14} />
        <b>{allForbidden ? 'Some resources are not allowed' : 'Some resources cannot be read'}</b>
        <span className="muted">
          — everything else is watched{allForbidden ? '. Allow get, list and watch on them (the README has the ClusterRole) to see them too.' : ', and these are tried again.'}
        </span>
      </header>
      <ul>
        {problems.map((p) => (
          <li key={p.title} data-testid="cluster-problem">
            <span className="problem-title">{p.title}</span>
            <span className="problem-resources">{p.resources.join(', ')}</span>
            {p.detail !== p.title && <span className="problem-detail">{p.detail}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The state before a cluster is watched: where the kubeconfig was looked for, its contexts, and how to connect. */
function ConnectHelp({ status, hasHistory }: { status: WireClusterStatus; hasHistory: boolean }) {
  const { kubeconfig, canConnect } = status;
  const noKubeconfig = kubeconfig.missing;
  const unreadable = !noKubeconfig && kubeconfig.contexts.length === 0 && kubeconfig.error !== undefined;
  const state = !canConnect ? 'history' : noKubeconfig ? 'no-kubeconfig' : unreadable ? 'unreadable' : 'not-connected';
  const title = { history: hasHistory ? 'Recorded cluster history' : 'No cluster history', 'no-kubeconfig': 'No kubeconfig found', unreadable: 'The kubeconfig cannot be read', 'not-connected': 'Not watching a cluster' }[state];
  return (
    <div className={`cluster-empty ${hasHistory ? 'compact' : ''}`} data-testid="cluster-empty" data-state={state}>
      <div className="cluster-empty-hero">
        <span className="cluster-empty-icon" aria-hidden>
          <Icon name="cube" size={22} />
        </span>
        <div>
          <h2>{title}</h2>
          {state === 'no-kubeconfig' && (
            <p className="where">
              Hopscope looked where kubectl does: <KubeconfigWhere kubeconfig={kubeconfig} />.
            </p>
          )}
          {state === 'unreadable' && <p className="where error-text">{kubeconfig.error}</p>}
          {state === 'history' && <p className="where">This Hopscope shows the cluster history its store recorded; it does not connect to clusters itself.</p>}
          <p className="muted">
            Hopscope works fully without a cluster: traces, logs and findings need none. Connected to one, it ties each finding and span to the pod, workload and node
            behind it, as they were at the time — even after the pods are gone.
          </p>
        </div>
      </div>
      {state === 'no-kubeconfig' && <ConnectSteps />}
      {state === 'unreadable' && (
        <div className="cluster-card">
          <p className="muted">Fix the file (kubectl reads it the same way); this page picks the change up by itself.</p>
        </div>
      )}
      {state === 'not-connected' && <ContextList kubeconfig={kubeconfig} />}
    </div>
  );
}

function KubeconfigWhere({ kubeconfig }: { kubeconfig: WireKubeconfig }) {
  const files = kubeconfig.files.map((f, i) => (
    <span key={f}>
      {i > 0 && ', '}
      <code>{f}</code>
    </span>
  ));
  if (kubeconfig.source === 'flag') return <>the file given with <code>--kubeconfig</code>, {files}</>;
  if (kubeconfig.source === 'env') return <>the files in <code>KUBECONFIG</code>, {files}</>;
  if (kubeconfig.source === 'in-cluster') return <>the pod's service account</>;
  return (
    <>
      {files} (<code>KUBECONFIG</code> is not set)
    </>
  );
}

function ConnectSteps() {
  return (
    <section className="cluster-card" data-testid="no-kubeconfig">
      <h3>Connect a cluster</h3>
      <ol className="connect-steps">
        <li>
          Get credentials as you would for kubectl: <code>aws eks update-kubeconfig</code>, <code>gcloud container clusters get-credentials</code>, <code>az aks get-credentials</code>{' '}
          or <code>kind create cluster</code>. This page notices the new file by itself.
        </li>
        <li>Pick a context above and press Connect. The choice is remembered for the next start.</li>
        <li>
          Or start the collector watching one: <code>hopscope serve --cluster --context NAME</code>.
        </li>
      </ol>
      <p className="muted small">Hopscope only gets, lists and watches. The ClusterRole it needs is in the README, under “Linking to the cluster”.</p>
    </section>
  );
}

function ContextList({ kubeconfig }: { kubeconfig: WireKubeconfig }) {
  const busy = useCluster((s) => s.busy);
  if (kubeconfig.contexts.length === 0) {
    return (
      <div className="cluster-card">
        <p>
          The kubeconfig (<KubeconfigWhere kubeconfig={kubeconfig} />) defines no contexts.
        </p>
      </div>
    );
  }
  return (
    <section className="cluster-card" data-testid="context-list">
      <h3>Contexts</h3>
      <p className="muted small">
        From <KubeconfigWhere kubeconfig={kubeconfig} />. Connect to one, or pick it above with the namespaces to watch.
      </p>
      <ul className="context-list">
        {kubeconfig.contexts.map((c) => (
          <li key={c.name} className="context-item" data-testid="context-item">
            <span className="context-name">
              <b>{c.name}</b>
              {c.current && <span className="context-current">current</span>}
            </span>
            <span className="context-server mono" title={`cluster ${c.cluster}, user ${c.user}`}>
              {c.server || 'no server'}
            </span>
            <span className="muted small">{c.namespace ? `namespace ${c.namespace}` : ''}</span>
            <button type="button" className="button small" disabled={Boolean(busy)} onClick={() => void useCluster.getState().connect(c.name, [])} aria-label={`Connect to ${c.name}`}>
              Connect
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Workloads({ status, workloads, openUid, onToggle }: { status: WireClusterStatus; workloads: WireClusterWorkloads; openUid?: string; onToggle(uid: string): void }) {
  const filter = useCluster((s) => s.filter);
  const setFilter = useCluster((s) => s.setFilter);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const now = useNow();
  const { watch } = status;
  const all = workloads.namespaces;
  const shown = filterWorkloads(all, filter);
  const totals = workloadTotals(shown);
  const syncing = watch.connected && !watch.error && watchSummary(watch).health === 'syncing';

  if (workloads.cluster === null || (all.length === 0 && watch.connected)) {
    if (!watch.connected) return null;
    if (watch.error) return null;
    return (
      <div className="page-message" data-testid="workloads-empty">
        {syncing ? (
          <>
            <span className="spinner" aria-hidden />
            <div>Listing the objects of context {watch.context}…</div>
          </>
        ) : (
          <div className="muted">No workloads or pods {watch.namespaces.length > 0 ? `in ${watch.namespaces.join(', ')}` : 'that this user may read'}.</div>
        )}
      </div>
    );
  }
  if (all.length === 0) return null;

  const namespaceNames = all.map((ns) => ns.namespace);
  const toggleNamespace = (ns: string) => setCollapsed((s) => (s.has(ns) ? new Set([...s].filter((n) => n !== ns)) : new Set([...s, ns])));
  return (
    <section className="workloads" aria-label="Workloads">
      <div className="workloads-head">
        <div className="workloads-source">
          {workloads.watched ? (
            <>
              <span className="muted">Watching</span> <b>{watch.context}</b> <span className="muted mono small">{workloads.cluster}</span>
            </>
          ) : (
            <>
              <span className="muted">Recorded history of</span> <span className="mono small">{workloads.cluster}</span> <span className="muted">· not watched now</span>
            </>
          )}
        </div>
        <div className="workloads-totals muted small" data-testid="workload-totals">
          {formatCount(totals.workloads)} {plural(totals.workloads, 'workload')} · {formatCount(totals.pods)} {plural(totals.pods, 'pod')}
          {totals.notReady > 0 && <span className="tone-text warn"> · {totals.notReady} not ready</span>}
          {totals.withFindings > 0 && <span className="tone-text finding-text"> · {totals.withFindings} with findings</span>}
        </div>
        <div className="topbar-spacer" />
        <label className="field compact">
          <select aria-label="Namespace" value={filter.namespace ?? ''} onChange={(e) => setFilter({ ...filter, namespace: e.target.value || undefined })} data-testid="namespace-filter">
            <option value="">All namespaces</option>
            {namespaceNames.map((ns) => (
              <option key={ns}>{ns}</option>
            ))}
          </select>
        </label>
        <label className="search-box compact">
          <Icon name="search" size={14} />
          <input value={filter.text ?? ''} placeholder="Filter workloads and pods" aria-label="Filter workloads and pods" onChange={(e) => setFilter({ ...filter, text: e.target.value })} data-testid="workload-search" />
        </label>
      </div>
      {workloads.truncated && <div className="notice warn">This cluster has more pods and workloads than one page reads; some are not listed.</div>}
      {shown.length === 0 ? (
        <div className="no-results">
          <Icon name="search" size={20} />
          <div>No workloads match this filter.</div>
          <button type="button" className="button" onClick={() => setFilter({})}>
            Clear filter
          </button>
        </div>
      ) : (
        <table className="workload-table" data-testid="workload-table">
          <thead>
            <tr>
              <th className="kind-col">Kind</th>
              <th>Name</th>
              <th className="ready-col">Ready</th>
              <th>Pods</th>
              <th className="num restarts-col">Restarts</th>
              <th className="findings-col">Findings</th>
            </tr>
          </thead>
          {shown.map((ns) => {
            const folded = collapsed.has(ns.namespace);
            // What a refused watch cannot see is still the last recorded state: say so where it shows.
            const stale = workloads.watched && watch.streams.some((s) => s.resource === 'pods' && (s.namespace === ns.namespace || s.namespace === '') && s.state === 'error');
            return (
              <tbody key={ns.namespace} data-testid="namespace-group" data-namespace={ns.namespace}>
                <tr className="ns-row">
                  <th colSpan={6} scope="rowgroup">
                    <button type="button" className="ns-toggle" aria-expanded={!folded} onClick={() => toggleNamespace(ns.namespace)}>
                      <Icon name={folded ? 'chevronRight' : 'chevronDown'} size={13} />
                      <span className="ns-name">{ns.namespace}</span>
                      <span className="muted">
                        {ns.workloads.length} {plural(ns.workloads.length, 'workload')}
                      </span>
                      {stale && (
                        <span className="ns-stale" title="The watch of this namespace's pods fails; the state shown is the last one recorded">
                          cannot read now · last recorded state
                        </span>
                      )}
                    </button>
                  </th>
                </tr>
                {!folded && ns.workloads.map((w) => <WorkloadRow key={w.uid} workload={w} openUid={openUid} onToggle={onToggle} now={now} />)}
              </tbody>
            );
          })}
        </table>
      )}
    </section>
  );
}

function WorkloadRow({ workload: w, openUid, onToggle, now }: { workload: WireWorkload; openUid?: string; onToggle(uid: string): void; now: number }) {
  const ready = readiness(w);
  const gone = goneText(w.gone, now);
  const opensSelf = w.known || w.kind === 'Pod';
  const selected = openUid !== undefined && (openUid === w.uid || w.pods.some((p) => p.uid === openUid));
  return (
    <tr className={`workload-row ${selected ? 'selected' : ''} ${gone ? 'gone' : ''}`} data-testid="workload-row" data-workload={`${w.kind}/${w.name}`}>
      <td className="kind-col">
        <span className="workload-kind">{w.kind}</span>
      </td>
      <td className="name-col">
        {opensSelf ? (
          <button type="button" className="workload-name" data-object-uid={w.uid} aria-expanded={openUid === w.uid} onClick={() => onToggle(w.uid)} title={`Open ${w.kind} ${w.name}`}>
            {w.name}
          </button>
        ) : (
          <span className="workload-name unknown" title={`Not in the recorded history (its ${w.kind} could not be read); its pods name it`}>
            {w.name}
          </span>
        )}
        {gone && <span className="object-gone">{gone}</span>}
      </td>
      <td className="ready-col">
        <span className={`object-state tone-${ready.tone}`}>{ready.text}</span>
      </td>
      <td className="pods-col">{w.kind === 'Pod' ? <span className="muted small">{w.pods[0]?.node ? `on ${w.pods[0].node}` : ''}</span> : <PodChips workload={w} openUid={openUid} onToggle={onToggle} now={now} />}</td>
      <td className="num restarts-col">{w.restarts > 0 ? <span className="object-restarts">↻ {w.restarts}</span> : <span className="muted">0</span>}</td>
      <td className="findings-col">
        <FindingsBadge workload={w} />
      </td>
    </tr>
  );
}

function PodChips({ workload, openUid, onToggle, now }: { workload: WireWorkload; openUid?: string; onToggle(uid: string): void; now: number }) {
  const [all, setAll] = useState(false);
  const pods = workload.pods;
  if (pods.length === 0) return <span className="muted small">no pods</span>;
  const shown = all ? pods : pods.slice(0, PODS_SHOWN);
  const labels = podLabels(workload);
  return (
    <div className="pod-chips" role="group" aria-label={`Pods of ${workload.name}`}>
      {shown.map((p) => {
        const status = podStatus(p);
        const gone = goneText(p.gone, now);
        return (
          <button
            key={p.uid}
            type="button"
            className={`pod-chip tone-${status.tone} ${gone ? 'gone' : ''}`}
            title={podTooltip(p, status.text, gone)}
            aria-label={`Pod ${p.name}: ${status.text}${gone ? `, ${gone}` : ''}`}
            aria-expanded={openUid === p.uid}
            data-object-uid={p.uid}
            data-testid="pod-chip"
            onClick={() => onToggle(p.uid)}
          >
            <span className="pod-dot" />
            <span className="pod-name">{labels.get(p.uid)}</span>
            {(status.tone === 'warn' || status.tone === 'bad') && !gone && <span className="pod-state">{status.text}</span>}
            {p.restarts > 0 && <span className="object-restarts">↻{p.restarts}</span>}
          </button>
        );
      })}
      {pods.length > shown.length && (
        <button type="button" className="object-more" onClick={() => setAll(true)}>
          +{pods.length - shown.length} more
        </button>
      )}
    </div>
  );
}

function podTooltip(p: WireWorkloadPod, status: string, gone: string | undefined): string {
  const lines = [`Pod ${p.name}`, status];
  if (p.restarts > 0) lines.push(`${p.restarts} ${plural(p.restarts, 'restart')}`);
  if (p.node) lines.push(`on ${p.node}`);
  if (gone) lines.push(gone);
  return lines.join('\n');
}

function FindingsBadge({ workload: w }: { workload: WireWorkload }) {
  if (w.findings.length === 0) return <span className="muted">—</span>;
  const severity = worstSeverity(w);
  // Several findings open the Findings view filtered to this workload; findings name a workload only when its history is known.
  const href =
    w.findings.length === 1 || !(w.known || w.kind === 'Pod') ? routeHash({ view: 'findings', fingerprint: w.findings[0].fingerprint }) : routeHash({ view: 'findings', fingerprint: w.findings[0].fingerprint, object: w.uid });
  return (
    <a className={`badge finding-badge ${severity === 'error' ? 'error' : 'finding'}`} href={href} data-testid="findings-badge" aria-label={`${w.findings.length} ${plural(w.findings.length, 'finding')} about ${w.name}`} title={w.findings.map((f) => f.title.replace(/`/g, '')).join('\n')}>
      <Icon name="flag" size={12} />
      {w.findings.length}
    </a>
  );
}

