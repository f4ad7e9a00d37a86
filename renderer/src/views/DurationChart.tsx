import { axisBottom, axisLeft, brushX, extent, scaleLog, scaleTime, select, type ScaleTime } from 'd3';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { WireTraceSummary } from '../../../common/wire';
import { durationTicks, formatDuration, formatTimestamp, nsToMs, timeAxisFormat } from '../model/format';

const HEIGHT = 128;
const M = { left: 56, right: 14, top: 10, bottom: 22 };
// Axis labels are 10.5px tabular digits; a gap keeps neighbours apart.
const LABEL_CHAR_PX = 6.5;
const LABEL_GAP_PX = 14;

/** As many time ticks as fit side by side once labelled (a dated label needs more room than 14:05). */
function timeTicks(x: ScaleTime<number, number>, width: number): { ticks: Date[]; format: (d: Date) => string } {
  for (let count = Math.max(2, Math.floor(width / 110)); ; count = Math.floor(count / 2)) {
    const ticks = x.ticks(count);
    const format = timeAxisFormat(ticks);
    const room = ticks.length > 1 ? x(ticks[1]) - x(ticks[0]) : width;
    const widest = Math.max(0, ...ticks.map((t) => format(t).length)) * LABEL_CHAR_PX;
    if (count <= 2 || widest + LABEL_GAP_PX <= room) return { ticks, format };
  }
}

interface Props {
  traces: WireTraceSummary[];
  onBrush(fromMs: number, toMs: number): void;
  onOpen(traceId: string): void;
}

/** Traces as points, start time against duration (log scale); drag across it to narrow the time range. */
export function DurationChart({ traces, onBrush, onOpen }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const xAxis = useRef<SVGGElement>(null);
  const yAxis = useRef<SVGGElement>(null);
  const brushLayer = useRef<SVGGElement>(null);
  const [width, setWidth] = useState(0);

  useLayoutEffect(() => {
    const el = box.current!;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // With no traces yet the axis is centred on when the chart appeared.
  const [shownAt] = useState(() => Date.now());
  const { x, y, points } = useMemo(() => {
    const pts = traces.map((t) => ({ t, at: nsToMs(t.startNs), ms: Math.max(Number(t.durationNs) / 1e6, 0.001) }));
    const [lo = shownAt, hi = shownAt] = extent(pts, (p) => p.at);
    const pad = Math.max((hi - lo) * 0.03, 500);
    const [dLo = 1, dHi = 1000] = extent(pts, (p) => p.ms);
    const xScale = scaleTime().domain([lo - pad, hi + pad]).range([M.left, Math.max(M.left + 1, width - M.right)]);
    const yScale = scaleLog().domain([dLo / 1.6, dHi * 1.6]).range([HEIGHT - M.bottom, M.top]).nice();
    return { x: xScale, y: yScale, points: pts };
  }, [traces, width, shownAt]);

  useEffect(() => {
    if (!xAxis.current || !yAxis.current || width === 0) return;
    const { ticks, format } = timeTicks(x, width);
    select(xAxis.current).call(axisBottom(x).tickValues(ticks).tickFormat((d) => format(d as Date)).tickSizeOuter(0));
    select(yAxis.current).call(
      axisLeft(y)
        .tickValues(durationTicks(y.ticks()))
        .tickFormat((d) => formatDuration(Number(d) * 1e6))
        .tickSize(-(width - M.left - M.right)),
    );
  }, [x, y, width]);

  useEffect(() => {
    if (!brushLayer.current || width === 0) return;
    const layer = select(brushLayer.current);
    const brush = brushX<unknown>()
      .extent([
        [M.left, M.top],
        [width - M.right, HEIGHT - M.bottom],
      ])
      .on('end', (event: { selection: [number, number] | null }) => {
        if (!event.selection) return;
        const [a, b] = event.selection;
        layer.call(brush.move, null);
        if (b - a > 3) onBrush(x.invert(a).getTime(), x.invert(b).getTime());
      });
    layer.call(brush);
    return () => {
      layer.on('.brush', null);
      layer.selectAll('*').remove();
    };
  }, [x, width, onBrush]);

  return (
    <div className="chart" ref={box} data-testid="duration-chart">
      <svg width={width} height={HEIGHT} role="img" aria-label="Trace durations over time">
        <g ref={yAxis} className="axis axis-y" transform={`translate(${M.left},0)`} />
        <g ref={xAxis} className="axis axis-x" transform={`translate(0,${HEIGHT - M.bottom})`} />
        <g ref={brushLayer} className="brush" />
        <g className="points">
          {points.map(({ t, at, ms }) => (
            <circle
              key={t.traceId}
              cx={x(at)}
              cy={y(ms)}
              r={t.errorCount > 0 || t.findingCount > 0 ? 3.6 : 3}
              className={t.errorCount > 0 ? 'pt error' : t.findingCount > 0 ? 'pt finding' : 'pt'}
              onClick={() => onOpen(t.traceId)}
            >
              <title>{`${t.rootService} ${t.rootOperation}\n${formatDuration(Number(t.durationNs))} · ${t.spanCount} spans · ${formatTimestamp(t.startNs)}`}</title>
            </circle>
          ))}
        </g>
      </svg>
      {traces.length === 0 && <div className="chart-empty">No traces in this range</div>}
    </div>
  );
}
