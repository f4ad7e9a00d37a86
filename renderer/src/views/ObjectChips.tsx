import { useEffect, useState } from 'react';
import type { ObjectLink } from '../../../common/cluster';
import { chipObjects, compactStatusText, goneText, objectStatus, objectTooltip } from '../model/objects';

/** How many chips show before the rest fold behind a "+n" button. */
const CHIPS_SHOWN = 6;

/** The current time, moved on every `everyMs`: for "3m ago" texts that should not go stale on screen. */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * Which object of a finding or span is open in the panel. `scope` names the finding or span: another one starts
 * closed. Closing gives the focus back to the object's chip, so the keyboard stays where it was.
 */
export function useOpenObject(scope: string): { openUid?: string; open(uid: string): void; toggle(uid: string): void; close(): void } {
  const [opened, setOpened] = useState<{ scope: string; uid: string }>();
  const openUid = opened?.scope === scope ? opened.uid : undefined;
  return {
    openUid,
    open: (uid) => setOpened({ scope, uid }),
    toggle: (uid) => setOpened(openUid === uid ? undefined : { scope, uid }),
    close: () => {
      setOpened(undefined);
      if (openUid) document.querySelector<HTMLElement>(`[data-object-uid="${CSS.escape(openUid)}"]`)?.focus();
    },
  };
}

/**
 * The pod, top workload and node behind a finding or span, each a chip with its status at that time and, when
 * the cluster no longer has it, since when it is gone. A chip toggles the object panel (click, Enter or Space).
 */
export function ObjectChips({ objects, openUid, onToggle }: { objects: readonly ObjectLink[]; openUid?: string; onToggle(uid: string): void }) {
  const now = useNow();
  const [all, setAll] = useState(false);
  const chips = chipObjects(objects);
  if (chips.length === 0) return null;
  const shown = all ? chips : chips.slice(0, CHIPS_SHOWN);
  return (
    <div className="object-chips" role="group" aria-label="Kubernetes objects" data-testid="object-chips">
      {shown.map((o) => (
        <ObjectChip key={o.uid} link={o} objects={objects} now={now} expanded={openUid === o.uid} onToggle={onToggle} />
      ))}
      {chips.length > shown.length && (
        <button type="button" className="object-more" onClick={() => setAll(true)}>
          +{chips.length - shown.length} more
        </button>
      )}
    </div>
  );
}

interface ChipProps {
  link: ObjectLink;
  /** What it was linked with, for its tooltip. */
  objects: readonly ObjectLink[];
  now: number;
  expanded: boolean;
  onToggle(uid: string): void;
  /** For a list row: no kind (the column names it), the status as a dot that has words only when not fine. */
  compact?: boolean;
  /** Instead of the tooltip objectTooltip words. */
  title?: string;
}

/** One object's chip: its name and status at the time it was linked for, and since when it is gone; toggles its panel. */
export function ObjectChip({ link, objects, now, expanded, onToggle, compact = false, title }: ChipProps) {
  const status = objectStatus(link);
  const gone = goneText(link.gone, now);
  const stateText = compact ? compactStatusText(status) : status.text;
  return (
    <button
      type="button"
      className={['object-chip', `tone-${status.tone}`, gone && 'gone', compact && 'compact'].filter(Boolean).join(' ')}
      title={title ?? objectTooltip(link, objects, now)}
      aria-expanded={expanded}
      data-testid="object-chip"
      data-object-uid={link.uid}
      onClick={() => onToggle(link.uid)}
      // The trace view's keys (Enter folds a row) must not act on a focused chip.
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') e.stopPropagation();
      }}
    >
      {compact ? <span className="object-dot" role="img" aria-label={status.text || link.kind} /> : <span className="object-kind">{link.kind}</span>}
      <span className="object-name">{link.name}</span>
      {stateText && <span className="object-state">{stateText}</span>}
      {status.restarts > 0 && (
        <span className="object-restarts" aria-label={`${status.restarts} restarts`}>
          ↻ {status.restarts}
        </span>
      )}
      {gone && <span className="object-gone">{gone}</span>}
    </button>
  );
}
