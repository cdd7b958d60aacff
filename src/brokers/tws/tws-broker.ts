import {
  EventName,
  IBApiNextError,
  type AccountSummariesUpdate,
  type CommissionReport as IbCommissionReport,
  type Contract as IbContract,
  type ContractDetails as IbContractDetails,
  type Execution as IbExecution,
  type IBApiNext,
  type IBApiNextCreationOptions,
  type Order as IbOrder,
  type OrderState as IbOrderState,
  type Position as IbPosition,
} from "@stoqey/ib";
import { retry, type Subscription } from "rxjs";
import { AppError, ErrorCode, badInput, notFound } from "../../errors";
import { silentLogger, type Logger } from "../../logger";
import type { Account, AccountSummary } from "../../schema/account.type";
import type { Contract, ContractInput } from "../../schema/contract.type";
import { BrokerApi, OrderStatus, SecType, type SessionEventType } from "../../schema/enums";
import type { ModifyOrderInput } from "../../schema/order.input";
import type { Order } from "../../schema/order.type";
import type { Position } from "../../schema/position.type";
import type { TwsStatus } from "../../schema/session.type";
import {
  createTwsSupervisor,
  type TwsConnection,
  type TwsSupervisor,
  type TwsSupervisorOptions,
  REQUEST_ID_BASE,
} from "../../session/tws-supervisor";
import type {
  BrokerEventSink,
  ComponentReadiness,
  OrderRequest,
  PlaceOutcome,
  TwsBroker,
} from "../api-broker";
import {
  TwsErrorCode,
  cancelError,
  isFatalForOrder,
  modifyError,
  notReady,
  outcomeUnknown,
  placementError,
  type TwsErrorFrame,
} from "./tws-errors";
import {
  SUMMARY_TAGS,
  accountTypeOf,
  ibNumber,
  ibText,
  toAccountSummary,
  toContract,
  toIbOrder,
  toIbOrderContract,
  toOrder,
  toPosition,
  toTimeInForce,
  type SummaryValues,
  type TwsOrderRecord,
} from "./tws-mapping";
import { termsAfterModify } from "../order-terms";
import { TwsOrderStream } from "./tws-order-stream";
import { fetchCompletedOrders, fetchExecutions, fetchOpenOrders, withDeadline } from "./tws-requests";

/** Connection and timing of the TWS adapter. Defaults suit a real TWS; tests shorten every interval. */
export interface TwsBrokerOptions extends Omit<TwsSupervisorOptions, "logger" | "createClient"> {
  /** @default silentLogger() */
  logger?: Logger;
  /**
   * How long a placement or modification waits for TWS's openOrder acknowledgement; after that its outcome
   * is OUTCOME_UNKNOWN (never resent). @default 10_000
   */
  ackTimeoutMs?: number;
  /** Deadline of reads: contract details, open/completed orders, executions, account data. @default 10_000 */
  requestTimeoutMs?: number;
  /** How long a fill waits for its commissionReport before it is reported without commission. @default 1000 */
  commissionWaitMs?: number;
  /** How long cancelOrder waits for IB's confirmation or refusal before answering PENDING_CANCEL. @default 3000 */
  cancelWaitMs?: number;
  /**
   * An acknowledgement in state Inactive/Cancelled waits this long for the error frame that says why, so a
   * rejection is reported as ORDER_REJECTED rather than as an inactive order. @default 250
   */
  rejectGraceMs?: number;
  /**
   * While orders of other client ids are working (placed before a client-id rotation, or by other
   * programs), reconcile this often: TWS sends their changes only to the client that placed them. 0 = off.
   * @default 5000
   */
  pollIntervalMs?: number;
  /** Builds the IBApiNext client; for tests. */
  createClient?: (options: IBApiNextCreationOptions) => IBApiNext;
}

/** A request waiting for TWS's answer about one of our order ids. */
/** How a pending order exchange settles (see awaitOrder). */
interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  /** A timer that is cleared when the exchange settles. */
  later(ms: number, fn: () => void): void;
}

