import { scaleLinear } from 'd3';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Icon } from '../components/Icon';
import { VirtualList, type VirtualListHandle } from '../components/VirtualList';
import { serviceColor } from '../model/colors';
import { formatDuration } from '../model/format';
import { RowFlag, StatusCode } from '../../../common/telemetry';
import { spanKey } from '../../../common/wire';
import type { HopEnd } from '../model/findings';
import { hopEndsOutside, positionOf, type Waterfall as WaterfallModel } from '../model/waterfall';
import { memoVisibleRows, useTraceView } from '../stores/traceView';
import { Minimap } from './Minimap';

export const ROW_HEIGHT = 26;
const INDENT = 14;
/** Deeper rows stop indenting (a 100k-deep chain would walk off the screen) and show their depth instead. */
const MAX_INDENT_DEPTH = 24;

interface RowProps {
  w: WaterfallModel;
  row: number;
  collapsed: boolean;
  selected: boolean;
  match: boolean;
  showCritical: boolean;
  findingCount: number;
  /** Lost hops whose other end is in a trace not shown here. */
  hops?: HopEnd[];
  onSelect(row: number): void;
  onToggle(row: number): void;
}

const pct = (ns: number, total: number) => `${(100 * ns) / total}%`;

const WaterfallRow = memo(function WaterfallRow({ w, row, collapsed, selected, match, showCritical, findingCount, hops, onSelect, onToggle }: RowProps) {
  const r = w.spanRow[row];
  const total = Math.max(1, w.durationNs);
  const depth = w.depth[row];
  const indent = Math.min(depth, MAX_INDENT_DEPTH) * INDENT;
  const hasChildren = w.hasChildren(row);
  const hidden = collapsed ? w.end[row] - row - 1 : 0;
  const toggle = hasChildren ? (
    <button
      type="button"
      className="wf-toggle"
      aria-label={collapsed ? 'Expand' : 'Collapse'}
      onClick={(e) => {
        e.stopPropagation();
        onToggle(row);
      }}
    >
      <Icon name={collapsed ? 'chevronRight' : 'chevronDown'} size={12} />
    </button>
  ) : (
    <span className="wf-toggle" />
  );
  const common = {
    role: 'treeitem',
    'aria-level': depth + 1,
    'aria-selected': selected,
    'aria-expanded': hasChildren ? !collapsed : undefined,
    'data-row': row,
    onClick: () => onSelect(row),
    onDoubleClick: () => hasChildren && onToggle(row),
  };

  if (r < 0) {
    const [start, end] = w.placeholderSpan.get(row)!;
    const missing = w.missingParent.get(row)!;
    return (
      <div {...common} className={`wf-row placeholder ${selected ? 'selected' : ''} ${match ? 'match' : ''}`} data-testid="placeholder-row">
        <div className="wf-name" style={{ paddingLeft: 8 + indent }}>
          {toggle}
          <Icon name="unlink" size={13} className="placeholder-icon" />
          <span className="wf-op" title={`No span ${missing} reached Hopscope`}>
            Missing parent <span className="mono">…{missing.slice(-8)}</span>
          </span>
          <span className="wf-count">{(w.end[row] - row - 1).toLocaleString()} orphaned</span>
        </div>
        <div className="wf-timeline">
          <div className="wf-bar ghost" style={{ left: pct(start, total), width: pct(Math.max(end - start, 0), total) }} />
        </div>
      </div>
    );
  }

  const { tree, rows } = w.trace;
  const name = w.name[r];
  const service = w.service[r];
  const color = serviceColor(service);
  const start = tree.start[r];
  const end = tree.end[r];
  const isError = rows.status[r] === StatusCode.ERROR;
  const flags = tree.flags[r];
  const skewed = (flags & RowFlag.CLOCK_SKEW) !== 0;
  const stitched = r === w.stitchedRow;
  const critical = showCritical ? w.critical.get(r) : undefined;
  const parentRow = tree.parent[r];

  return (
    <div
      {...common}
      className={`wf-row ${selected ? 'selected' : ''} ${match ? 'match' : ''} ${isError ? 'is-error' : ''} ${stitched ? 'stitched' : ''}`}
      data-testid="span-row"
      data-span-id={rows.spanId[r]}
    >
      <div className="wf-name" style={{ paddingLeft: 8 + indent }}>
        {depth > 0 && <span className="wf-guides" style={{ width: indent }} />}
        {toggle}
        <span className="svc-bar" style={{ background: color }} />
        {(parentRow < 0 || w.service[parentRow] !== service) && <span className="wf-service">{service}</span>}
        <span className="wf-op" title={name}>
          {name}
        </span>
        {depth > MAX_INDENT_DEPTH && <span className="wf-depth" title={`Depth ${depth}`}>L{depth}</span>}
        {hidden > 0 && <span className="wf-count">+{hidden.toLocaleString()}</span>}
        {isError && <Icon name="alert" size={13} className="wf-icon error" title="Error status" />}
        {findingCount > 0 && <Icon name="flag" size={13} className="wf-icon finding" title={`${findingCount} finding${findingCount > 1 ? 's' : ''} at this span`} />}
        {skewed && <Icon name="clock" size={13} className="wf-icon skew" title="Clock skew: this span does not fit inside its parent, which runs on another host" />}
        {flags & (RowFlag.DUPLICATE_ID | RowFlag.SELF_PARENT | RowFlag.ON_CYCLE) ? (
          <Icon name="alert" size={13} className="wf-icon warn" title={flagText(flags)} />
        ) : null}
        {stitched && (
          <span className="wf-stitch" title="Stitched: this span's context was lost; Hopscope hung it under the span that started it">
            <Icon name="link" size={12} /> stitched
          </span>
        )}
        {hops?.map(({ hop, side, other }) => (
          <span
            key={`${side}>${spanKey(other)}`}
            className="wf-stitch wf-hop"
            data-testid="wf-hop"
            data-side={side}
            title={`${side === 'producer' ? `Continues in ${hop.finding.service} · ${hop.finding.operation}, trace` : 'Continued from trace'} ${other.traceId}: the context was lost (${hop.kind}). Open the span for the finding and the stitched view.`}
          >
            {side === 'producer' ? (
              <>
                <Icon name="link" size={12} /> continues ⇢
              </>
            ) : (
              <>
                ⇠ continued <Icon name="link" size={12} />
              </>
            )}
          </span>
        ))}
      </div>
      <div className="wf-timeline">
        {stitched && parentRow >= 0 && (
          <div className="wf-connector" style={{ left: pct(Math.min(tree.end[parentRow], start), total), width: pct(Math.max(start - Math.min(tree.end[parentRow], start), 0), total) }} />
        )}
        <div className={`wf-bar ${isError ? 'error' : ''} ${skewed ? 'skewed' : ''}`} style={{ left: pct(start, total), width: pct(end - start, total), background: color }}>
          {critical?.map(([s, e]) => (
            <span key={s} className="wf-critical" style={{ left: pct(s - start, Math.max(end - start, 1)), width: pct(e - s, Math.max(end - start, 1)) }} />
          ))}
        </div>
        <span className="wf-dur" style={{ left: `calc(${pct(end, total)} + 6px)` }}>
          {formatDuration(end - start)}
        </span>
      </div>
    </div>
  );
});

