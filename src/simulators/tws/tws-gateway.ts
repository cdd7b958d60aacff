/**
 * The behaviour of TWS / IB Gateway behind the socket: startup sequence, requests and their replies, and the
 * order, execution, position and account messages pushed from the shared simulated brokerage.
 */
import type { Logger } from "../../logger";
import type {
  Brokerage,
  SimAccountValues,
  SimBrokerageEvents,
  SimInstrument,
  SimOrder,
  SimOrderType,
  SimPosition,
  SimReject,
  SimTimeInForce,
} from "../brokerage";
import type { HandshakeInfo, WireField } from "./tws-codec";
import * as enc from "./tws-encoders";
import { FieldCursor, TwsRequestParseError } from "./field-cursor";
import { parsePlaceOrder } from "./place-order-parser";
import { TwsOrderBook, type HeldOrder } from "./tws-order-book";
import type { ParsedPlaceOrder } from "./tws-order-fields";
import {
  MIN_CLIENT_VERSION,
  NO_VALID_ID,
  NOTICE_TEXTS,
  OutMsg,
  SERVER_VERSION,
  TwsError,
} from "./tws-protocol";
import type { AccountUpdatesSubscription, TwsSession, TwsSessionHost } from "./tws-session";
import { accountTimeText, connectionTimeText, parseFilterTime, tradeTimeText } from "./tws-time";
import {
  accountSummaryRows,
  accountUpdateRows,
  contractDetailsView,
  matchContracts,
  portfolioView,
  positionView,
  reportedContract,
  type AccountRow,
} from "./tws-views";

export interface TwsGatewayOptions {
  brokerage: Brokerage;
  logger: Logger;
  firstOrderId: number;
  maxMessagesPerSecond: number;
  pacingDisconnectAfter: number;
  maxAccountSummarySubscriptions: number;
  repeatStatusMessages: boolean;
  /** Interval of the periodic account / portfolio refresh (TWS: about 3 minutes); 0 disables it. */
  accountRefreshMs: number;
  timeZone: string;
}

const OPEN_STATUSES = new Set(["PendingSubmit", "PreSubmitted", "Submitted", "PendingCancel"]);
const SUPPORTED_ORDER_TYPES: Readonly<Record<string, SimOrderType>> = {
  MKT: "MKT",
  LMT: "LMT",
  STP: "STP",
  "STP LMT": "STP LMT",
  STPLMT: "STP LMT",
};
const SUPPORTED_TIFS = new Set<string>(["DAY", "GTC", "IOC", "OPG"]);
/** Orders TWS keeps but never transmits get their permIds from a range the book never reaches. */
const LOCAL_PERM_ID_START = 700_000_001;

const parseIntOr = (text: string | undefined, fallback: number): number => {
  const n = Number.parseInt(text ?? "", 10);
  return Number.isNaN(n) ? fallback : n;
};

