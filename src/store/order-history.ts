import type { OrderHistory } from "../brokers";
import { TERMINAL_ORDER_STATUSES } from "../schema/enums";
import type { Fill, Order } from "../schema/order.type";
import type { JsonValue, Store } from "./store";

export interface OrderHistoryOptions {
  /** Where a write the store refused is reported (the event still goes out; its history row is missing). */
  logger: { error(obj: object, msg: string): void };
  /**
   * How far back a start reloads finished orders and execution ids into the tracker: as long as IB may still
   * report them (Client Portal trades go back 7 days), so a late report is not taken for a new one.
   * @default 8 days
   */
  reloadMs?: number;
  /** Most rows a listing returns. @default 10_000 */
  maxRows?: number;
  now?: () => number;
}

/** Orders and fills kept in the store, as the broker service reads and writes them. */
export function createOrderHistory(store: Store, options: OrderHistoryOptions): OrderHistory {
  const now = options.now ?? Date.now;
  const maxRows = options.maxRows ?? 10_000;
  const reloadMs = options.reloadMs ?? 8 * 24 * 3600_000;
  const failed = (what: string, id: string) => (err: unknown) =>
    options.logger.error({ err, id }, `could not store the ${what}; it is missing from the history`);

  const listFills = async (q: { accountId: string; since?: Date | null; until?: Date | null }) =>
    (
      await store.listFills({
        accountId: q.accountId,
        from: q.since?.getTime(),
        to: q.until?.getTime(),
        limit: maxRows,
      })
    ).map((f) => revive(f.fill) as Fill);

  return {
    saveOrder(order: Order): void {
      store
        .upsertOrder({
          id: order.id,
          accountId: order.accountId,
          status: order.status,
          clientOrderId: order.clientOrderId ?? null,
          permId: order.permId ?? null,
          updatedAt: order.updatedAt.getTime(),
          finished: TERMINAL_ORDER_STATUSES.has(order.status),
          snapshot: toJson(order),
        })
        .catch(failed("order", order.id));
    },

    saveFill(fill: Fill): void {
      if (!fill.orderId || !fill.accountId) return;
      store
        .addFill({
          executionId: fill.executionId,
          orderId: fill.orderId,
          accountId: fill.accountId,
          at: fill.at.getTime(),
          fill: toJson(fill),
        })
        .catch(failed("fill", fill.executionId));
    },

    async listOrders(q) {
      const rows = await store.listOrders({
        accountId: q.accountId ?? undefined,
        statuses: q.statuses?.length ? q.statuses : undefined,
        updatedFrom: q.since?.getTime(),
        updatedTo: q.until?.getTime(),
        limit: maxRows,
      });
      return rows.map((r) => revive(r.snapshot) as Order);
    },

    listFills,

    async getOrder(id) {
      const row = await store.getOrder(id);
      return row && (revive(row.snapshot) as Order);
    },

    async load() {
      const since = now() - reloadMs;
      // Working orders whatever their age (a GTC order may work for weeks), finished ones while IB may
      // still report them.
      const [working, recent] = await Promise.all([
        store.listOrders({ finished: false, limit: maxRows }),
        store.listOrders({ updatedFrom: since, limit: maxRows }),
      ]);
      const orders = new Map<string, Order>();
      for (const r of [...working, ...recent]) orders.set(r.id, revive(r.snapshot) as Order);
      const accounts = new Set([...orders.values()].map((o) => o.accountId));
      const executions: { executionId: string; orderId: string }[] = [];
      for (const accountId of accounts) {
        const fills = await store.listFills({ accountId, from: since, limit: maxRows * 10 });
        for (const f of fills) executions.push({ executionId: f.executionId, orderId: f.orderId });
      }
      return { orders: [...orders.values()], executions };
    },
  };
}

function toJson(value: object): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** The Date fields of an order or a fill, stored as ISO strings. */
const DATE_KEYS = new Set(["at", "time", "createdAt", "updatedAt"]);

function revive(value: JsonValue, key = ""): unknown {
  if (typeof value === "string" && DATE_KEYS.has(key)) return new Date(value);
  if (Array.isArray(value)) return value.map((v) => revive(v));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = revive(v, k);
    return out;
  }
  return value;
}
