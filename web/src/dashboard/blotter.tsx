import { memo, useCallback, useEffect, useMemo, useState } from "react";
import type { Order } from "../../../src/client/core";
import { isCursorError } from "../../../src/client/errors";
import { formatMoney, formatNumber, formatTime } from "./format";
import { asClientError, useUi } from "./hooks";
import { useVirtualRows } from "./virtual-rows";

const ACTIVE = new Set(["PENDING_SUBMIT", "PRE_SUBMITTED", "SUBMITTED", "PARTIALLY_FILLED"]);
/** Every row is this tall (styles.css `.blotter tbody tr`), which is what lets the list be windowed. */
export const ROW_HEIGHT = 32;
const COLUMNS = 11;

/** Newest first; an event replaces the row unless the row is already newer. */
function merge(rows: Map<string, Order>, order: Order): Map<string, Order> {
  const known = rows.get(order.id);
  if (known && known.updatedAt > order.updatedAt) return rows;
  const next = new Map(rows);
  next.set(order.id, order);
  return next;
}

/**
 * The live blotter: `orders` once, then `orderUpdates`, which resumes after its last cursor when the socket
 * drops or the server restarts. If the server cannot honour that cursor (it came back on another
 * DATA_DIR), the blotter re-reads `orders` and follows from there. Every order is listed, newest first, in
 * a windowed scroller: only the rows in view are rendered.
 */
export function Blotter() {
  const ui = useUi();
  const [rows, setRows] = useState<Map<string, Order>>(new Map());
  const [epoch, setEpoch] = useState(0);
  const [message, setMessage] = useState<string>();
  const [cancelling, setCancelling] = useState<Set<string>>(new Set());

  useEffect(() => {
    // Subscribe first, then read: an order changing in between arrives as an event and wins by updatedAt.
    const stream = ui.client.orderUpdates({
      onEvent: (e) => setRows((r) => merge(r, e.order)),
      onStatus: (s) => {
        ui.reportStream(s);
        if (s.state === "live") ui.reportOk("ws");
      },
      onError: (e) => {
        if (isCursorError(e)) setEpoch((n) => n + 1);
        else ui.report(e);
      },
    });
    ui.client.orders().then(
      (orders) => setRows((r) => orders.reduce(merge, r)),
      (e: unknown) => ui.report(e),
    );
    return () => void stream.close();
  }, [ui, epoch]);

  const cancel = useCallback(
    async (id: string) => {
      setCancelling((s) => new Set(s).add(id));
      setMessage(undefined);
      try {
        const order = await ui.client.cancelOrder(id);
        setRows((r) => merge(r, order));
      } catch (e) {
        const err = asClientError(e);
        setMessage(`Cancel refused (${err.code}): ${err.message}`);
        ui.report(err);
      } finally {
        setCancelling((s) => {
          const next = new Set(s);
          next.delete(id);
          return next;
        });
      }
    },
    [ui],
  );

  // Sorted once per change of the book; rows are memoized, so an event re-renders its own row only.
  const list = useMemo(
    () =>
      [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)),
    [rows],
  );
  const working = useMemo(() => list.filter((o) => ACTIVE.has(o.status)).length, [list]);
  const view = useVirtualRows(list.length, ROW_HEIGHT);
  return (
    <section className="panel blotter" aria-labelledby="blotter-h">
      <h2 id="blotter-h">
        Orders{" "}
        <span className="note" data-testid="order-count">
          {list.length} orders, {working} working
        </span>
      </h2>
      {message && (
        <p role="alert" className="error">
          {message}
        </p>
      )}
      {/* Focusable, so the arrow, Page and Home/End keys scroll it; the rows' buttons stay in the tab order. */}
      <div
        className="scroller"
        ref={view.ref}
        onScroll={view.onScroll}
        tabIndex={0}
        role="region"
        aria-label="Orders, newest first"
        data-testid="blotter-scroller"
      >
        {list.length === 0 ? (
          <p className="empty">No orders.</p>
        ) : (
          <table aria-rowcount={list.length + 1}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Account</th>
                <th scope="col">Symbol</th>
                <th scope="col">Side</th>
                <th scope="col">Type</th>
                <th scope="col" className="num">
                  Qty
                </th>
                <th scope="col" className="num">
                  Limit
                </th>
                <th scope="col" className="num">
                  Filled
                </th>
                <th scope="col" className="num">
                  Avg price
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {view.padTop > 0 && <Spacer height={view.padTop} />}
              {list.slice(view.first, view.last).map((o, i) => (
                <OrderRow
                  key={o.id}
                  order={o}
                  rowIndex={view.first + i + 2}
                  canCancel={ui.canTrade && ACTIVE.has(o.status)}
                  cancelling={cancelling.has(o.id)}
                  onCancel={cancel}
                />
              ))}
              {view.padBottom > 0 && <Spacer height={view.padBottom} />}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

/** The height of the rows not rendered, so the scroll bar stands for the whole list. */
function Spacer({ height }: { height: number }) {
  return (
    <tr aria-hidden="true" className="spacer" style={{ height }}>
      <td colSpan={COLUMNS} />
    </tr>
  );
}

interface OrderRowProps {
  order: Order;
  /** aria-rowindex: the row's place in the whole list (the header is 1), as only some rows exist. */
  rowIndex: number;
  canCancel: boolean;
  cancelling: boolean;
  onCancel(id: string): Promise<void>;
}

/** One blotter row; an order object that did not change keeps its identity, so its row is not re-rendered. */
const OrderRow = memo(function OrderRow({
  order: o,
  rowIndex,
  canCancel,
  cancelling,
  onCancel,
}: OrderRowProps) {
  return (
    <tr data-testid={`order-${o.clientOrderId ?? o.id}`} data-order-id={o.id} aria-rowindex={rowIndex}>
      <td>{formatTime(o.createdAt)}</td>
      <td>{o.accountId}</td>
      <th scope="row">{o.contract.symbol}</th>
      <td className={o.side === "BUY" ? "buy" : "sell"}>{o.side}</td>
      <td>{o.type}</td>
      <td className="num">{formatNumber(o.quantity)}</td>
      <td className="num">{formatMoney(o.limitPrice, o.contract.currency)}</td>
      <td className="num">{formatNumber(o.filledQuantity)}</td>
      <td className="num">{formatMoney(o.averageFillPrice, o.contract.currency)}</td>
      <td className={`status s-${o.status.toLowerCase()}`} data-testid="status" title={o.statusMessage ?? ""}>
        {o.status}
      </td>
      <td>
        {canCancel && (
          <button
            className="cancel"
            disabled={cancelling}
            aria-label={`Cancel ${o.side} ${o.quantity} ${o.contract.symbol}`}
            onClick={() => void onCancel(o.id)}
          >
            Cancel
          </button>
        )}
      </td>
    </tr>
  );
});
