/**
 * Reconciliation of the TWS adapter: brings the order stream up to what TWS lists, after every (re)connect,
 * after TWS lost its data (1101), before an idempotent placement is decided, and on a timer while orders of
 * other client ids work (TWS sends their changes only to the client that placed them).
 */
import type { Logger } from "../../logger";
import type { TwsConnection } from "../../session/tws-supervisor";
import type { TwsOrderStream } from "./tws-order-stream";
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  fetchCompletedOrders,
  fetchExecutions,
  fetchOpenOrders,
  type TwsRequestOptions,
} from "./tws-requests";

/** `first`: the first connection of this server, whose earlier fills are history, not news. */
export type ReconcileMode = "first" | "catch-up";

export class TwsReconciler {
  private readonly requestTimeoutMs: number;
  private running: Promise<void> | undefined;

  constructor(
    private readonly stream: TwsOrderStream,
    private readonly log: Logger,
    options: TwsRequestOptions,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * Brings our view up to TWS's: open orders of every client, today's completed orders and executions.
   * While it runs, live messages are held, so fills found here (which happened first) are reported before
   * them. `first`: fills from before this server started are remembered, not reported.
   */
  reconcile(conn: TwsConnection, mode: ReconcileMode): Promise<void> {
    const run = async () => {
      this.stream.hold();
      try {
        const [open, completed, execs] = await Promise.allSettled([
          fetchOpenOrders(conn, this.requestTimeoutMs),
          fetchCompletedOrders(conn, this.requestTimeoutMs),
          fetchExecutions(conn, {}, this.requestTimeoutMs),
        ]);
        for (const r of [open, completed, execs]) {
          if (r.status === "rejected")
            this.log.warn({ err: r.reason, mode }, "reconciliation request failed");
        }
        if (
          execs.status === "fulfilled" &&
          open.status === "fulfilled" &&
          completed.status === "fulfilled" &&
          conn.alive
        ) {
          for (const c of execs.value.commissions) this.stream.onCommission(c);
          this.stream.catchUpFills(execs.value.executions, mode === "first");
        }
        // All three or nothing: a missing answer could hide a fill (no catch-up) or a finished order (a
        // reconciling placement would then be sent again).
        for (const r of [open, completed, execs]) if (r.status === "rejected") throw r.reason;
      } finally {
        this.stream.release();
      }
    };
    // One at a time: a reconciliation asked for while one runs waits for it and then runs fresh.
    const p = (this.running ?? Promise.resolve()).then(run);
    const tail = p.catch(() => undefined);
    this.running = tail;
    void tail.then(() => {
      if (this.running === tail) this.running = undefined;
    });
    return p;
  }

  /** The poll's tick: reconcile when orders of other client ids work and no reconciliation runs. */
  pollForeign(conn: TwsConnection): void {
    if (!conn.alive || this.running) return;
    const foreign = this.stream.workingOrders().some((r) => r.clientId !== conn.clientId);
    if (foreign) void this.reconcile(conn, "catch-up").catch(() => undefined);
  }
}
