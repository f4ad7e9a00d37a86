import { useCallback, useRef, useState } from 'react';
import type { ObjectLink } from '../../../common/cluster';
import type { WireTraceSummary } from '../../../common/wire';
import { Icon } from '../components/Icon';
import { VirtualList, type VirtualListHandle } from '../components/VirtualList';
import { serviceColor } from '../model/colors';
import { formatDuration, formatListTime, nsToMs, plural } from '../model/format';
import { objectTooltip, rootPod } from '../model/objects';
import { traceHref } from '../stores/route';
import { useTraceSearch } from '../stores/traceSearch';
import { ObjectChip, useNow } from './ObjectChips';
import { ObjectPanel } from './ObjectPanel';

const ROW = 36;

/** The Kubernetes object open in the list's panel: one of a row's, shown as it was at that trace's start. */
interface OpenObject {
  traceId: string;
  uid: string;
  atMs: number;
  objects: readonly ObjectLink[];
}

interface RowProps {
  t: WireTraceSummary;
  maxDuration: number;
  /** Some row has a pod: the list has the Pod column. */
  withPods: boolean;
  /** The uid open in the panel when it is one of this row's. */
  openUid?: string;
  onToggleObject(t: WireTraceSummary, uid: string): void;
  now: number;
}

/**
 * A trace: the row is a link to it, and the pod its root span ran in a chip over the row (a button may not sit
 * inside a link), laid on the same grid so that it lines up with its column.
 */
function TraceRow({ t, maxDuration, withPods, openUid, onToggleObject, now }: RowProps) {
  const root = rootPod(t.objects);
  return (
    <div className="trace-row-host">
      <TraceLink t={t} maxDuration={maxDuration} withPods={withPods} />
      {root && (
        <div className="trace-row-over">
          <span className="cell pod" data-testid="trace-pod" data-trace-id={t.traceId}>
            <ObjectChip
              link={root.pod}
              objects={t.objects!}
              now={now}
              compact
              title={objectTooltip(root.pod, t.objects!, now, root.workload ? [root.workload] : [])}
              expanded={openUid === root.pod.uid}
              onToggle={(uid) => onToggleObject(t, uid)}
            />
          </span>
        </div>
      )}
    </div>
  );
}

function TraceLink({ t, maxDuration, withPods }: { t: WireTraceSummary; maxDuration: number; withPods: boolean }) {
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
      {withPods && <span className="cell pod" aria-hidden />}
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
  const withPods = items.some((t) => rootPod(t.objects) !== undefined);
  const now = useNow();
  const [opened, setOpened] = useState<OpenObject>();

  const onScroll = useCallback((top: number) => setAtTop(top < ROW / 2), [setAtTop]);
  const onEnd = useCallback(() => void loadMore(), [loadMore]);
  const onToggleObject = useCallback((t: WireTraceSummary, uid: string) => {
    setOpened((o) => (o?.traceId === t.traceId && o.uid === uid ? undefined : { traceId: t.traceId, uid, atMs: nsToMs(t.startNs), objects: t.objects ?? [] }));
  }, []);
  const closeObject = useCallback(() => {
    setOpened(undefined);
    // The focus goes back to the chip that opened it, as the other chips' panels do.
    if (opened) document.querySelector<HTMLElement>(`[data-testid="trace-pod"][data-trace-id="${opened.traceId}"] [data-object-uid="${CSS.escape(opened.uid)}"]`)?.focus();
  }, [opened]);

  return (
    <div className={`trace-list ${withPods ? 'with-pods' : ''}`} data-testid="trace-list">
      <div className="trace-row header" role="row">
        <span className="cell time">Started</span>
        <span className="cell root">Root service · operation</span>
        {withPods && (
          <span className="cell pod" title="The pod the root span ran in, from the recorded cluster history">
            Pod
          </span>
        )}
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
      <VirtualList
        ref={list}
        count={items.length}
        rowHeight={ROW}
        renderRow={(i) => (
          <TraceRow t={items[i]} maxDuration={maxDuration} withPods={withPods} openUid={opened?.traceId === items[i].traceId ? opened.uid : undefined} onToggleObject={onToggleObject} now={now} />
        )}
        onScroll={onScroll}
        onEndReached={onEnd}
      />
      {opened && (
        <aside className="trace-object-drawer object-host" aria-label="Kubernetes object" data-testid="trace-object-drawer">
          <ObjectPanel
            uid={opened.uid}
            at={{ atMs: opened.atMs }}
            objects={opened.objects}
            onOpen={(uid) => setOpened((o) => o && { ...o, uid })}
            onClose={closeObject}
          />
        </aside>
      )}
    </div>
  );
}