interface Waiter {
  /** The connection it was sent on; only that connection's loss settles it. */
  generation: number;
  onOpenOrder?(rec: TwsOrderRecord): void;
  onStatus?(rec: TwsOrderRecord): void;
  onError?(f: TwsErrorFrame): void;
  onLost(reason: string): void;
}

interface Snapshot<T> {
  value: T | undefined;
  at: Date;
  ready: Promise<void>;
  resolve: () => void;
}

function snapshot<T>(): Snapshot<T> {
  let resolve: () => void = () => undefined;
  const ready = new Promise<void>((r) => (resolve = r));
  return { value: undefined, at: new Date(), ready, resolve };
}

const CONTRACT_CACHE_MS = 60 * 60 * 1000;

/** The TWS side of the broker service, over @stoqey/ib's IBApiNext, supervised by `createTwsSupervisor`. */
export function createTwsBroker(options: TwsBrokerOptions, sink: BrokerEventSink): TwsBroker {
  return new TwsAdapter(options, sink);
}

class TwsAdapter implements TwsBroker {
  readonly api = BrokerApi.TWS;
  private readonly log: Logger;
  private readonly supervisor: TwsSupervisor;
  private readonly stream: TwsOrderStream;
  private readonly o: Required<
    Pick<
      TwsBrokerOptions,
      | "ackTimeoutMs"
      | "requestTimeoutMs"
      | "commissionWaitMs"
      | "cancelWaitMs"
      | "rejectGraceMs"
      | "pollIntervalMs"
    >
  >;
  private readonly waiters = new Map<number, Set<Waiter>>();
  private conn: TwsConnection | undefined;
  private subs: Subscription[] = [];
  private nextOrderId = 0;
  /** clientOrderIds sent on a connection, for reconciliation: connection generation by key. */
  private readonly sent = new Map<string, { generation: number }>();
  private readonly contracts = new Map<string, { contract: Contract; at: number }>();
  private summaries = snapshot<Map<string, SummaryValues>>();
  /** account → conId → position, from reqPositions (every account). */
  private positions = snapshot<Map<string, Map<number, IbPosition>>>();
  /** conId → position with market value and PnL, from reqAccountUpdates (one account at a time). */
  private portfolio = snapshot<Map<number, IbPosition>>();
  private portfolioAccount: string | null = null;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;

  constructor(
    options: TwsBrokerOptions,
    private readonly sink: BrokerEventSink,
  ) {
    this.log = (options.logger ?? silentLogger()).child({ api: "TWS" });
    this.o = {
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      commissionWaitMs: options.commissionWaitMs ?? 1000,
      cancelWaitMs: options.cancelWaitMs ?? 3000,
      rejectGraceMs: options.rejectGraceMs ?? 250,
      pollIntervalMs: options.pollIntervalMs ?? 5000,
    };
    this.stream = new TwsOrderStream({
      commissionWaitMs: this.o.commissionWaitMs,
      emit: (obs) => sink.order(obs),
      logger: this.log,
    });
    this.supervisor = createTwsSupervisor(
      { ...options, logger: this.log },
      {
        connected: (conn, since) => this.onConnected(conn, since),
        lost: (conn, reason) => this.onLost(conn, reason),
        dataLost: (conn) => this.onDataLost(conn),
        session: (type: SessionEventType, message: string) => sink.session(BrokerApi.TWS, type, message),
      },
    );
  }

  // ---- lifecycle ----

  start(): Promise<void> {
    return this.supervisor.start();
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    await this.supervisor.stop();
    this.stream.close();
  }

  status(): TwsStatus {
    return this.supervisor.status();
  }

  isReady(): boolean {
    return this.supervisor.current() !== undefined;
  }

  readiness(): ComponentReadiness {
    const s = this.status();
    return {
      ready: this.isReady(),
      state: s.state,
      detail: s.lastError ?? undefined,
      lastMessageAt: s.lastMessageAt?.toISOString() ?? null,
    };
  }

  assertReady(): void {
    this.ready();
  }

  private ready(): TwsConnection {
    const c = this.supervisor.current();
    if (!c) {
      const s = this.status();
      throw notReady(s.state, s.lastError ?? null);
    }
    return c;
  }

  // ---- connection events ----

