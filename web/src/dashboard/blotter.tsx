import { memo, useCallback, useEffect, useMemo, useState } from "react";
import type { Order } from "../../../src/client/core";
import { isCursorError } from "../../../src/client/errors";
import { formatMoney, formatNumber, formatTime } from "./format";
import { asClientError, useUi } from "./hooks";

const ACTIVE = new Set(["PENDING_SUBMIT", "PRE_SUBMITTED", "SUBMITTED", "PARTIALLY_FILLED"]);
const MAX_ROWS = 200;

/** Newest first; an event replaces the row unless the row is already newer. */
function merge(rows: Map<string, Order>, order: Order): Map<string, Order> {
  const known = rows.get(order.id);
  if (known && known.updatedAt > order.updatedAt) return rows;
  const next = new Map(rows);
  next.set(order.id, order);
  return next;
}

/**
 * The live blotter: `orders` once, then `orderUpdates`, which resumes after its last sequence when the
 * socket drops. If the server cannot honour that cursor (restart without its journal), the blotter
 * re-reads `orders` and follows from there.
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
    () => [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, MAX_ROWS),
    [rows],
  );
  return (
    <section className="panel blotter" aria-labelledby="blotter-h">
      <h2 id="blotter-h">Orders</h2>
      {message && (
        <p role="alert" className="error">
          {message}
        </p>
      )}
      {list.length === 0 ? (
        <p className="empty">No orders.</p>
      ) : (
        <table>
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
            {list.map((o) => (
              <OrderRow
                key={o.id}
                order={o}
                canCancel={ui.canTrade && ACTIVE.has(o.status)}
                cancelling={cancelling.has(o.id)}
                onCancel={cancel}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface OrderRowProps {
  order: Order;
  canCancel: boolean;
  cancelling: boolean;
  onCancel(id: string): Promise<void>;
}

/** One blotter row; an order object that did not change keeps its identity, so its row is not re-rendered. */
const OrderRow = memo(function OrderRow({ order: o, canCancel, cancelling, onCancel }: OrderRowProps) {
  return (
    <tr key={o.id} data-testid={`order-${o.clientOrderId ?? o.id}`} data-order-id={o.id}>
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