export class TwsGateway implements TwsSessionHost {
  readonly logger: Logger;
  private readonly brokerage: Brokerage;
  private readonly book: TwsOrderBook;
  private readonly sessions = new Set<TwsSession>();
  private readonly unsubscribe: (() => void)[] = [];
  private zombie = false;
  private readonly refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TwsGatewayOptions) {
    this.logger = options.logger;
    this.brokerage = options.brokerage;
    this.book = new TwsOrderBook(options.firstOrderId, LOCAL_PERM_ID_START);
    const b = this.brokerage;
    this.unsubscribe.push(
      b.on("order", (e) => this.guard("order", () => this.onOrderEvent(e))),
      b.on("execution", (e) => this.guard("execution", () => this.onExecutionEvent(e))),
      b.on("commission", (e) => this.guard("commission", () => this.onCommissionEvent(e))),
      b.on("position", (e) => this.guard("position", () => this.onPositionEvent(e.position))),
      b.on("account", (e) => this.guard("account", () => this.onAccountEvent(e.values))),
      b.on("reset", () => this.book.resetRecords()),
    );
    if (options.accountRefreshMs > 0) {
      this.refreshTimer = setInterval(
        () => this.guard("refresh", () => this.refreshAccounts()),
        options.accountRefreshMs,
      );
      this.refreshTimer.unref();
    }
  }

  // ---- session host ----

  isZombie(): boolean {
    return this.zombie;
  }

  setZombie(enabled: boolean): void {
    this.zombie = enabled;
  }

  addSession(session: TwsSession): void {
    this.sessions.add(session);
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  liveSessions(): TwsSession[] {
    return [...this.sessions].filter((s) => s.isLive);
  }

  allSessions(): TwsSession[] {
    return [...this.sessions];
  }

  onClose(session: TwsSession): void {
    this.sessions.delete(session);
    this.logger.debug({ session: session.id, clientId: session.clientId }, "tws sim: client disconnected");
  }

  onHandshake(session: TwsSession, handshake: HandshakeInfo): void {
    if (handshake.maxVersion < SERVER_VERSION || handshake.minVersion > SERVER_VERSION) {
      // Older clients would need other field layouts; real TWS would negotiate down, this simulator cannot.
      this.logger.warn(
        { handshake },
        `tws sim: client does not speak server version ${SERVER_VERSION}, closing`,
      );
      session.destroy();
      return;
    }
    if (handshake.minVersion < MIN_CLIENT_VERSION) {
      session.destroy();
      return;
    }
    session.send([SERVER_VERSION, connectionTimeText(Date.now(), this.options.timeZone)]);
  }

  onMessage(session: TwsSession, fields: string[]): void {
    const msgId = parseIntOr(fields[0], -1);
    if (session.clientId === null) {
      if (msgId === OutMsg.START_API) this.startApi(session, fields);
      else this.logger.debug({ msgId }, "tws sim: request before startApi ignored");
      return;
    }
    if (!this.admit(session)) return;
    try {
      this.dispatch(session, msgId, fields);
    } catch (err) {
      if (!(err instanceof TwsRequestParseError)) throw err;
      this.logger.warn({ msgId, fields, reason: err.message }, "tws sim: unparsable request");
      session.sendError(NO_VALID_ID, TwsError.ERROR_READING_REQUEST, `Error reading request. ${err.message}`);
    }
  }

  /** Sends a system notice (id -1) to every client. */
  broadcastNotice(code: number): void {
    const text = NOTICE_TEXTS[code] ?? `Simulated notice ${code}`;
    for (const s of this.liveSessions()) s.sendError(NO_VALID_ID, code, text);
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  // ---- connection startup, pacing ----

  private startApi(session: TwsSession, fields: string[]): void {
    const clientId = parseIntOr(fields[2], 0);
    const clash = this.liveSessions().some((s) => s !== session && s.clientId === clientId);
    if (clash) {
      session.sendError(
        NO_VALID_ID,
        TwsError.CLIENT_ID_IN_USE,
        "Unable to connect as the client id is already in use. Retry with a unique client id.",
      );
      session.close();
      return;
    }
    session.clientId = clientId;
    this.logger.debug({ session: session.id, clientId }, "tws sim: client started");
    session.send(enc.managedAccounts(this.brokerage.accounts()));
    session.send(enc.nextValidId(this.book.issueNextValidId(clientId)));
    for (const code of [TwsError.MARKET_DATA_FARM_OK, TwsError.HMDS_FARM_OK, TwsError.SECDEF_FARM_OK]) {
      session.sendError(NO_VALID_ID, code, NOTICE_TEXTS[code] ?? "");
    }
  }

  /**
   * TWS accepts at most 50 messages per second from a client: beyond that it answers error 100 and drops the
   * excess; a client that keeps flooding is disconnected.
   */
  private admit(session: TwsSession): boolean {
    const now = Date.now();
    if (now - session.pacingWindowStart >= 1000) {
      session.pacingWindowStart = now;
      session.pacingCount = 0;
      session.pacingWarned = false;
    }
    session.pacingCount += 1;
    const excess = session.pacingCount - this.options.maxMessagesPerSecond;
    if (excess <= 0) return true;
    if (!session.pacingWarned) {
      session.pacingWarned = true;
      session.sendError(
        NO_VALID_ID,
        TwsError.MAX_RATE_EXCEEDED,
        "Max rate of messages per second has been exceeded.",
      );
    }
    if (excess > this.options.pacingDisconnectAfter) {
      this.logger.warn(
        { clientId: session.clientId },
        "tws sim: client keeps exceeding the message rate, dropping it",
      );
      session.close();
    }
    return false;
  }

  private dispatch(session: TwsSession, msgId: number, fields: string[]): void {
    switch (msgId) {
      case OutMsg.PLACE_ORDER:
        return this.placeOrder(session, fields);
      case OutMsg.CANCEL_ORDER:
        return this.cancelOrder(session, fields);
      case OutMsg.REQ_OPEN_ORDERS:
        return this.sendOpenOrders(session, (o) => this.ownedBy(o, session), true);
      case OutMsg.REQ_ALL_OPEN_ORDERS:
        return this.sendOpenOrders(session, () => true);
      case OutMsg.REQ_AUTO_OPEN_ORDERS:
        return this.reqAutoOpenOrders(session, fields);
      case OutMsg.REQ_ACCOUNT_DATA:
        return this.reqAccountUpdates(session, fields);
      case OutMsg.REQ_EXECUTIONS:
        return this.reqExecutions(session, fields);
      case OutMsg.REQ_IDS:
        return session.send(enc.nextValidId(this.book.issueNextValidId(session.clientId ?? 0)));
      case OutMsg.REQ_CONTRACT_DATA:
        return this.reqContractDetails(session, fields);
      case OutMsg.REQ_MANAGED_ACCTS:
        return session.send(enc.managedAccounts(this.brokerage.accounts()));
      case OutMsg.REQ_CURRENT_TIME:
        return session.send(enc.currentTime(Math.floor(Date.now() / 1000)));
      case OutMsg.REQ_GLOBAL_CANCEL:
        return this.globalCancel();
      case OutMsg.REQ_POSITIONS:
        return this.reqPositions(session);
      case OutMsg.CANCEL_POSITIONS:
        session.subscriptions.positions = false;
        return;
      case OutMsg.REQ_ACCOUNT_SUMMARY:
        return this.reqAccountSummary(session, fields);
      case OutMsg.CANCEL_ACCOUNT_SUMMARY:
        session.subscriptions.accountSummaries.delete(new FieldCursor(fields, 2).intOr(0, "reqId"));
        return;
      case OutMsg.REQ_COMPLETED_ORDERS:
        return this.reqCompletedOrders(session, fields);
      case OutMsg.REQ_MKT_DATA:
        // No market data in the simulator; answer so that the request does not hang.
        return session.sendError(
          new FieldCursor(fields, 2).intOr(NO_VALID_ID, "tickerId"),
          354,
          "Requested market data is not subscribed.",
        );
      case OutMsg.SET_SERVER_LOGLEVEL:
      case OutMsg.REQ_MARKET_DATA_TYPE:
      case OutMsg.CANCEL_MKT_DATA:
        return;
      default:
        this.logger.debug({ msgId, fieldCount: fields.length }, "tws sim: unsupported request ignored");
    }
  }

  // ---- orders ----

  private placeOrder(session: TwsSession, fields: string[]): void {
    const clientId = session.clientId ?? 0;
    let parsed: ParsedPlaceOrder;
    try {
      parsed = parsePlaceOrder(fields);
    } catch (err) {
      if (!(err instanceof TwsRequestParseError)) throw err;
      const id = parseIntOr(fields[1], NO_VALID_ID);
      this.logger.warn({ reason: err.message, fields }, "tws sim: placeOrder does not parse");
      session.sendError(id, TwsError.ERROR_READING_REQUEST, `Error reading request. ${err.message}`);
      return;
    }
    const { orderId } = parsed;
    const held = this.book.heldOrder(clientId, orderId);
    if (held) return this.updateHeld(session, held, parsed);
    const existing = this.brokerage.findOrderByTwsId(clientId, orderId);
    if (existing) return this.modifyOrder(session, existing, parsed);
    if (this.book.isUsed(clientId, orderId)) {
      session.sendError(orderId, TwsError.DUPLICATE_ORDER_ID, "Duplicate order id");
      return;
    }
    this.book.noteUsed(clientId, orderId);
    const instrument = this.resolveOrderContract(session, parsed);
    if (!instrument) return;
    if (!this.checkSupported(session, parsed)) return;
    if (parsed.order.whatIf) return this.whatIf(session, parsed, instrument);
    if (parsed.order.transmit !== true) {
      const h: HeldOrder = { ...parsed, clientId, permId: this.book.allocateLocalPermId(), instrument };
      this.book.hold(h);
      const view = this.book.viewOfHeld(h);
      session.send(enc.openOrder(view));
      session.send(enc.orderStatus(view));
      return;
    }
    this.submit(session, parsed, instrument);
  }

  private resolveOrderContract(session: TwsSession, parsed: ParsedPlaceOrder): SimInstrument | undefined {
    const c = parsed.contract;
    const matches = matchContracts(this.brokerage.instruments(), { ...c });
    if (matches.length === 1) return matches[0];
    const text =
      matches.length === 0
        ? "No security definition has been found for the request"
        : `The contract description specified for ${c.symbol} is ambiguous.`;
    session.sendError(parsed.orderId, TwsError.NO_SECURITY_DEFINITION, text);
    return undefined;
  }

  private checkSupported(session: TwsSession, parsed: ParsedPlaceOrder): boolean {
    const o = parsed.order;
    let reason: string | undefined;
    if (!SUPPORTED_ORDER_TYPES[o.orderType.toUpperCase()]) {
      reason = `The simulated gateway supports MKT, LMT, STP and STP LMT orders, not ${o.orderType || "(empty)"}.`;
    } else if (o.tif !== "" && !SUPPORTED_TIFS.has(o.tif.toUpperCase())) {
      reason = `Time in force ${o.tif} is not supported by the simulated gateway.`;
    } else if (o.action !== "BUY" && o.action !== "SELL" && o.action !== "SSHORT") {
      reason = `Invalid action ${o.action || "(empty)"}.`;
    } else if (parsed.contract.secType.toUpperCase() === "BAG") {
      reason = "Combination orders are not supported by the simulated gateway.";
    }
    if (reason === undefined) return true;
    session.sendError(parsed.orderId, TwsError.ORDER_REJECTED, `Order rejected - reason:${reason}`);
    return false;
  }

  private account(requested: string): string {
    return requested.trim() || this.brokerage.accounts()[0] || "";
  }

  private submit(session: TwsSession, parsed: ParsedPlaceOrder, instrument: SimInstrument): void {
    const clientId = session.clientId ?? 0;
    const o = parsed.order;
    const result = this.brokerage.placeOrder({
      account: this.account(o.account),
      contract: { conid: instrument.conid },
      side: o.action === "BUY" ? "BUY" : "SELL",
      orderType: SUPPORTED_ORDER_TYPES[o.orderType.toUpperCase()] ?? "MKT",
      quantity: o.totalQuantity ?? 0,
      limitPrice: o.lmtPrice ?? null,
      stopPrice: o.auxPrice ?? null,
      tif: (o.tif.toUpperCase() || "DAY") as SimTimeInForce,
      orderRef: o.orderRef === "" ? null : o.orderRef,
      api: "TWS",
      twsClientId: clientId,
      twsOrderId: parsed.orderId,
      outsideRth: o.outsideRth,
    });
    if (result.order) {
      this.book.register(result.order.permId, {
        clientId,
        orderId: parsed.orderId,
        contract: parsed.contract,
        order: o,
      });
    }
    if (result.reject) this.sendReject(session, parsed.orderId, result.reject);
  }

  private sendReject(session: TwsSession, orderId: number, reject: SimReject): void {
    switch (reject.code) {
      case "UNKNOWN_CONTRACT":
        return session.sendError(
          orderId,
          TwsError.NO_SECURITY_DEFINITION,
          "No security definition has been found for the request",
        );
      case "BAD_PRICE":
        if (/minimum price variation/i.test(reject.reason)) {
          return session.sendError(
            orderId,
            110,
            "The price does not conform to the minimum price variation for this contract.",
          );
        }
        break;
      case "DUPLICATE_ORDER_REF":
        return session.sendError(orderId, TwsError.DUPLICATE_ORDER_ID, "Duplicate order id");
      default:
        break;
    }
    session.sendError(orderId, TwsError.ORDER_REJECTED, `Order rejected - reason:${reject.reason}`);
  }

  private modifyOrder(session: TwsSession, sim: SimOrder, parsed: ParsedPlaceOrder): void {
    const orderId = parsed.orderId;
    if (!OPEN_STATUSES.has(sim.status)) {
      if (sim.status === "Filled") session.sendError(orderId, 104, "Can't modify a filled order.");
      else session.sendError(orderId, TwsError.DUPLICATE_ORDER_ID, "Duplicate order id");
      return;
    }
    const o = parsed.order;
    const side = o.action === "BUY" ? "BUY" : "SELL";
    const type = SUPPORTED_ORDER_TYPES[o.orderType.toUpperCase()];
    const instrument = matchContracts(this.brokerage.instruments(), { ...parsed.contract });
    const sameContract = instrument.length === 1 && instrument[0]?.conid === sim.instrument.conid;
    const sameAccount = o.account.trim() === "" || o.account.trim() === sim.account;
    if (side !== sim.side || type !== sim.orderType || !sameContract || !sameAccount) {
      session.sendError(orderId, 105, "Order being modified does not match original order.");
      return;
    }
    if (o.tif !== "" && !SUPPORTED_TIFS.has(o.tif.toUpperCase())) {
      session.sendError(
        orderId,
        TwsError.ORDER_REJECTED,
        `Order rejected - reason:Time in force ${o.tif} is not supported.`,
      );
      return;
    }
    const result = this.brokerage.modifyOrder(sim.permId, {
      quantity: o.totalQuantity,
      limitPrice: type === "LMT" || type === "STP LMT" ? (o.lmtPrice ?? null) : undefined,
      stopPrice: type === "STP" || type === "STP LMT" ? (o.auxPrice ?? null) : undefined,
      tif: o.tif === "" ? undefined : (o.tif.toUpperCase() as SimTimeInForce),
    });
    if (result.reject) {
      this.sendReject(session, orderId, result.reject);
      return;
    }
    this.book.register(sim.permId, {
      clientId: session.clientId ?? 0,
      orderId,
      contract: parsed.contract,
      order: o,
    });
  }

  private updateHeld(session: TwsSession, held: HeldOrder, parsed: ParsedPlaceOrder): void {
    const instrument = this.resolveOrderContract(session, parsed);
    if (!instrument || !this.checkSupported(session, parsed)) return;
    if (parsed.order.transmit === true) {
      this.book.release(held.clientId, held.orderId);
      this.submit(session, parsed, instrument);
      return;
    }
    const updated: HeldOrder = { ...held, contract: parsed.contract, order: parsed.order, instrument };
    this.book.hold(updated);
    const view = this.book.viewOfHeld(updated);
    session.send(enc.openOrder(view));
    session.send(enc.orderStatus(view));
  }

  /** A what-if order is only a margin preview: one openOrder with the margin impact, nothing is placed. */
  private whatIf(session: TwsSession, parsed: ParsedPlaceOrder, instrument: SimInstrument): void {
    const account = this.account(parsed.order.account);
    if (!this.brokerage.hasAccount(account)) {
      session.sendError(
        parsed.orderId,
        TwsError.ORDER_REJECTED,
        `Order rejected - reason:Unknown account ${account}.`,
      );
      return;
    }
    const before = this.brokerage.accountValues(account);
    const qty = parsed.order.totalQuantity ?? 0;
    const price =
      parsed.order.lmtPrice ?? this.brokerage.quote(instrument.conid)?.last ?? instrument.initialPrice;
    const margin =
      instrument.secType === "FUT"
        ? qty * (instrument.initialMarginPerContract ?? price * instrument.multiplier * 0.1)
        : qty * price * instrument.multiplier;
    const commission = instrument.secType === "STK" ? Math.max(1, 0.005 * qty) : 2;
    const view = {
      ...this.book.viewOfHeld({
        ...parsed,
        clientId: session.clientId ?? 0,
        permId: this.book.allocateLocalPermId(),
        instrument,
      }),
      commission,
      commissionCurrency: instrument.currency,
      margin: {
        initMarginBefore: before.initMarginReq,
        maintMarginBefore: before.maintMarginReq,
        equityWithLoanBefore: before.equityWithLoanValue,
        initMarginChange: margin,
        maintMarginChange: margin,
        equityWithLoanChange: -commission,
        initMarginAfter: before.initMarginReq + margin,
        maintMarginAfter: before.maintMarginReq + margin,
        equityWithLoanAfter: before.equityWithLoanValue - commission,
      },
    };
    session.send(enc.openOrder(view));
  }

  private cancelOrder(session: TwsSession, fields: string[]): void {
    const orderId = new FieldCursor(fields, 1).int("orderId");
    if (orderId === undefined) throw new TwsRequestParseError("cancelOrder without an order id");
    const clientId = session.clientId ?? 0;
    const held = this.book.heldOrder(clientId, orderId);
    if (held) {
      this.book.release(clientId, orderId);
      const view = { ...this.book.viewOfHeld(held), status: "Cancelled" };
      session.send(enc.orderStatus(view));
      session.sendError(orderId, TwsError.ORDER_CANCELLED, "Order Canceled - reason:");
      return;
    }
    const sim = this.brokerage.findOrderByTwsId(clientId, orderId);
    if (!sim) {
      session.sendError(
        orderId,
        TwsError.CANCEL_NOT_FOUND,
        `OrderId ${orderId} that needs to be cancelled is not found.`,
      );
      return;
    }
    if (sim.status === "PendingCancel") return;
    if (!OPEN_STATUSES.has(sim.status)) {
      session.sendError(
        orderId,
        TwsError.CANCEL_NOT_POSSIBLE,
        `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${sim.status}.`,
      );
      return;
    }
    this.brokerage.cancelOrder(sim.permId);
  }

  private globalCancel(): void {
    this.brokerage.cancelAll();
    for (const h of this.book.heldOrders()) {
      this.book.release(h.clientId, h.orderId);
      const owner = this.ownerSession(h.clientId);
      if (!owner) continue;
      owner.send(enc.orderStatus({ ...this.book.viewOfHeld(h), status: "Cancelled" }));
      owner.sendError(h.orderId, TwsError.ORDER_CANCELLED, "Order Canceled - reason:");
    }
  }

  // ---- open orders, completed orders, executions ----

  /** reqOpenOrders: a client's own API orders; client id 0 also binds orders from elsewhere (Client Portal). */
  private ownedBy(o: SimOrder, session: TwsSession): boolean {
    if (o.api === "TWS" && o.twsClientId !== null) return o.twsClientId === session.clientId;
    return session.clientId === 0;
  }

  private sendOpenOrders(session: TwsSession, include: (o: SimOrder) => boolean, ownHeldOnly = false): void {
    const orders = this.brokerage
      .listOrders({ includeTerminal: false })
      .filter((o) => OPEN_STATUSES.has(o.status));
    for (const o of orders.filter(include)) {
      const view = this.book.viewOf(o);
      session.send(enc.openOrder(view));
      session.send(enc.orderStatus(view));
    }
    const held = ownHeldOnly ? this.book.heldOrders(session.clientId ?? 0) : this.book.heldOrders();
    for (const h of held) {
      const view = this.book.viewOfHeld(h);
      session.send(enc.openOrder(view));
      session.send(enc.orderStatus(view));
    }
    session.send(enc.openOrderEnd());
  }

  private reqAutoOpenOrders(session: TwsSession, _fields: string[]): void {
    if (session.clientId !== 0) {
      session.sendError(
        NO_VALID_ID,
        TwsError.ERROR_VALIDATING_REQUEST,
        "Error validating request.-'reqAutoOpenOrders' : cause - this request is only available for client id 0",
      );
      return;
    }
    session.subscriptions.autoOpenOrders = true;
    this.sendOpenOrders(session, () => true);
  }

  private reqCompletedOrders(session: TwsSession, fields: string[]): void {
    const apiOnly = new FieldCursor(fields, 1).bool("apiOnly");
    const done = this.brokerage
      .listOrders()
      .filter((o) => !OPEN_STATUSES.has(o.status) && o.status !== "PendingSubmit")
      .filter((o) => !apiOnly || o.api === "TWS");
    for (const o of done) {
      const view = this.book.viewOf(o);
      view.completedTime = tradeTimeText(o.updatedAt, this.options.timeZone);
      view.completedStatus =
        o.status === "Filled"
          ? "Filled"
          : o.status === "Cancelled"
            ? (o.statusMessage ?? "Cancelled by Trader")
            : (o.statusMessage ?? o.status);
      session.send(enc.completedOrder(view));
    }
    session.send(enc.completedOrdersEnd());
  }

  private reqExecutions(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const reqId = c.intOr(0, "reqId");
    const filterClientId = c.int("filter.clientId");
    const acctCode = c.str().trim();
    const sinceMs = parseFilterTime(c.str(), this.options.timeZone);
    const symbol = c.str().trim().toUpperCase();
    const secType = c.str().trim().toUpperCase();
    const exchange = c.str().trim().toUpperCase();
    const side = c.str().trim().toUpperCase();
    const executions = this.brokerage.executions({ account: acctCode || undefined, sinceMs }).filter((e) => {
      const execClient = e.api === "TWS" ? (e.twsClientId ?? 0) : 0;
      // A client sees its own executions; client id 0 (the master client) sees all of them.
      if (session.clientId !== 0 && (e.api !== "TWS" || execClient !== session.clientId)) return false;
      if (filterClientId !== undefined && filterClientId !== 0 && execClient !== filterClientId) return false;
      if (symbol && e.instrument.symbol !== symbol) return false;
      if (secType && e.instrument.secType !== secType) return false;
      if (exchange && exchange !== "SMART" && e.instrument.exchange !== exchange) return false;
      if (side && !((side === "BUY" || side === "BOT") === (e.side === "BUY"))) return false;
      return true;
    });
    for (const e of executions) {
      session.send(enc.execDetails(this.executionView(e, reqId)));
      session.send(enc.commissionReport(this.commissionView(e.commission)));
    }
    session.send(enc.execDetailsEnd(reqId));
  }

  private executionView(
    e: SimBrokerageEvents["execution"]["execution"],
    reqId: number,
  ): enc.TwsExecutionView {
    const placedByTws = e.api === "TWS" && e.twsClientId !== null;
    return {
      reqId,
      orderId: placedByTws ? (e.twsOrderId ?? 0) : 0,
      clientId: placedByTws ? (e.twsClientId ?? 0) : 0,
      permId: e.permId,
      contract: reportedContract(e.instrument),
      execId: e.execId,
      time: tradeTimeText(e.time, this.options.timeZone),
      account: e.account,
      exchange: e.instrument.exchange,
      side: e.side === "BUY" ? "BOT" : "SLD",
      shares: e.quantity,
      price: e.price,
      cumQty: e.cumQty,
      avgPrice: e.avgPrice,
      orderRef: e.orderRef ?? "",
      lastLiquidity: 2,
    };
  }

  private commissionView(r: SimBrokerageEvents["commission"]["report"]): enc.TwsCommissionView {
    return {
      execId: r.execId,
      commission: r.commission,
      currency: r.currency,
      realizedPnl: r.realizedPnl ?? undefined,
    };
  }

  // ---- contract details ----

  private reqContractDetails(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const reqId = c.intOr(0, "reqId");
    const conId = c.int("conId");
    const symbol = c.str();
    const secType = c.str();
    const lastTradeDateOrContractMonth = c.str();
    c.num("strike");
    c.str("right");
    c.str("multiplier");
    const exchange = c.str();
    c.str("primaryExch");
    const currency = c.str();
    const localSymbol = c.str();
    const matches = matchContracts(this.brokerage.instruments(), {
      conId,
      symbol,
      secType,
      exchange,
      currency,
      localSymbol,
      lastTradeDateOrContractMonth,
    });
    if (matches.length === 0) {
      session.sendError(
        reqId,
        TwsError.NO_SECURITY_DEFINITION,
        "No security definition has been found for the request",
      );
      return;
    }
    const today = tradeTimeText(Date.now(), this.options.timeZone).slice(0, 8);
    for (const i of matches)
      session.send(enc.contractDetails(reqId, contractDetailsView(i, exchange, today)));
    session.send(enc.contractDetailsEnd(reqId));
  }

  // ---- positions and accounts ----

  private reqPositions(session: TwsSession): void {
    session.subscriptions.positions = true;
    for (const p of this.brokerage.positions()) session.send(enc.position(positionView(p)));
    session.send(enc.positionEnd());
  }

  private reqAccountSummary(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const reqId = c.intOr(0, "reqId");
    const group = c.str("group");
    const tags = c.str("tags");
    const subs = session.subscriptions.accountSummaries;
    if (!subs.has(reqId) && subs.size >= this.options.maxAccountSummarySubscriptions) {
      session.sendError(
        reqId,
        TwsError.MAX_ACCOUNT_SUMMARY_REQUESTS,
        "Maximum number of account summary requests exceeded",
      );
      return;
    }
    const sub = { group, tags, sent: new Map<string, string>() };
    subs.set(reqId, sub);
    for (const account of this.brokerage.accounts()) {
      const values = this.brokerage.accountValues(account);
      for (const row of accountSummaryRows(values, tags)) {
        sub.sent.set(`${account}|${row.key}|${row.currency}`, row.value);
        session.send(enc.accountSummary(reqId, account, row.key, row.value, row.currency));
      }
    }
    session.send(enc.accountSummaryEnd(reqId));
  }

  private reqAccountUpdates(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const subscribe = c.bool("subscribe");
    const requested = c.remaining() > 0 ? c.str("account").trim() : "";
    if (!subscribe) {
      session.subscriptions.accountUpdates = null;
      return;
    }
    const account = this.account(requested);
    if (!this.brokerage.hasAccount(account)) {
      session.sendError(
        NO_VALID_ID,
        TwsError.ERROR_VALIDATING_REQUEST,
        `Error validating request: unknown account ${account}`,
      );
      return;
    }
    const sub: AccountUpdatesSubscription = { account, sent: new Map(), portfolio: new Map() };
    session.subscriptions.accountUpdates = sub;
    this.sendAccountValues(session, sub, this.brokerage.accountValues(account), true);
    for (const p of this.brokerage.positions(account)) this.sendPortfolio(session, sub, p, true);
    session.send(enc.accountUpdateTime(accountTimeText(Date.now(), this.options.timeZone)));
    session.send(enc.accountDownloadEnd(account));
  }

  private sendPortfolio(
    session: TwsSession,
    sub: AccountUpdatesSubscription,
    p: SimPosition,
    always: boolean,
  ): boolean {
    const fingerprint = `${p.quantity}|${p.marketPrice}|${p.avgCost}`;
    if (!always && sub.portfolio.get(p.instrument.conid) === fingerprint) return false;
    sub.portfolio.set(p.instrument.conid, fingerprint);
    session.send(enc.portfolioValue(portfolioView(p)));
    return true;
  }

  private sendAccountValues(
    session: TwsSession,
    sub: AccountUpdatesSubscription,
    values: SimAccountValues,
    all: boolean,
  ): boolean {
    let changed = false;
    for (const row of accountUpdateRows(values)) {
      const k = `${row.key}|${row.currency}`;
      if (!all && sub.sent.get(k) === row.value) continue;
      sub.sent.set(k, row.value);
      changed = true;
      session.send(enc.accountValue(row.key, row.value, row.currency, sub.account));
    }
    return changed;
  }

  // ---- pushes from the book ----

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err, event: what }, "tws sim: failed to relay a brokerage event");
    }
  }

  private ownerSession(clientId: number | null): TwsSession | undefined {
    if (clientId === null) return undefined;
    return this.liveSessions().find((s) => s.clientId === clientId);
  }

  private orderOwner(o: { api: string; twsClientId: number | null }): TwsSession | undefined {
    return o.api === "TWS" ? this.ownerSession(o.twsClientId) : undefined;
  }

  private watchers(owner: TwsSession | undefined): TwsSession[] {
    return this.liveSessions().filter((s) => s.subscriptions.autoOpenOrders && s !== owner);
  }

  private onOrderEvent({ order, change }: SimBrokerageEvents["order"]): void {
    const owner = this.orderOwner(order);
    const recipients = owner ? [owner, ...this.watchers(owner)] : this.watchers(owner);
    if (recipients.length === 0) return;
    const view = this.book.viewOf(order);
    const frames: WireField[][] = [];
    switch (change) {
      case "new":
      case "pendingCancel":
        // PendingSubmit / PendingCancel are never sent by TWS: the client learns of the acknowledgement
        // (PreSubmitted / Submitted) and of the cancellation (Cancelled).
        break;
      case "acknowledged":
      case "triggered":
      case "modified":
      case "rejected":
        frames.push(enc.openOrder(view), enc.orderStatus(view));
        break;
      case "fill":
        frames.push(enc.openOrder(view), enc.orderStatus(view));
        if (order.status === "Filled" && this.options.repeatStatusMessages) {
          // Real TWS repeats the Filled pair, the second openOrder carrying the commission.
          const withCommission = {
            ...view,
            commission: order.commission,
            commissionCurrency: order.instrument.currency,
          };
          frames.push(enc.openOrder(withCommission), enc.orderStatus(view));
        }
        break;
      case "cancelled":
        frames.push(enc.orderStatus(view));
        break;
    }
    for (const s of recipients) for (const f of frames) s.send(f);
    if (change === "cancelled" && owner) {
      owner.sendError(
        view.orderId,
        TwsError.ORDER_CANCELLED,
        `Order Canceled - reason:${order.statusMessage ?? ""}`,
      );
    }
  }

  private onExecutionEvent({ execution }: SimBrokerageEvents["execution"]): void {
    this.orderOwner(execution)?.send(enc.execDetails(this.executionView(execution, -1)));
  }

  private onCommissionEvent({ report, execution }: SimBrokerageEvents["commission"]): void {
    this.orderOwner(execution)?.send(enc.commissionReport(this.commissionView(report)));
  }

  private onPositionEvent(position: SimPosition): void {
    for (const s of this.liveSessions()) {
      if (s.subscriptions.positions) s.send(enc.position(positionView(position)));
      const updates = s.subscriptions.accountUpdates;
      if (updates?.account === position.account) this.sendPortfolio(s, updates, position, true);
    }
  }

  private onAccountEvent(values: SimAccountValues): void {
    for (const s of this.liveSessions()) {
      for (const [reqId, sub] of s.subscriptions.accountSummaries) {
        for (const row of accountSummaryRows(values, sub.tags))
          this.pushSummaryRow(s, reqId, sub.sent, values.account, row);
      }
      const updates = s.subscriptions.accountUpdates;
      if (updates?.account === values.account && this.sendAccountValues(s, updates, values, false)) {
        s.send(enc.accountUpdateTime(accountTimeText(Date.now(), this.options.timeZone)));
      }
    }
  }

  /** What TWS does every few minutes: re-sends account values and portfolio rows that moved with prices. */
  private refreshAccounts(): void {
    const sessions = this.liveSessions().filter(
      (s) => s.subscriptions.accountSummaries.size > 0 || s.subscriptions.accountUpdates !== null,
    );
    if (sessions.length === 0) return;
    const values = new Map(this.brokerage.accounts().map((a) => [a, this.brokerage.accountValues(a)]));
    for (const s of sessions) {
      for (const [reqId, sub] of s.subscriptions.accountSummaries) {
        for (const v of values.values()) {
          for (const row of accountSummaryRows(v, sub.tags))
            this.pushSummaryRow(s, reqId, sub.sent, v.account, row);
        }
      }
      const updates = s.subscriptions.accountUpdates;
      const v = updates ? values.get(updates.account) : undefined;
      if (!updates || !v) continue;
      let changed = this.sendAccountValues(s, updates, v, false);
      for (const p of this.brokerage.positions(updates.account))
        changed = this.sendPortfolio(s, updates, p, false) || changed;
      if (changed) s.send(enc.accountUpdateTime(accountTimeText(Date.now(), this.options.timeZone)));
    }
  }

  private pushSummaryRow(
    s: TwsSession,
    reqId: number,
    sent: Map<string, string>,
    account: string,
    row: AccountRow,
  ): void {
    const k = `${account}|${row.key}|${row.currency}`;
    if (sent.get(k) === row.value) return;
    sent.set(k, row.value);
    s.send(enc.accountSummary(reqId, account, row.key, row.value, row.currency));
  }
}