  private async onConnected(conn: TwsConnection, since: Date | null): Promise<void> {
    this.conn = conn;
    this.nextOrderId = Math.max(this.nextOrderId, conn.nextValidId);
    this.listen(conn);
    this.listenPositions(conn);
    this.subscribe(conn);
    await this.reconcile(conn, since === null ? "first" : "catch-up");
    clearInterval(this.pollTimer);
    if (this.o.pollIntervalMs > 0) this.pollTimer = setInterval(() => this.poll(conn), this.o.pollIntervalMs);
  }

  private onLost(conn: TwsConnection, reason: string): void {
    if (this.conn === conn) {
      this.conn = undefined;
      clearInterval(this.pollTimer);
      this.unsubscribe();
    }
    for (const set of [...this.waiters.values()]) {
      for (const w of [...set]) if (w.generation === conn.generation) w.onLost(reason);
    }
  }

  private async onDataLost(conn: TwsConnection): Promise<void> {
    this.unsubscribe();
    this.subscribe(conn);
    await this.reconcile(conn, "catch-up");
  }

  private unsubscribe(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.portfolioAccount = null;
  }

  /** The raw order messages, for the whole life of this connection. */
  private listen(conn: TwsConnection): void {
    const { raw } = conn;
    const live = () => conn.alive;
    raw.on(
      EventName.openOrder,
      (orderId: number, contract: IbContract, order: IbOrder, state: IbOrderState) => {
        if (!live()) return;
        const rec = this.stream.onOpenOrder(orderId, contract, order, state);
        if (rec && rec.clientId === conn.clientId) this.notify(orderId, (w) => w.onOpenOrder?.(rec));
      },
    );
    raw.on(
      EventName.orderStatus,
      (
        orderId: number,
        status: string,
        filled: number,
        remaining: number,
        avgFillPrice: number,
        permId?: number,
        _parentId?: number,
        _lastFillPrice?: number,
        clientId?: number,
        whyHeld?: string,
      ) => {
        if (!live()) return;
        const rec = this.stream.onOrderStatus(
          orderId,
          status,
          filled,
          remaining,
          avgFillPrice,
          permId,
          clientId,
          whyHeld,
        );
        if (rec && rec.clientId === conn.clientId) this.notify(orderId, (w) => w.onStatus?.(rec));
      },
    );
    raw.on(EventName.completedOrder, (contract: IbContract, order: IbOrder, state: IbOrderState) => {
      if (live()) this.stream.onCompletedOrder(contract, order, state);
    });
    raw.on(EventName.execDetails, (reqId: number, contract: IbContract, execution: IbExecution) => {
      // Snapshot answers (our reqId) are collected by fetchExecutions and reported in order by reconcile.
      if (live() && reqId === -1) this.stream.onExecution(contract, execution);
    });
    raw.on(EventName.commissionReport, (report: IbCommissionReport) => {
      if (live()) this.stream.onCommission(report);
    });
    raw.on(EventName.nextValidId, (id: number) => {
      if (live()) this.nextOrderId = Math.max(this.nextOrderId, id);
    });
    raw.on(EventName.error, (err: Error, code: number, id: number) => {
      // Request ids start at REQUEST_ID_BASE: anything below is an order id.
      if (!live() || id == null || id < 0 || id >= REQUEST_ID_BASE) return;
      const frame: TwsErrorFrame = { code, message: err?.message ?? String(err), id };
      if (
        isFatalForOrder(code, frame.message) ||
        code === TwsErrorCode.CANCEL_NOT_FOUND ||
        code === TwsErrorCode.CANCEL_NOT_POSSIBLE
      ) {
        this.stream.noteError(conn.clientId, id, frame.message);
      }
      this.notify(id, (w) => w.onError?.(frame));
    });
  }

