import {
  EventName,
  type CommissionReport as IbCommissionReport,
  type Contract as IbContract,
  type Execution as IbExecution,
  type ExecutionFilter,
} from "@stoqey/ib";
import type { TwsConnection } from "../../session/tws-supervisor";
import { connectionLost, requestTimeout } from "./tws-errors";
import type { ExecutionSnapshot } from "./tws-order-stream";

/** The deadline every read of the adapter's parts shares. */
export interface TwsRequestOptions {
  /** Deadline of reads: contract details, open/completed orders, executions, account data. @default 10_000 */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

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

/** Lists in flight per connection: these requests carry no id, so concurrent callers share one. */
const listsInFlight = new WeakMap<TwsConnection, Map<string, Promise<void>>>();

/**
 * One of TWS's id-less list requests on the raw API, settled by its end marker. The listed orders
 * themselves are heard by the connection's permanent order listeners (tws-orders.ts), so this only sends
 * the request and waits; concurrent callers share the request in flight.
 */
function listRequest(
  conn: TwsConnection,
  what: string,
  end: EventName.openOrderEnd | EventName.completedOrdersEnd,
  send: () => void,
  ms: number,
): Promise<void> {
  let inFlight = listsInFlight.get(conn);
  if (!inFlight) listsInFlight.set(conn, (inFlight = new Map()));
  const existing = inFlight.get(what);
  if (existing) return existing;
  let onEnd: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (onEnd = resolve));
  // Both end markers carry no arguments: either overload of `on` describes them.
  const marker = end as EventName.openOrderEnd;
  conn.raw.on(marker, onEnd);
  send();
  const p = withDeadline(done, ms, what, conn, () => {
    conn.raw.off(marker, onEnd);
    inFlight.delete(what);
  });
  inFlight.set(what, p);
  return p;
}

/** reqCompletedOrders(apiOnly=false): today's finished orders, of every client and of TWS itself. */
export function fetchCompletedOrders(conn: TwsConnection, ms: number): Promise<void> {
  return listRequest(
    conn,
    "reqCompletedOrders",
    EventName.completedOrdersEnd,
    () => conn.raw.reqCompletedOrders(false),
    ms,
  );
}

/** reqAllOpenOrders: every client's working orders. */
export function fetchOpenOrders(conn: TwsConnection, ms: number): Promise<void> {
  return listRequest(conn, "reqAllOpenOrders", EventName.openOrderEnd, () => conn.raw.reqAllOpenOrders(), ms);
}
