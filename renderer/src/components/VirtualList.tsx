import { useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type ReactNode, type Ref } from 'react';

export interface VirtualListHandle {
  /** Scrolls the least needed to show row `index` (with a margin of rows above and below). */
  reveal(index: number, margin?: number): void;
  scrollTo(offsetPx: number): void;
  element(): HTMLDivElement | null;
}

interface Props {
  count: number;
  rowHeight: number;
  renderRow(index: number): ReactNode;
  /** Rows rendered beyond the viewport on each side. */
  overscan?: number;
  className?: string;
  onScroll?(scrollTop: number, viewportHeight: number): void;
  /** Called when the last rows come into view (load the next page). */
  onEndReached?(): void;
  ref?: Ref<VirtualListHandle>;
  /** Extra props for the scroll container (keyboard focus, aria). */
  containerProps?: React.HTMLAttributes<HTMLDivElement>;
}

/** A fixed-row-height list that renders only the rows in view, however many there are. */
export function VirtualList({ count, rowHeight, renderRow, overscan = 6, className, onScroll, onEndReached, ref, containerProps }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(0);

  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useImperativeHandle(ref, () => ({
    reveal(index, margin = 2) {
      const el = container.current;
      if (!el) return;
      const top = (index - margin) * rowHeight;
      const bottom = (index + 1 + margin) * rowHeight;
      if (top < el.scrollTop) el.scrollTop = Math.max(0, top);
      else if (bottom > el.scrollTop + el.clientHeight) el.scrollTop = bottom - el.clientHeight;
    },
    scrollTo(offsetPx) {
      if (container.current) container.current.scrollTop = offsetPx;
    },
    element: () => container.current,
  }));

  const handleScroll = useCallback(() => {
    const el = container.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    onScroll?.(el.scrollTop, el.clientHeight);
  }, [onScroll]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);

  useEffect(() => {
    if (onEndReached && count > 0 && last >= count && height > 0) onEndReached();
  }, [last, count, height, onEndReached]);

  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} className="vrow" style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }} data-index={i}>
        {renderRow(i)}
      </div>,
    );
  }
  return (
    <div {...containerProps} ref={container} className={`vlist ${className ?? ''}`} onScroll={handleScroll}>
      <div className="vlist-spacer" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
