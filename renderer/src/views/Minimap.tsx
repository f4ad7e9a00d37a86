import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { StatusCode } from '../../../common/telemetry';
import { serviceColor } from '../model/colors';
import type { Waterfall } from '../model/waterfall';

const HEIGHT = 48;

interface Props {
  waterfall: Waterfall;
  visible: Int32Array;
  /** First and last visible list positions in the waterfall's viewport. */
  viewport: [number, number];
  theme: string;
  onJump(position: number): void;
}

/**
 * The whole trace drawn on a canvas (jaeger-ui's render-into-canvas): one bar per visible row,
 * the waterfall's viewport as a frame. Click or drag to move there.
 */
export function Minimap({ waterfall: w, visible, viewport, theme, onJump }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);

  useLayoutEffect(() => {
    const el = canvas.current!.parentElement!;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = canvas.current;
    if (!el || width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    el.width = Math.round(width * dpr);
    el.height = Math.round(HEIGHT * dpr);
    const ctx = el.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, HEIGHT);
    const { tree } = w.trace;
    const total = Math.max(1, w.durationNs);
    const count = visible.length;
    const rowH = Math.max(HEIGHT / Math.max(count, 1), 0.5);
    const barH = Math.min(Math.max(rowH - (rowH > 3 ? 1 : 0), 0.5), 4);
    const colors = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      const r = w.spanRow[visible[i]];
      if (r < 0) continue;
      const service = w.service[r];
      let color = colors.get(service);
      if (!color) colors.set(service, (color = serviceColor(service)));
      ctx.fillStyle = w.trace.rows.status[r] === StatusCode.ERROR ? '#e5484d' : color;
      const x = (tree.start[r] / total) * width;
      const bw = Math.max(((tree.end[r] - tree.start[r]) / total) * width, 1);
      ctx.fillRect(x, (i / count) * HEIGHT, bw, barH);
    }
  }, [w, visible, width, theme]);

  const count = Math.max(visible.length, 1);
  const top = (viewport[0] / count) * HEIGHT;
  const height = Math.max(((viewport[1] - viewport[0] + 1) / count) * HEIGHT, 3);

  const jump = (clientY: number, target: HTMLElement) => {
    const rect = target.getBoundingClientRect();
    onJump(Math.floor(((clientY - rect.top) / rect.height) * visible.length));
  };

  return (
    <div
      className="minimap"
      data-testid="minimap"
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        jump(e.clientY, e.currentTarget);
      }}
      onPointerMove={(e) => {
        if (e.buttons & 1) jump(e.clientY, e.currentTarget);
      }}
    >
      <canvas ref={canvas} style={{ width, height: HEIGHT }} />
      <div className="minimap-window" style={{ top, height }} />
    </div>
  );
}
