import { useCallback, useEffect, useRef, useState, type RefObject, type UIEvent } from "react";

/** The rows of a long list that a scroll container shows, and the space the others take. */
export interface VirtualRows {
  /** Goes on the scroll container (`overflow-y: auto`, a bounded height). */
  ref: RefObject<HTMLDivElement | null>;
  onScroll(e: UIEvent<HTMLElement>): void;
  /** Render rows `first` (inclusive) to `last` (exclusive) … */
  first: number;
  last: number;
  /** … between spacers of these heights, so the scroll bar stands for the whole list. */
  padTop: number;
  padBottom: number;
}

/**
 * Windowing for a list of fixed-height rows: only the rows in view (and `overscan` either side) are in the
 * DOM, so a blotter of thousands of orders costs what one screenful does, on first render and on every
 * event. The container stays a native scroller: wheel, scroll bar and, once focused, the arrow, Page and
 * Home/End keys all work as on any page.
 */
export function useVirtualRows(count: number, rowHeight: number, overscan = 10): VirtualRows {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(rowHeight * 20);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight((h) => el.clientHeight || h);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
    // Measured once per mount; the observer follows later changes.
  }, []);

  const onScroll = useCallback((e: UIEvent<HTMLElement>) => setScrollTop(e.currentTarget.scrollTop), []);
  const first = Math.max(0, Math.min(count, Math.floor(scrollTop / rowHeight) - overscan));
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return {
    ref,
    onScroll,
    first,
    last,
    padTop: first * rowHeight,
    padBottom: Math.max(0, count - last) * rowHeight,
  };
}