function flagText(flags: number): string {
  const parts: string[] = [];
  if (flags & RowFlag.DUPLICATE_ID) parts.push('another span in this trace has the same span id');
  if (flags & RowFlag.SELF_PARENT) parts.push('this span names itself as its parent');
  if (flags & RowFlag.ON_CYCLE) parts.push('this span is on a parent cycle');
  return parts.join('; ');
}

function TimeAxis({ total }: { total: number }) {
  const ticks = useMemo(() => scaleLinear().domain([0, total]).ticks(6), [total]);
  return (
    <>
      {ticks.map((t) => (
        <span key={t} className="wf-tick" style={{ left: pct(t, Math.max(total, 1)) }}>
          <span className="wf-tick-label">{t === 0 ? '0' : formatDuration(t)}</span>
        </span>
      ))}
    </>
  );
}

/** The trace's span tree against time: only rows in view are rendered; a minimap shows the rest. */
export function Waterfall({ w, theme }: { w: WaterfallModel; theme: string }) {
  const collapsed = useTraceView((s) => s.collapsed);
  const selected = useTraceView((s) => s.selected);
  const matches = useTraceView((s) => s.matches);
  const showCritical = useTraceView((s) => s.showCritical);
  const scrollRequest = useTraceView((s) => s.scrollRequest);
  const select = useTraceView((s) => s.select);
  const toggle = useTraceView((s) => s.toggle);
  const list = useRef<VirtualListHandle>(null);
  const [viewport, setViewport] = useState<[number, number]>([0, 0]);

  const visible = memoVisibleRows(w, collapsed);
  const matchSet = useMemo(() => new Set(matches), [matches]);
  const hopsByRow = useMemo(() => hopEndsOutside(w), [w]);
  const findingsByRow = useMemo(() => {
    const m = new Map<number, number>();
    for (const f of w.trace.findings) {
      for (const traceId of w.trace.traceIds) {
        const r = w.spanRowByRef.get(spanKey({ traceId, spanId: f.spanId }));
        if (r !== undefined) m.set(r, (m.get(r) ?? 0) + 1);
      }
    }
    // A lost hop's finding is at its consumer; the producer, when its consumer is not shown here, is flagged too.
    for (const [r, ends] of hopsByRow) {
      const out = ends.filter((e) => e.side === 'producer').length;
      if (out > 0) m.set(r, (m.get(r) ?? 0) + out);
    }
    return m;
  }, [w, hopsByRow]);

  useEffect(() => {
    const at = positionOf(visible, useTraceView.getState().selected);
    if (at >= 0) list.current?.reveal(at, 3);
    // Only explicit requests scroll; a mouse click must not move the row under the pointer.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scrollRequest]);

  const onScroll = useCallback((top: number, height: number) => {
    setViewport([Math.floor(top / ROW_HEIGHT), Math.floor((top + height) / ROW_HEIGHT)]);
  }, []);
  const onSelect = useCallback((row: number) => select(row), [select]);

  useEffect(() => {
    const el = list.current?.element();
    if (el) onScroll(el.scrollTop, el.clientHeight);
  }, [onScroll, visible]);

  return (
    <div className="waterfall" data-testid="waterfall">
      <Minimap waterfall={w} visible={visible} viewport={viewport} theme={theme} onJump={(pos) => list.current?.scrollTo(Math.max(0, pos - 5) * ROW_HEIGHT)} />
      <div className="wf-header">
        <div className="wf-name">
          Spans <span className="muted">({visible.length.toLocaleString()} of {w.size.toLocaleString()} rows)</span>
        </div>
        <div className="wf-timeline">
          <TimeAxis total={w.durationNs} />
        </div>
      </div>
      <div className="wf-body">
        <div className="wf-grid" aria-hidden>
          <div className="wf-name" />
          <div className="wf-timeline">
            <TimeAxis total={w.durationNs} />
          </div>
        </div>
        <VirtualList
          ref={list}
          count={visible.length}
          rowHeight={ROW_HEIGHT}
          overscan={10}
          onScroll={onScroll}
          containerProps={{ role: 'tree', 'aria-label': 'Spans', tabIndex: 0, id: 'waterfall-rows' }}
          renderRow={(i) => {
            const row = visible[i];
            const r = w.spanRow[row];
            return (
              <WaterfallRow
                w={w}
                row={row}
                collapsed={collapsed.has(row)}
                selected={row === selected}
                match={matchSet.has(row)}
                showCritical={showCritical}
                findingCount={findingsByRow.get(r) ?? 0}
                hops={hopsByRow.get(r)}
                onSelect={onSelect}
                onToggle={toggle}
              />
            );
          }}
        />
      </div>
    </div>
  );
}