  /** Account and position streams served from memory, and TWS's own orders when we are client 0. */
  private subscribe(conn: TwsConnection): void {
    const api = conn.api;
    // IBApiNext routes an order's error (id = orderId) into any subscription whose reqId happens to equal
    // it, which ends that stream; resubscribing shortly after keeps the stream alive.
    const again = <T>() => retry<T>({ delay: 500 });
    this.summaries = snapshot();
    this.subs.push(
      api
        .getAccountSummary("All", SUMMARY_TAGS.join(","))
        .pipe(again<AccountSummariesUpdate>())
        .subscribe({
          next: (u: AccountSummariesUpdate) => {
            this.summaries.value = new Map([...u.all].map(([acct, tags]) => [acct, tags as SummaryValues]));
            this.summaries.at = new Date();
            this.summaries.resolve();
          },
          error: (e: unknown) => this.log.warn({ err: e }, "account summary stream ended"),
        }),
    );
    // Positions and portfolio come from the raw messages: IBApiNext 1.6.10's lists drop every entry after
    // a position that went to zero.
    this.positions = snapshot();
    this.positions.value = new Map();
    conn.raw.reqPositions();
    if (conn.clientId === 0) {
      // Client 0 hears about orders entered in TWS itself as they change. autoBind=false: we watch them but
      // do not take them over (binding would give the user's manual orders API ids owned by this server).
      this.subs.push(
        api
          .getAutoOpenOrders(false)
          .pipe(again())
          .subscribe({ error: () => undefined }),
      );
    }
    const first = conn.accounts[0];
    if (first) void this.watchPortfolio(conn, first);
  }

  /** reqAccountUpdates serves one account at a time per client: market value and PnL per position. */
  private watchPortfolio(conn: TwsConnection, account: string): Promise<void> {
    if (this.portfolioAccount === account) return this.portfolio.ready;
    if (this.portfolioAccount) conn.raw.reqAccountUpdates(false, this.portfolioAccount);
    this.portfolioAccount = account;
    this.portfolio = snapshot();
    this.portfolio.value = new Map();
    conn.raw.reqAccountUpdates(true, account);
    return this.portfolio.ready;
  }

  private listenPositions(conn: TwsConnection): void {
    const { raw } = conn;
    raw.on(EventName.position, (account: string, contract: IbContract, pos: number, avgCost?: number) => {
      if (!conn.alive || !contract.conId) return;
      const byAccount = this.positions.value!;
      let m = byAccount.get(account);
      if (!m) byAccount.set(account, (m = new Map()));
      if ((ibNumber(pos) ?? 0) === 0) m.delete(contract.conId);
      else m.set(contract.conId, { account, contract, pos, avgCost });
      this.positions.at = new Date();
    });
    raw.on(EventName.positionEnd, () => {
      if (conn.alive) this.positions.resolve();
    });
    raw.on(
      EventName.updatePortfolio,
      (
        contract: IbContract,
        pos: number,
        marketPrice: number,
        marketValue: number,
        avgCost?: number,
        unrealizedPNL?: number,
        realizedPNL?: number,
        account?: string,
      ) => {
        if (!conn.alive || !contract.conId || (account && account !== this.portfolioAccount)) return;
        const p: IbPosition = {
          account: account ?? this.portfolioAccount ?? "",
          contract,
          pos,
          avgCost,
          marketPrice,
          marketValue,
          unrealizedPNL,
          realizedPNL,
        };
        this.portfolio.value!.set(contract.conId, p);
        this.portfolio.at = new Date();
      },
    );
    raw.on(EventName.accountDownloadEnd, (account: string) => {
      if (conn.alive && account === this.portfolioAccount) this.portfolio.resolve();
    });
  }

  // ---- reconciliation ----

