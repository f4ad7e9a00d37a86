import { Fragment, useEffect, type ReactNode } from 'react';
import { deletionRequestedMs, type Condition, type ContainerState, type EndpointSliceState, type EventState, type NodeState, type ObjectLink, type PodState, type ServiceState, type WorkloadState } from '../../../common/cluster';
import type { WireClusterEvent, WireClusterObject, WireClusterObjectQuery, WireOwner } from '../../../common/wire';
import { AttributeTable } from '../components/AttributeTable';
import { CopyButton } from '../components/CopyButton';
import { Icon } from '../components/Icon';
import { Section } from '../components/Section';
import { plural } from '../model/format';
import { clusterTime, conditionTone, goneText, objectStatus, otherObjects, relativeTime } from '../model/objects';
import { objectKey, useClusterObjects } from '../stores/clusterObjects';
import { useNow } from './ObjectChips';

interface PanelProps {
  uid: string;
  /** The time to show it at: a span's start, or the finding whose occurrence reached it. */
  at: WireClusterObjectQuery;
  /** The objects it was linked with, to name and open its node, services and owners. */
  objects: readonly ObjectLink[];
  onOpen(uid: string): void;
  onClose(): void;
}

/** One Kubernetes object in detail as it was at the span's or finding's time: its state, owners and recent events. */
export function ObjectPanel({ uid, at, objects, onOpen, onClose }: PanelProps) {
  const key = objectKey(uid, at);
  const entry = useClusterObjects((s) => s.loaded.get(key));
  const link = objects.find((o) => o.uid === uid);

  const { atMs, finding } = at;
  useEffect(() => useClusterObjects.getState().load(uid, { atMs, finding }), [uid, atMs, finding]);

  useEffect(() => {
    // Escape closes the panel before the view behind it (the trace view would close the span).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      onClose();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);

  const object = entry && !('error' in entry) ? entry : undefined;
  const kind = object?.kind ?? link?.kind ?? 'Object';
  const name = object?.name ?? link?.name ?? uid;
  const namespace = object?.namespace ?? link?.namespace ?? '';
  return (
    <section className="object-panel" aria-label={`${kind} ${name}`} aria-busy={!entry} data-testid="object-panel" data-kind={kind}>
      <header className="object-panel-head">
        <span className="object-kind-pill">{kind}</span>
        <h3 className="object-panel-name" title={name}>
          {name}
        </h3>
        {namespace && <span className="object-namespace">{namespace}</span>}
        <span className="object-panel-tools">
          <CopyButton text={uid} label="Copy uid" />
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close object" title="Close (Esc)">
            <Icon name="close" />
          </button>
        </span>
      </header>
      {!entry ? (
        <div className="muted small object-panel-body">
          <span className="spinner" /> Loading {kind}…
        </div>
      ) : !object ? (
        <div className="error-text object-panel-body">{'error' in entry ? entry.error : ''}</div>
      ) : (
        <div className="object-panel-body">
          <ObjectWhen object={object} at={at} />
          <ObjectBody object={object} objects={objects} onOpen={onOpen} />
          <ObjectHistory object={object} />
        </div>
      )}
    </section>
  );
}

/** The object's status at the time shown, and which time that is. */
function ObjectWhen({ object, at }: { object: WireClusterObject; at: WireClusterObjectQuery }) {
  const now = useNow();
  const status = objectStatus(object);
  const gone = goneText(object.gone, now);
  const moment = object.atMs === null ? 'Latest state' : at.finding !== undefined ? "As of the finding's span," : 'As of span start,';
  return (
    <div className="object-when">
      {status.text && status.tone !== 'neutral' && <span className={`object-state tone-${status.tone}`}>{status.text}</span>}
      {gone && (
        <span className="object-gone" title={`last seen ${object.gone}`}>
          {gone}
        </span>
      )}
      <span className="muted small">
        {moment}
        {object.atMs !== null && (
          <>
            {' '}
            <Time value={object.atMs} />
          </>
        )}
      </span>
    </div>
  );
}

/** How much history stands behind what is shown. */
function ObjectHistory({ object }: { object: WireClusterObject }) {
  return (
    <div className="object-history muted small">
      {object.states} {plural(object.states, 'state')} recorded
      {object.observedMs !== null && (
        <>
          {', this one seen '}
          <Time value={object.observedMs} />
        </>
      )}
      {' · first seen '}
      <Time value={object.firstSeenMs} />
      {' · last seen '}
      <Time value={object.lastSeenMs} />
    </div>
  );
}

function ObjectBody({ object, objects, onOpen }: { object: WireClusterObject; objects: readonly ObjectLink[]; onOpen(uid: string): void }) {
  const events = object.kind === 'Event' ? null : <Events events={object.events} atMs={object.atMs} />;
  if (object.state === null) {
    return (
      <>
        <div className="muted small">No state of it was recorded.</div>
        {events}
      </>
    );
  }
  switch (object.kind) {
    case 'Pod':
      return (
        <>
          <PodDetails pod={object.state} object={object} objects={objects} onOpen={onOpen} />
          {events}
        </>
      );
    case 'Node':
      return (
        <>
          <NodeDetails node={object.state} />
          {events}
        </>
      );
    case 'Service':
      return (
        <>
          <ServiceDetails service={object.state} />
          {events}
        </>
      );
    case 'EndpointSlice':
      return (
        <>
          <SliceDetails slice={object.state} objects={objects} onOpen={onOpen} />
          {events}
        </>
      );
    case 'Event':
      return <EventDetails event={object.state} />;
    default:
      return (
        <>
          <WorkloadDetails workload={object.state} owners={object.owners} onOpen={onOpen} />
          {events}
        </>
      );
  }
}

function Time({ value }: { value: string | number }) {
  const iso = typeof value === 'number' ? new Date(value).toISOString() : value;
  return (
    <time dateTime={iso} title={iso}>
      {clusterTime(value)}
    </time>
  );
}

function Facts({ children }: { children: ReactNode }) {
  return <div className="detail-facts object-facts">{children}</div>;
}

function Fact({ label, span, children }: { label: string; span?: 'wide' | 'full'; children: ReactNode }) {
  return (
    <div className={span}>
      <span className="fact-label">{label}</span>
      <span className="fact-value">{children}</span>
    </div>
  );
}

/** A link to another object the history holds, else its name alone. */
function ObjectRef({ kind, name, uid, onOpen }: { kind: string; name: string; uid?: string; onOpen(uid: string): void }) {
  if (!uid) return <span>{name}</span>;
  return (
    <button type="button" className="link-button object-ref" onClick={() => onOpen(uid)} title={`Open ${kind} ${name}`}>
      {name}
    </button>
  );
}

function OwnerChain({ owners, onOpen }: { owners: WireOwner[]; onOpen(uid: string): void }) {
  return (
    <span className="owner-chain">
      {owners.toReversed().map((o, i) => (
        <span key={o.uid}>
          {i > 0 && <span className="muted"> › </span>}
          <span className="muted">{o.kind} </span>
          <ObjectRef kind={o.kind} name={o.name} uid={o.known ? o.uid : undefined} onOpen={onOpen} />
        </span>
      ))}
    </span>
  );
}

function Strip({ tone, children }: { tone: 'bad' | 'warn'; children: ReactNode }) {
  return <div className={`object-strip ${tone}`}>{children}</div>;
}

function PodDetails({ pod, object, objects, onOpen }: { pod: PodState; object: WireClusterObject; objects: readonly ObjectLink[]; onOpen(uid: string): void }) {
  const restarts = pod.containers.reduce((n, c) => n + c.restartCount, 0);
  const ready = pod.conditions.Ready?.status === 'True';
  const node = objects.find((o) => o.kind === 'Node' && o.name === pod.nodeName);
  const others = otherObjects(objects).filter((o) => o.kind === 'Service' || o.kind === 'EndpointSlice');
  return (
    <>
      {pod.deletionTimestamp && (
        <Strip tone="bad">
          <Icon name="alert" size={13} />
          <span>
            Terminating: deletion requested at <Time value={deletionRequestedMs(pod)!} />
            {pod.deletionGracePeriodSeconds !== undefined && `, grace period ${pod.deletionGracePeriodSeconds}s`}, killed at the latest by <Time value={pod.deletionTimestamp} />
          </span>
        </Strip>
      )}
      <Facts>
        <Fact label="Phase">{pod.phase}</Fact>
        <Fact label="Ready">
          <span className={`tone-text ${ready ? 'ok' : 'warn'}`}>{ready ? 'Ready' : 'Not ready'}</span>
        </Fact>
        <Fact label="Restarts">
          <span className={restarts > 0 ? 'tone-text warn' : undefined}>{restarts}</span>
        </Fact>
        <Fact label="Started">{pod.startTime ? <Time value={pod.startTime} /> : '—'}</Fact>
        <Fact label="Host IP">
          <span className="mono">{pod.hostIP ?? '—'}</span>
        </Fact>
        <Fact label="Grace period">{pod.terminationGracePeriodSeconds !== undefined ? `${pod.terminationGracePeriodSeconds}s` : '—'}</Fact>
        <Fact label="Node">
          {pod.nodeName ? <ObjectRef kind="Node" name={pod.nodeName} uid={node?.uid} onOpen={onOpen} /> : '—'}
        </Fact>
        <Fact label="Pod IPs">
          <span className="mono">{pod.podIPs.join(', ') || '—'}</span>
        </Fact>
        {object.owners.length > 0 && (
          <Fact label="Owned by" span="full">
            <OwnerChain owners={object.owners} onOpen={onOpen} />
          </Fact>
        )}
      </Facts>
      <Section title="Conditions" count={Object.keys(pod.conditions).length}>
        <Conditions conditions={pod.conditions} />
      </Section>
      <Section title="Containers" count={pod.containers.length}>
        {pod.containers.length === 0 ? <div className="muted small">No container statuses recorded.</div> : pod.containers.map((c) => <Container key={c.name} container={c} pod={pod} />)}
      </Section>
      {others.length > 0 && (
        <Section title="Serving through">
          <div className="object-others">
            {others.map((o) => (
              <button key={o.uid} type="button" className="object-other" onClick={() => onOpen(o.uid)} title={o.linkedBy}>
                <span className="object-kind">{o.kind}</span> {o.name} <span className="muted">{objectStatus(o).text}</span>
              </button>
            ))}
          </div>
        </Section>
      )}
    </>
  );
}

function Conditions({ conditions }: { conditions: Record<string, Condition> }) {
  const entries = Object.entries(conditions);
  if (entries.length === 0) return <div className="muted small">None reported.</div>;
  return (
    <table className="object-table">
      <thead>
        <tr>
          <th className="fit">Type</th>
          <th className="fit">Status</th>
          <th className="fit">Since</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([type, c]) => (
          <tr key={type}>
            <td className="fit">{type}</td>
            <td className={`fit tone-text ${conditionTone(type, c.status)}`}>{c.status}</td>
            <td className="fit mono">{c.since ? <Time value={c.since} /> : '—'}</td>
            <td className="reason">
              <CamelWords text={c.reason ?? ''} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `ContainersNotReady` allowed to wrap between its words, not inside them, in a narrow panel. */
function CamelWords({ text }: { text: string }) {
  return text.split(/(?<=[a-z])(?=[A-Z])/).map((word, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {word}
    </Fragment>
  ));
}

function terminatedText(t: NonNullable<ContainerState['terminated']>): ReactNode {
  return (
    <>
      {t.reason} · exit {t.exitCode}
      {t.finishedAt && (
        <>
          {' · '}
          <Time value={t.finishedAt} />
        </>
      )}
    </>
  );
}

function Container({ container: c, pod }: { container: ContainerState; pod: PodState }) {
  const probe = pod.readinessProbes?.[c.name];
  const preStop = pod.preStopHooks?.[c.name];
  return (
    <div className="container-card" data-testid="container">
      <div className="container-head">
        <span className="container-name">{c.name}</span>
        <span className={`tone-text ${c.ready ? 'ok' : 'warn'}`}>{c.ready ? 'ready' : 'not ready'}</span>
        {c.restartCount > 0 && <span className="object-restarts">↻ {c.restartCount}</span>}
      </div>
      <dl className="attr-table">
        <Row label="State">
          {c.state}
          {c.reason && `: ${c.reason}`}
          {c.state === 'running' && c.startedAt && (
            <>
              {' since '}
              <Time value={c.startedAt} />
            </>
          )}
          {c.terminated && <> · {terminatedText(c.terminated)}</>}
        </Row>
        {c.lastTerminated && <Row label="Last terminated">{terminatedText(c.lastTerminated)}</Row>}
        {probe && <Row label="Readiness probe">{probe}</Row>}
        {preStop && <Row label="preStop">{preStop}</Row>}
        {c.containerId && <Row label="Container ID">{c.containerId}</Row>}
      </dl>
    </div>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="attr-row">
      <dt>{label}</dt>
      <dd className="attr-value">
        <span className="attr-text">{children}</span>
      </dd>
    </div>
  );
}

function WorkloadDetails({ workload, owners, onOpen }: { workload: WorkloadState; owners: WireOwner[]; onOpen(uid: string): void }) {
  const ready = workload.readyReplicas ?? 0;
  return (
    <>
      <Facts>
        <Fact label="Replicas">{workload.replicas ?? '—'}</Fact>
        <Fact label="Ready">
          <span className={`tone-text ${workload.replicas !== undefined && ready < workload.replicas ? 'warn' : 'ok'}`}>{ready}</span>
        </Fact>
        {owners.length > 0 && (
          <Fact label="Owned by" span="wide">
            <OwnerChain owners={owners} onOpen={onOpen} />
          </Fact>
        )}
      </Facts>
      <Section title="Selector">
        <AttributeTable attributes={workload.selector ?? {}} empty="No selector" />
      </Section>
      <Section title="Labels" count={Object.keys(workload.labels).length}>
        <AttributeTable attributes={workload.labels} empty="No labels" />
      </Section>
    </>
  );
}

function NodeDetails({ node }: { node: NodeState }) {
  return (
    <>
      <Facts>
        <Fact label="Addresses" span="full">
          <span className="mono">{node.addresses.join(', ') || '—'}</span>
        </Fact>
      </Facts>
      <Section title="Conditions" count={Object.keys(node.conditions).length}>
        <Conditions conditions={node.conditions} />
      </Section>
      <Section title="Labels" count={Object.keys(node.labels).length}>
        <AttributeTable attributes={node.labels} empty="No labels" />
      </Section>
    </>
  );
}

function ServiceDetails({ service }: { service: ServiceState }) {
  return (
    <>
      <Facts>
        <Fact label="Cluster IPs" span="wide">
          <span className="mono">{service.clusterIPs.join(', ') || 'None'}</span>
        </Fact>
        <Fact label="Ports" span="wide">
          <span className="mono">{service.ports.join(', ') || '—'}</span>
        </Fact>
      </Facts>
      <Section title="Selector">
        <AttributeTable attributes={service.selector ?? {}} empty="No selector: endpoints are managed by hand" />
      </Section>
    </>
  );
}

function SliceDetails({ slice, objects, onOpen }: { slice: EndpointSliceState; objects: readonly ObjectLink[]; onOpen(uid: string): void }) {
  const flag = (on: boolean | undefined, label: string, tone: string) => <span className={`endpoint-flag ${on ? tone : 'off'}`}>{label}</span>;
  return (
    <>
      <Facts>
        <Fact label="Service" span="wide">
          {slice.service ?? '—'}
        </Fact>
        <Fact label="Ports" span="wide">
          <span className="mono">{slice.ports.join(', ') || '—'}</span>
        </Fact>
      </Facts>
      <Section title="Endpoints" count={slice.endpoints.length}>
        <table className="object-table">
          <thead>
            <tr>
              <th className="fit">Address</th>
              <th>Pod</th>
              <th>Conditions</th>
            </tr>
          </thead>
          <tbody>
            {slice.endpoints.map((e, i) => (
              <tr key={i}>
                <td className="fit mono">{e.addresses.join(', ')}</td>
                <td>{e.pod ? <ObjectRef kind="Pod" name={e.pod.name} uid={objects.some((o) => o.uid === e.pod!.uid) ? e.pod.uid : undefined} onOpen={onOpen} /> : '—'}</td>
                <td className="endpoint-flags">
                  {flag(e.ready !== false, 'ready', 'ok')}
                  {flag(e.serving !== false, 'serving', 'ok')}
                  {flag(e.terminating, 'terminating', 'bad')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}

function EventDetails({ event }: { event: EventState }) {
  return (
    <Facts>
      <Fact label="Type">
        <span className={`tone-text ${event.type === 'Warning' ? 'warn' : 'ok'}`}>{event.type}</span>
      </Fact>
      <Fact label="Reason">{event.reason}</Fact>
      <Fact label="Count">{event.count}</Fact>
      <Fact label="Last">{event.lastTime ? <Time value={event.lastTime} /> : '—'}</Fact>
      <Fact label="About" span="full">
        {event.involved.kind} {event.involved.name}
      </Fact>
      <Fact label="Message" span="full">
        {event.message}
      </Fact>
    </Facts>
  );
}

function Events({ events, atMs }: { events: WireClusterEvent[]; atMs: number | null }) {
  const now = useNow();
  return (
    <Section title="Events" count={events.length}>
      {events.length === 0 ? (
        <div className="muted small">{atMs === null ? 'No events about it were recorded.' : 'No events about it within an hour of this time.'}</div>
      ) : (
        <ul className="object-events">
          {events.map((e) => {
            const last = e.lastTime ?? e.firstTime;
            return (
              <li key={e.uid} className="object-event" data-testid="object-event">
                <span className={`sev-pill ${e.type === 'Warning' ? 'warning' : ''}`}>{e.type}</span>
                <span className="event-reason">{e.reason}</span>
                {e.count > 1 && <span className="muted small">×{e.count}</span>}
                {last && (
                  <span className="event-time muted small" title={last}>
                    {clusterTime(last)} · {relativeTime(Date.parse(last), now)}
                  </span>
                )}
                <span className="event-message">{e.message}</span>
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}
