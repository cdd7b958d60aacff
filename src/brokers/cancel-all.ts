import type { Logger } from "pino";
import { badInput, isAppError } from "../errors";
import { OrderStatus, TERMINAL_ORDER_STATUSES, type TradingMode } from "../schema/enums";
import type { Order } from "../schema/order.type";
import type { Caller } from "./broker-service";
import { checkAccountId } from "./order-validation";
import { routeExisting, type Sides } from "./routing";
import { checkAllowed, type TradingGuards } from "./trading-guards";

/** What cancelAllOrders needs of the broker service. */
export interface CancelAllDeps {
  guards: TradingGuards;
  mode: () => TradingMode;
  sides: () => Sides;
  orders: (accountId: string) => Promise<Order[]>;
  checkWritable: (caller: Caller) => void;
  /** Tracks an order as the cancel left it; returns the tracked order. */
  observe: (order: Order) => Order;
  log: Logger;
  auditRefusal: (audit: Record<string, unknown>, e: unknown) => void;
}

/**
 * cancelAllOrders: one cancel per working order of the account, each through the API that may change it
 * (TWS lets only the placing client cancel its orders, so IB's global cancel is not used: it would also
 * cancel orders of other clients and of the user's own TWS window). Refused for read tokens and READ_ONLY;
 * allowed without ALLOW_LIVE_TRADING, since cancelling only lowers risk. One audit line for the whole call
 * and one per order. An order that is filled or gone meanwhile is returned as IB reports it.
 */
export async function cancelAll(
  accountId: string,
  confirm: boolean,
  caller: Caller,
  deps: CancelAllDeps,
): Promise<Order[]> {
  const audit: Record<string, unknown> = { op: "cancelAllOrders", client: caller.client, accountId, confirm };
  try {
    deps.checkWritable(caller);
    const id = checkAccountId(accountId);
    if (confirm !== true) {
      throw badInput("cancelAllOrders cancels every working order of the account: pass confirm: true.", {
        field: "confirm",
      });
    }
    checkAllowed(deps.guards, id);
    const working = (await deps.orders(id)).filter(
      (o) => !TERMINAL_ORDER_STATUSES.has(o.status) && o.status !== OrderStatus.PENDING_CANCEL,
    );
    // Children first: cancelling a bracket parent cancels its children at IB, and asking for them again
    // afterwards would only answer "not cancellable".
    working.sort((a, b) => Number(b.parentId != null) - Number(a.parentId != null));
    const out: Order[] = [];
    const failures: string[] = [];
    for (const order of working) {
      try {
        const api = routeExisting(deps.sides(), order);
        const updated = await api.cancelOrder(order);
        out.push(deps.observe(updated));
        deps.log.info({ ...audit, orderId: order.id, api: api.api }, "order cancel requested");
      } catch (e) {
        failures.push(order.id);
        deps.log.warn(
          { ...audit, orderId: order.id, code: isAppError(e) ? e.code : "INTERNAL", reason: String(e) },
          "cancel of one order failed",
        );
      }
    }
    deps.log.info(
      { ...audit, mode: deps.mode(), cancelled: out.length, failed: failures },
      "cancel of all orders requested",
    );
    return out.map((o) =>
      TERMINAL_ORDER_STATUSES.has(o.status) ? o : { ...o, status: OrderStatus.PENDING_CANCEL },
    );
  } catch (e) {
    deps.auditRefusal(audit, e);
    throw e;
  }
}