  /**
   * Brings our view up to TWS's: open orders of every client, today's completed orders and executions.
   * While it runs, live messages are held, so fills found here (which happened first) are reported before
   * them. `first`: fills from before this server started are remembered, not reported.
   */
  private reconcile(conn: TwsConnection, mode: "first" | "catch-up"): Promise<void> {
    const run = async () => {
      this.stream.hold();
      try {
        const [open, completed, execs] = await Promise.allSettled([
          fetchOpenOrders(conn, this.o.requestTimeoutMs),
          fetchCompletedOrders(conn, this.o.requestTimeoutMs),
          fetchExecutions(conn, {}, this.o.requestTimeoutMs),
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
    const p = (this.reconciling ?? Promise.resolve()).then(run);
    const tail = p.catch(() => undefined);
    this.reconciling = tail;
    void tail.then(() => {
      if (this.reconciling === tail) this.reconciling = undefined;
    });
    return p;
  }

  private poll(conn: TwsConnection): void {
    if (!conn.alive || this.reconciling || this.supervisor.current() !== conn) return;
    const foreign = this.stream.workingOrders().some((r) => r.clientId !== conn.clientId);
    if (foreign) void this.reconcile(conn, "catch-up").catch(() => undefined);
  }

  // ---- reads ----

  async listAccounts(): Promise<Account[]> {
    const conn = this.ready();
    const ids = conn.accounts.length > 0 ? conn.accounts : await conn.api.getManagedAccounts();
    const summaries = this.summaries.value;
    return ids.map((id) => ({
      id,
      type: accountTypeOf(id),
      currency: summaries?.get(id) ? toAccountSummary(summaries.get(id)!).currency : null,
      sources: [BrokerApi.TWS],
    }));
  }

  async getAccountSummary(accountId: string): Promise<AccountSummary | null> {
    const conn = this.ready();
    await withDeadline(this.summaries.ready, this.o.requestTimeoutMs, "reqAccountSummary", conn);
    const values = this.summaries.value?.get(accountId);
    if (!values) {
      if (!conn.accounts.includes(accountId)) return null;
      return { source: BrokerApi.TWS, asOf: this.summaries.at, currency: null };
    }
    return toAccountSummary(values);
  }

  async listPositions(accountId?: string): Promise<Position[]> {
    const conn = this.ready();
    await withDeadline(this.positions.ready, this.o.requestTimeoutMs, "reqPositions", conn);
    const account = accountId ?? (conn.accounts.length === 1 ? conn.accounts[0] : undefined);
    if (account && conn.accounts.includes(account)) {
      await withDeadline(
        this.watchPortfolio(conn, account),
        this.o.requestTimeoutMs,
        "reqAccountUpdates",
        conn,
      ).catch((e: unknown) =>
        this.log.warn({ err: e, account }, "no portfolio values; positions without PnL"),
      );
    }
    const out: Position[] = [];
    for (const [acct, byConid] of this.positions.value ?? []) {
      if (accountId && acct !== accountId) continue;
      for (const p of byConid.values()) {
        const pnl = acct === this.portfolioAccount ? this.portfolio.value?.get(p.contract.conId!) : undefined;
        out.push(
          pnl
            ? toPosition({ ...pnl, ...p, contract: { ...pnl.contract, ...p.contract } }, this.portfolio.at)
            : toPosition(p, this.positions.at),
        );
      }
    }
    return out;
  }

  async listOrders(): Promise<Order[]> {
    const conn = this.ready();
    await fetchOpenOrders(conn, this.o.requestTimeoutMs);
    return [...this.stream.records.values()].map(toOrder);
  }

  async resolveContract(input: ContractInput): Promise<Contract> {
    const conn = this.ready();
    const key = JSON.stringify([input.conid, input.symbol, input.secType, input.exchange, input.currency]);
    const cached = this.contracts.get(key);
    if (cached && Date.now() - cached.at < CONTRACT_CACHE_MS) return cached.contract;
    const query: IbContract = input.conid
      ? { conId: input.conid, exchange: input.exchange ?? undefined, currency: input.currency ?? undefined }
      : {
          symbol: input.symbol ?? undefined,
          secType: (input.secType ?? SecType.STK) as never,
          exchange: input.exchange ?? "SMART",
          currency: input.currency ?? "USD",
        };
    let details: IbContractDetails[];
    try {
      details = await withDeadline(
        conn.api.getContractDetails(query),
        this.o.requestTimeoutMs,
        "reqContractDetails",
        conn,
      );
    } catch (e) {
      if (e instanceof IBApiNextError && Number(e.code) === TwsErrorCode.NO_SECURITY_DEFINITION) details = [];
      else throw e;
    }
    const what = input.conid ? `conid ${input.conid}` : `${input.symbol} ${input.secType ?? "STK"}`;
    if (details.length === 0) {
      throw notFound(
        `TWS knows no contract for ${what}; check the conid, or symbol/secType/exchange/currency.`,
        {
          field: "contract",
          api: "TWS",
        },
      );
    }
    if (details.length > 1) {
      throw badInput(
        `${what} is ambiguous at TWS (${details.length} contracts); give the conid or the exchange/currency.`,
        { field: "contract", candidates: details.slice(0, 10).map((d) => d.contract.conId) },
      );
    }
    const d = details[0]!;
    const contract = {
      ...toContract(d.contract, d),
      exchange: ibText(d.contract.primaryExch) ?? ibText(d.contract.exchange),
    };
    this.contracts.set(key, { contract, at: Date.now() });
    return contract;
  }

  /** The market price TWS reported for a position in this contract (reqAccountUpdates), if any. */
  async lastPrice(conid: number): Promise<number | null> {
    return ibNumber(this.portfolio.value?.get(conid)?.marketPrice);
  }

  // ---- orders ----

  async placeOrder(request: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    const conn = this.ready();
    if (conn.accounts.length > 0 && !conn.accounts.includes(request.accountId)) {
      throw notFound(
        `Account ${request.accountId} is not managed by this TWS login (${conn.accounts.join(", ")}).`,
        {
          field: "accountId",
          api: "TWS",
        },
      );
    }
    const ibContract = toIbOrderContract(contract, request.contract.exchange);
    const ibOrder = toIbOrder(request);
    for (let attempt = 0; ; attempt++) {
      const orderId = this.allocateOrderId();
      try {
        const rec = await this.send(conn, orderId, ibContract, ibOrder, request.clientOrderId);
        return { order: toOrder(rec) };
      } catch (e) {
        // 103: the id was taken (another program on this client id). Nothing was placed; take a fresh id.
        if (e instanceof AppError && e.details.ibCode === TwsErrorCode.DUPLICATE_ORDER_ID && attempt === 0) {
          const fresh = await withDeadline(
            conn.api.getNextValidOrderId(),
            this.o.requestTimeoutMs,
            "reqIds",
            conn,
          );
          this.nextOrderId = Math.max(this.nextOrderId, fresh, orderId + 1);
          continue;
        }
        throw e;
      }
    }
  }

  private allocateOrderId(): number {
    return this.nextOrderId++;
  }

  /** placeOrder and the wait for TWS's openOrder acknowledgement, which carries the permId. */
  private send(
    conn: TwsConnection,
    orderId: number,
    contract: IbContract,
    order: IbOrder,
    clientOrderId: string,
  ): Promise<TwsOrderRecord> {
    let acked: TwsOrderRecord | undefined;
    let grace = false;
    const unknown = (why: string) =>
      outcomeUnknown(
        `${why}; it may or may not be at IB. It will not be resent; retry with the same clientOrderId to reconcile.`,
        { clientOrderId, brokerOrderId: String(orderId) },
      );
    return this.awaitOrder<TwsOrderRecord>(conn, orderId, {
      deadlineMs: this.o.ackTimeoutMs,
      atDeadline: (s) =>
        s.reject(unknown(`TWS did not acknowledge order ${orderId} within ${this.o.ackTimeoutMs} ms`)),
      lost: (reason) =>
        unknown(`The TWS connection was lost before order ${orderId} was acknowledged (${reason})`),
      handlers: (s) => ({
        onOpenOrder: (rec) => {
          if (acked) return;
          acked = rec;
          const status = toOrder(rec).status;
          if ((status === OrderStatus.INACTIVE || status === OrderStatus.CANCELLED) && rec.filled === 0) {
            // Usually an error frame with IB's reason follows; wait for it briefly.
            grace = true;
            s.later(this.o.rejectGraceMs, () => s.resolve(rec));
            return;
          }
          s.resolve(rec);
        },
        onError: (f) => {
          if (acked && !grace) return;
          if (!isFatalForOrder(f.code, f.message)) return;
          s.reject(placementError(f, clientOrderId));
        },
      }),
      send: (s) => {
        if (!conn.alive || this.supervisor.current() !== conn) {
          // Lost between the readiness check and here: nothing went out, so the key may be used again.
          const st = this.status();
          s.reject(notReady(st.state, st.lastError ?? null));
          return;
        }
        this.sent.delete(clientOrderId);
        this.sent.set(clientOrderId, { generation: conn.generation });
        if (this.sent.size > 10_000) this.sent.delete(this.sent.keys().next().value!);
        this.log.info({ orderId, clientOrderId, clientId: conn.clientId }, "placing order");
        try {
          conn.api.placeOrder(orderId, contract, order);
        } catch (e) {
          s.reject(outcomeUnknown(`Sending order ${orderId} to TWS failed: ${String(e)}`, { clientOrderId }));
        }
      },
    });
  }

  async modifyOrder(order: Order, changes: ModifyOrderInput): Promise<Order> {
    const conn = this.ready();
    const rec = await this.ownOrder(conn, order, "modify");
    const current = toOrder(rec);
    const terms = termsAfterModify(current, changes);
    const ibOrder = toIbOrder(terms);
    const contract = toIbOrderContract(toContract(rec.contract), ibText(rec.contract.exchange));
    const matches = (r: TwsOrderRecord) =>
      ibNumber(r.order.totalQuantity) === terms.quantity &&
      (terms.limitPrice == null || ibNumber(r.order.lmtPrice) === terms.limitPrice) &&
      (terms.stopPrice == null || ibNumber(r.order.auxPrice) === terms.stopPrice) &&
      toTimeInForce(r.order.tif) === terms.timeInForce;
    const orderId = rec.orderId;
    const updated = await this.awaitOrder<TwsOrderRecord>(conn, orderId, {
      deadlineMs: this.o.ackTimeoutMs,
      atDeadline: (s) =>
        s.reject(
          outcomeUnknown(
            `TWS did not confirm the modification within ${this.o.ackTimeoutMs} ms; re-read the order.`,
            { orderId: order.id },
          ),
        ),
      lost: (reason) =>
        outcomeUnknown(`The TWS connection was lost before the modification was confirmed (${reason}).`, {
          orderId: order.id,
        }),
      handlers: (s) => ({
        onOpenOrder: (r) => {
          if (matches(r)) s.resolve(r);
        },
        onError: (f) => {
          if (isFatalForOrder(f.code, f.message) || f.code >= 10_000) s.reject(modifyError(f, order.id));
        },
      }),
      send: () => {
        this.log.info({ orderId, permId: rec.permId }, "modifying order");
        conn.api.modifyOrder(orderId, contract, ibOrder);
      },
    });
    return toOrder(updated);
  }

  async cancelOrder(order: Order): Promise<Order> {
    const conn = this.ready();
    const rec = await this.ownOrder(conn, order, "cancel");
    const orderId = rec.orderId;
    const cancelled = (r: TwsOrderRecord) => ["Cancelled", "ApiCancelled"].includes(r.ibStatus);
    const result = await this.awaitOrder<TwsOrderRecord>(conn, orderId, {
      // No answer yet is not a failure: the cancel is on its way and the stream will show the outcome.
      deadlineMs: this.o.cancelWaitMs,
      atDeadline: (s) => s.resolve(rec),
      lost: (reason) =>
        outcomeUnknown(
          `The TWS connection was lost before the cancel was confirmed (${reason}); re-read the order.`,
          { orderId: order.id },
        ),
      handlers: (s) => ({
        onStatus: (r) => {
          if (cancelled(r)) s.resolve(r);
        },
        onError: (f) => {
          if (f.code === TwsErrorCode.ORDER_CANCELLED) s.resolve(rec);
          else if (
            f.code === TwsErrorCode.CANCEL_NOT_FOUND ||
            f.code === TwsErrorCode.CANCEL_NOT_POSSIBLE ||
            f.code === 161
          )
            s.reject(cancelError(f, order.id));
        },
      }),
      send: () => {
        this.log.info({ orderId, permId: rec.permId }, "cancelling order");
        conn.api.cancelOrder(orderId);
      },
    });
    const out = toOrder(result);
    if (cancelled(result) || out.status === OrderStatus.FILLED) return out;
    return { ...out, status: OrderStatus.PENDING_CANCEL, updatedAt: new Date() };
  }

  /**
   * TWS lets only the placing client id change an order. Unknown orders count as changeable (ownOrder
   * reads the open orders and says why when it is not).
   */
  canChange(order: Order): boolean {
    const conn = this.supervisor.current();
    const rec = this.stream.get(Number(order.permId ?? order.id));
    if (!conn || !rec) return true;
    return rec.orderId > 0 && rec.clientId === conn.clientId;
  }

  /** The record of an order this connection may change: TWS lets only the placing client id do that. */
  private async ownOrder(conn: TwsConnection, order: Order, what: string): Promise<TwsOrderRecord> {
    const permId = Number(order.permId ?? order.id);
    let rec = Number.isFinite(permId) ? this.stream.get(permId) : undefined;
    if (!rec) {
      await fetchOpenOrders(conn, this.o.requestTimeoutMs);
      rec = this.stream.get(permId);
    }
    if (!rec) throw notFound(`TWS does not show order ${order.id}.`, { id: order.id, api: "TWS" });
    if (rec.orderId <= 0 || rec.clientId !== conn.clientId) {
      throw new AppError(
        ErrorCode.ORDER_REJECTED,
        rec.orderId <= 0
          ? `Order ${order.id} was entered outside the TWS API (Client Portal, the website or TWS's own window); TWS lets no API client ${what} it. Use via: CLIENT_PORTAL.`
          : `Order ${order.id} was placed by TWS client ${rec.clientId ?? "?"}; this server is client ${conn.clientId} and TWS only lets the placing client ${what} it. Use TWS, or the Client Portal API (via: CLIENT_PORTAL).`,
        { id: order.id, clientId: rec.clientId, api: "TWS" },
      );
    }
    return rec;
  }

  async findByClientOrderId(clientOrderId: string): Promise<Order | null> {
    const conn = this.ready();
    await this.reconcile(conn, "catch-up");
    const rec = this.stream.byClientOrderId(clientOrderId);
    if (rec) return toOrder(rec);
    if (this.sent.get(clientOrderId)?.generation === conn.generation) {
      // Sent on this very connection and not listed: TWS may still hold it (an order precaution dialog
      // waiting in TWS, a gateway that hung and may process its input later), so absence proves nothing.
      // Only a later connection's lists can say it never arrived.
      throw outcomeUnknown(
        `Order "${clientOrderId}" was sent to TWS on the current connection but TWS does not show it; it will ` +
          "not be resent. If TWS shows an order dialog, answer it there; otherwise the outcome is settled after " +
          "the next reconnect.",
        { clientOrderId },
      );
    }
    return null;
  }

  // ---- waiters ----

  /**
   * The one pattern behind placing, modifying and cancelling: send a message about `orderId`, then settle
   * on TWS's answer (from `handlers`), the loss of the connection it went out on, or a deadline. `later`
   * timers die with the settlement.
   */
  private awaitOrder<T>(
    conn: TwsConnection,
    orderId: number,
    spec: {
      deadlineMs: number;
      atDeadline: (s: Settle<T>) => void;
      lost: (reason: string) => Error;
      handlers: (s: Settle<T>) => Omit<Waiter, "generation" | "onLost">;
      send: (s: Settle<T>) => void;
    },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        for (const t of timers) clearTimeout(t);
        this.unwait(orderId, waiter);
        fn();
      };
      const settle: Settle<T> = {
        resolve: (v) => finish(() => resolve(v)),
        reject: (e) => finish(() => reject(e)),
        later: (ms, fn) => {
          timers.push(setTimeout(fn, ms));
        },
      };
      const waiter: Waiter = {
        generation: conn.generation,
        ...spec.handlers(settle),
        onLost: (reason) => settle.reject(spec.lost(reason)),
      };
      settle.later(spec.deadlineMs, () => spec.atDeadline(settle));
      this.wait(orderId, waiter);
      spec.send(settle);
    });
  }

  private wait(orderId: number, w: Waiter): void {
    let set = this.waiters.get(orderId);
    if (!set) {
      set = new Set();
      this.waiters.set(orderId, set);
    }
    set.add(w);
  }

  private unwait(orderId: number, w: Waiter): void {
    const set = this.waiters.get(orderId);
    set?.delete(w);
    if (set?.size === 0) this.waiters.delete(orderId);
  }

  private notify(orderId: number, fn: (w: Waiter) => void): void {
    const set = this.waiters.get(orderId);
    if (set) for (const w of [...set]) fn(w);
  }
}
