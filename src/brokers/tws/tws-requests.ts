import {
  EventName,
  type CommissionReport as IbCommissionReport,
  type Contract as IbContract,
  type Execution as IbExecution,
  type ExecutionFilter,
  type OpenOrder,
} from "@stoqey/ib";
import type { TwsConnection } from "../../session/tws-supervisor";
import { connectionLost, requestTimeout } from "./tws-errors";
import type { ExecutionSnapshot } from "./tws-order-stream";

/**
 * `p`, or BROKER_UNAVAILABLE after `ms` or as soon as `conn` is lost (a read on a dead connection would only
 * wait for its deadline); `cleanup` runs either way.
 */
export function withDeadline<T>(
  p: Promise<T>,
  ms: number,
  what: string,
  conn?: TwsConnection,
  cleanup?: () => void,
): Promise<T> {
  // Not Promise.race with conn.closed: every call would leave a reaction on that long-lived promise,
  // keeping each read's result alive until the connection closes (a leak of ~1.4 KB per read).
  return new Promise<T>((resolve, reject) => {
    let done = false;
    // Assigned after the fact: onClosed may call back at once, before it returns.
    let off: (() => void) | undefined = undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off?.();
      cleanup?.();
      settle();
    };
    const timer = setTimeout(() => finish(() => reject(requestTimeout(what, ms))), ms);
    off = conn?.onClosed((reason) => finish(() => reject(connectionLost(what, reason))));
    p.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}

/**
 * reqExecutions on the raw API with our own reqId (taken from IBApiNext's counter, so it never collides
 * with its requests): every execution of the day matching `filter`, with the commission reports that TWS
 * sends before the end marker.
 */
export function fetchExecutions(
  conn: TwsConnection,
  filter: ExecutionFilter,
  ms: number,
): Promise<{ executions: ExecutionSnapshot[]; commissions: IbCommissionReport[] }> {
  const reqId = conn.api.nextReqId;
  const executions: ExecutionSnapshot[] = [];
  const commissions: IbCommissionReport[] = [];
  const onExec = (id: number, contract: IbContract, execution: IbExecution) => {
    if (id === reqId) executions.push({ contract, execution });
  };
  const onCommission = (r: IbCommissionReport) => commissions.push(r);
  let onEnd: (id: number) => void = () => undefined;
  const done = new Promise<{ executions: ExecutionSnapshot[]; commissions: IbCommissionReport[] }>(
    (resolve) => {
      onEnd = (id: number) => {
        if (id === reqId) resolve({ executions, commissions });
      };
    },
  );
  conn.raw.on(EventName.execDetails, onExec);
  conn.raw.on(EventName.commissionReport, onCommission);
  conn.raw.on(EventName.execDetailsEnd, onEnd);
  conn.raw.reqExecutions(reqId, filter);
  return withDeadline(done, ms, "reqExecutions", conn, () => {
    conn.raw.off(EventName.execDetails, onExec);
    conn.raw.off(EventName.commissionReport, onCommission);
    conn.raw.off(EventName.execDetailsEnd, onEnd);
  });
}

const completedInFlight = new WeakMap<TwsConnection, Promise<number[]>>();

/**
 * reqCompletedOrders(apiOnly=false): the permIds of today's finished orders. The messages themselves are
 * handled by the connection's permanent completedOrder listener. The request has no id, so concurrent
 * callers share one.
 */
export function fetchCompletedOrders(conn: TwsConnection, ms: number): Promise<number[]> {
  const existing = completedInFlight.get(conn);
  if (existing) return existing;
  const permIds: number[] = [];
  const onOrder = (_c: IbContract, order: { permId?: number }) => {
    if (order.permId) permIds.push(order.permId);
  };
  let onEnd: () => void = () => undefined;
  const done = new Promise<number[]>((resolve) => {
    onEnd = () => resolve(permIds);
  });
  conn.raw.on(EventName.completedOrder, onOrder);
  conn.raw.on(EventName.completedOrdersEnd, onEnd);
  conn.raw.reqCompletedOrders(false);
  const p = withDeadline(done, ms, "reqCompletedOrders", conn, () => {
    conn.raw.off(EventName.completedOrder, onOrder);
    conn.raw.off(EventName.completedOrdersEnd, onEnd);
    completedInFlight.delete(conn);
  });
  completedInFlight.set(conn, p);
  return p;
}

/** reqAllOpenOrders through IBApiNext (which shares concurrent calls): every client's working orders. */
export function fetchOpenOrders(conn: TwsConnection, ms: number): Promise<OpenOrder[]> {
  return withDeadline(conn.api.getAllOpenOrders(), ms, "reqAllOpenOrders", conn);
}
