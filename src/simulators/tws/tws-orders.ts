/**
 * Order requests of a TWS client: placeOrder (new, modification, held and what-if), cancelOrder, reqGlobalCancel,
 * open / completed orders and executions, and the order, execution and commission pushes from the brokerage.
 */
import type {
  Brokerage,
  SimBrokerageEvents,
  SimInstrument,
  SimOrder,
  SimOrderType,
  SimReject,
  SimTimeInForce,
} from "../brokerage";
import type { WireField } from "./tws-codec";
import * as enc from "./tws-encoders";
import { FieldCursor, TwsRequestParseError } from "./field-cursor";
import { parsePlaceOrder } from "./place-order-parser";
import { parseIntOr, type TwsGatewayOptions, type TwsHandlerContext } from "./tws-handler-context";
import type { HeldOrder, TwsOrderBook } from "./tws-order-book";
import type { ParsedPlaceOrder } from "./tws-order-fields";
import { NO_VALID_ID, TwsError } from "./tws-protocol";
import type { TwsSession } from "./tws-session";
import { parseFilterTime, tradeTimeText } from "./tws-time";
import { ServerVersion } from "./tws-versions";
import { matchContracts, reportedContract } from "./tws-views";

const OPEN_STATUSES = new Set(["PendingSubmit", "PreSubmitted", "Submitted", "PendingCancel"]);
const SUPPORTED_ORDER_TYPES: Readonly<Record<string, SimOrderType>> = {
  MKT: "MKT",
  LMT: "LMT",
  STP: "STP",
  "STP LMT": "STP LMT",
  STPLMT: "STP LMT",
  TRAIL: "TRAIL",
  "TRAIL LIMIT": "TRAIL LIMIT",
  MOC: "MOC",
  LOC: "LOC",
  MIT: "MIT",
  LIT: "LIT",
  MIDPRICE: "MIDPRICE",
};
const SUPPORTED_TIFS = new Set<string>(["DAY", "GTC", "IOC", "OPG", "GTD", "FOK"]);
const TRAILING = new Set<SimOrderType>(["TRAIL", "TRAIL LIMIT"]);
const TOUCHED = new Set<SimOrderType>(["MIT", "LIT"]);

export class TwsOrderHandlers {
  private readonly brokerage: Brokerage;
  private readonly book: TwsOrderBook;
  private readonly options: TwsGatewayOptions;

  constructor(private readonly ctx: TwsHandlerContext) {
    this.brokerage = ctx.options.brokerage;
    this.book = ctx.book;
    this.options = ctx.options;
  }

  private liveSessions(): TwsSession[] {
    return this.ctx.liveSessions();
  }

  placeOrder(session: TwsSession, fields: string[]): void {
    const clientId = session.clientId ?? 0;
    let parsed: ParsedPlaceOrder;
    try {
      parsed = parsePlaceOrder(fields, session.serverVersion);
    } catch (err) {
      if (!(err instanceof TwsRequestParseError)) throw err;
      const id = parseIntOr(fields[1], NO_VALID_ID);
      this.options.logger.warn({ reason: err.message, fields }, "tws sim: placeOrder does not parse");
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
    if (parsed.contract.secType.toUpperCase() === "BAG") return this.placeCombo(session, parsed);
    const instrument = this.resolveOrderContract(session, parsed);
    if (!instrument) return;
    if (!this.checkSupported(session, parsed)) return;
    if (parsed.order.whatIf) return this.whatIf(session, parsed, instrument);
    if (parsed.order.transmit !== true) {
      // Real TWS keeps an untransmitted order to itself: no openOrder, status or error reaches the API
      // until an order with transmit set sends it (captures in tws-protocol-derivatives.md §8.3).
      const h: HeldOrder = { ...parsed, clientId, permId: this.book.allocateLocalPermId(), instrument };
      this.book.hold(h);
      return;
    }
    this.transmitGroup(session, parsed);
    this.submit(session, parsed, instrument);
  }

  /**
   * The transmitting order of a bracket sends the whole group: its held parent first, then the parent's other
   * held children, in id order, so each child finds its parent in the book.
   */
  private transmitGroup(session: TwsSession, parsed: ParsedPlaceOrder): void {
    const clientId = session.clientId ?? 0;
    const parentId = parsed.order.parentId;
    if (!(parentId > 0)) return;
    const parent = this.book.heldOrder(clientId, parentId);
    if (parent) {
      this.book.release(clientId, parentId);
      this.submit(session, parent, parent.instrument);
    }
    const siblings = this.book
      .heldOrders(clientId)
      .filter((h) => h.order.parentId === parentId && h.orderId !== parsed.orderId)
      .sort((a, b) => a.orderId - b.orderId);
    for (const h of siblings) {
      this.book.release(clientId, h.orderId);
      this.submit(session, h, h.instrument);
    }
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
      reason = `The simulated gateway supports ${Object.keys(SUPPORTED_ORDER_TYPES).join(", ")} orders, not ${o.orderType || "(empty)"}.`;
    } else if (o.tif !== "" && !SUPPORTED_TIFS.has(o.tif.toUpperCase())) {
      reason = `Time in force ${o.tif} is not supported by the simulated gateway.`;
    } else if (o.action !== "BUY" && o.action !== "SELL" && o.action !== "SSHORT") {
      reason = `Invalid action ${o.action || "(empty)"}.`;
    }
    if (reason === undefined) return true;
    session.sendError(parsed.orderId, TwsError.ORDER_REJECTED, `Order rejected - reason:${reason}`);
    return false;
  }

  /**
   * A combo (BAG): its legs go to the book, which fills them together at the net price. IB's answers: no what-if
   * for smart combos (360), no legs (321), a leg it does not list (200), a leg routed elsewhere (313).
   */
  private placeCombo(session: TwsSession, parsed: ParsedPlaceOrder): void {
    const clientId = session.clientId ?? 0;
    const o = parsed.order;
    if (!this.checkSupported(session, parsed)) return;
    if (o.whatIf) {
      session.sendError(parsed.orderId, 360, "No whatif check support for smart combo order.");
      return;
    }
    const result = this.brokerage.placeOrder({
      account: this.account(o.account),
      contract: { exchange: parsed.contract.exchange },
      legs: parsed.contract.comboLegs.map((l) => ({
        conid: l.conId,
        ratio: l.ratio,
        side: l.action === "BUY" ? "BUY" : "SELL",
        exchange: l.exchange,
      })),
      side: o.action === "BUY" ? "BUY" : "SELL",
      orderType: SUPPORTED_ORDER_TYPES[o.orderType.toUpperCase()] ?? "MKT",
      quantity: o.totalQuantity ?? 0,
      limitPrice: o.lmtPrice ?? null,
      tif: (o.tif.toUpperCase() || "DAY") as SimTimeInForce,
      orderRef: o.orderRef === "" ? null : o.orderRef,
      api: "TWS",
      twsClientId: clientId,
      twsOrderId: parsed.orderId,
      outsideRth: o.outsideRth,
    });
    this.booked(session, parsed, clientId, result);
  }

  private account(requested: string): string {
    return requested.trim() || this.brokerage.accounts()[0] || "";
  }

  private submit(session: TwsSession, parsed: ParsedPlaceOrder, instrument: SimInstrument): void {
    const clientId = session.clientId ?? 0;
    const o = parsed.order;
    const type = SUPPORTED_ORDER_TYPES[o.orderType.toUpperCase()] ?? "MKT";
    const trailing = TRAILING.has(type);
    // IB's field use per type: auxPrice is the stop, the trailing amount, or the touch price.
    const percent = trailing && o.trailingPercent != null && o.trailingPercent > 0 ? o.trailingPercent : null;
    const parent = o.parentId > 0 ? this.brokerage.findOrderByTwsId(clientId, o.parentId) : undefined;
    if (o.parentId > 0 && !parent) {
      session.sendError(parsed.orderId, 10006, "Missing parent order.");
      return;
    }
    const result = this.brokerage.placeOrder({
      account: this.account(o.account),
      contract: { conid: instrument.conid },
      side: o.action === "BUY" ? "BUY" : "SELL",
      orderType: type,
      quantity: o.totalQuantity ?? 0,
      limitPrice: trailing ? null : (o.lmtPrice ?? null),
      stopPrice: type === "STP" || type === "STP LMT" ? (o.auxPrice ?? null) : null,
      tif: (o.tif.toUpperCase() || "DAY") as SimTimeInForce,
      orderRef: o.orderRef === "" ? null : o.orderRef,
      api: "TWS",
      twsClientId: clientId,
      twsOrderId: parsed.orderId,
      outsideRth: o.outsideRth,
      trailingAmount: trailing && percent == null ? (o.auxPrice ?? null) : null,
      trailingPercent: percent,
      trailStopPrice: trailing ? (o.trailStopPrice ?? null) : null,
      limitOffset: type === "TRAIL LIMIT" ? (o.lmtPriceOffset ?? 0) : null,
      triggerPrice: TOUCHED.has(type) ? (o.auxPrice ?? null) : null,
      goodTillDate: o.goodTillDate
        ? (parseGoodTillDate(o.goodTillDate, this.options.timeZone) ?? null)
        : null,
      ocaGroup: o.ocaGroup || null,
      parentPermId: parent?.permId ?? null,
    });
    this.booked(session, parsed, clientId, result);
  }

  /** A placement's outcome: the order's TWS identity kept for later echoes, or IB's rejection sent. */
  private booked(
    session: TwsSession,
    parsed: ParsedPlaceOrder,
    clientId: number,
    result: ReturnType<Brokerage["placeOrder"]>,
  ): void {
    if (result.order) {
      this.book.register(result.order.permId, {
        clientId,
        orderId: parsed.orderId,
        contract: parsed.contract,
        order: parsed.order,
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
      case "BAD_COMBO":
        if (/requires combo leg details/.test(reject.reason))
          return session.sendError(orderId, TwsError.ERROR_VALIDATING_REQUEST, reject.reason);
        if (/^Combo details for leg/.test(reject.reason))
          return session.sendError(orderId, 313, reject.reason);
        break;
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
    const instrument = sim.legs ? [] : matchContracts(this.brokerage.instruments(), { ...parsed.contract });
    // A combo is the same while its legs are (IB refuses changing them: 105).
    const sameContract = sim.legs
      ? parsed.contract.comboLegs.length === sim.legs.length &&
        sim.legs.every((l, n) => {
          const leg = parsed.contract.comboLegs[n];
          return leg?.conId === l.instrument.conid && leg.ratio === l.ratio && leg.action === l.side;
        })
      : instrument.length === 1 && instrument[0]?.conid === sim.instrument.conid;
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
      limitPrice:
        type && ["LMT", "STP LMT", "LOC", "LIT", "MIDPRICE"].includes(type)
          ? (o.lmtPrice ?? null)
          : undefined,
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
      this.transmitGroup(session, parsed);
      this.submit(session, parsed, instrument);
      return;
    }
    const updated: HeldOrder = { ...held, contract: parsed.contract, order: parsed.order, instrument };
    this.book.hold(updated);
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
    session.send(enc.openOrder(view, session.serverVersion));
  }

  cancelOrder(session: TwsSession, fields: string[]): void {
    // A version field precedes the order id until CME_TAGGING_FIELDS; what follows it is not needed here.
    const first = session.serverVersion >= ServerVersion.CME_TAGGING_FIELDS ? 1 : 2;
    const orderId = new FieldCursor(fields, first).int("orderId");
    if (orderId === undefined) throw new TwsRequestParseError("cancelOrder without an order id");
    const clientId = session.clientId ?? 0;
    const held = this.book.heldOrder(clientId, orderId);
    if (held) {
      this.book.release(clientId, orderId);
      const view = { ...this.book.viewOfHeld(held), status: "Cancelled" };
      session.send(enc.orderStatus(view, session.serverVersion));
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

  globalCancel(): void {
    this.brokerage.cancelAll();
    for (const h of this.book.heldOrders()) {
      this.book.release(h.clientId, h.orderId);
      const owner = this.ownerSession(h.clientId);
      if (!owner) continue;
      owner.send(enc.orderStatus({ ...this.book.viewOfHeld(h), status: "Cancelled" }, owner.serverVersion));
      owner.sendError(h.orderId, TwsError.ORDER_CANCELLED, "Order Canceled - reason:");
    }
  }

  /** reqOpenOrders: a client's own API orders; client id 0 also binds orders from elsewhere (Client Portal). */
  ownedBy(o: SimOrder, session: TwsSession): boolean {
    if (o.api === "TWS" && o.twsClientId !== null) return o.twsClientId === session.clientId;
    return session.clientId === 0;
  }

  sendOpenOrders(session: TwsSession, include: (o: SimOrder) => boolean, ownHeldOnly = false): void {
    const orders = this.brokerage
      .listOrders({ includeTerminal: false })
      .filter((o) => OPEN_STATUSES.has(o.status));
    for (const o of orders.filter(include)) {
      const view = this.book.viewOf(o);
      session.send(enc.openOrder(view, session.serverVersion));
      session.send(enc.orderStatus(view, session.serverVersion));
    }
    const held = ownHeldOnly ? this.book.heldOrders(session.clientId ?? 0) : this.book.heldOrders();
    for (const h of held) {
      const view = this.book.viewOfHeld(h);
      session.send(enc.openOrder(view, session.serverVersion));
      session.send(enc.orderStatus(view, session.serverVersion));
    }
    session.send(enc.openOrderEnd());
  }

  reqAutoOpenOrders(session: TwsSession): void {
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

  reqCompletedOrders(session: TwsSession, fields: string[]): void {
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
      session.send(enc.completedOrder(view, session.serverVersion));
    }
    session.send(enc.completedOrdersEnd());
  }

  reqExecutions(session: TwsSession, fields: string[]): void {
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
      session.send(enc.execDetails(this.executionView(e, reqId), session.serverVersion));
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

  ownerSession(clientId: number | null): TwsSession | undefined {
    if (clientId === null) return undefined;
    return this.liveSessions().find((s) => s.clientId === clientId);
  }

  private orderOwner(o: { api: string; twsClientId: number | null }): TwsSession | undefined {
    return o.api === "TWS" ? this.ownerSession(o.twsClientId) : undefined;
  }

  private watchers(owner: TwsSession | undefined): TwsSession[] {
    return this.liveSessions().filter((s) => s.subscriptions.autoOpenOrders && s !== owner);
  }

  onOrderEvent({ order, change }: SimBrokerageEvents["order"]): void {
    const owner = this.orderOwner(order);
    const recipients = owner ? [owner, ...this.watchers(owner)] : this.watchers(owner);
    if (recipients.length === 0) return;
    const view = this.book.viewOf(order);
    // Recipients may speak different versions: each frame is encoded per recipient.
    const frames: ((v: number) => WireField[])[] = [];
    const open = (v: number): WireField[] => enc.openOrder(view, v);
    const status = (v: number): WireField[] => enc.orderStatus(view, v);
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
        frames.push(open, status);
        break;
      case "fill":
        frames.push(open, status);
        if (order.status === "Filled" && this.options.repeatStatusMessages) {
          // Real TWS repeats the Filled pair, the second openOrder carrying the commission.
          const withCommission = {
            ...view,
            commission: order.commission,
            commissionCurrency: order.instrument.currency,
          };
          frames.push((v) => enc.openOrder(withCommission, v), status);
        }
        break;
      case "cancelled":
        frames.push(status);
        break;
    }
    for (const s of recipients) for (const f of frames) s.send(f(s.serverVersion));
    if (change === "cancelled" && owner) {
      owner.sendError(
        view.orderId,
        TwsError.ORDER_CANCELLED,
        `Order Canceled - reason:${order.statusMessage ?? ""}`,
      );
    }
  }

  onExecutionEvent({ execution, order }: SimBrokerageEvents["execution"]): void {
    const owner = this.orderOwner(execution);
    owner?.send(enc.execDetails(this.executionView(execution, -1), owner.serverVersion));
    const legs = order.legs;
    if (owner && legs && legs[legs.length - 1]?.instrument.conid === execution.instrument.conid) {
      // After a combo's leg executions, TWS reports one BAG-level execution at the net price (no commission).
      const leg = legs[legs.length - 1]!;
      const view: enc.TwsExecutionView = {
        ...this.executionView(execution, -1),
        contract: reportedContract(order.instrument, order.instrument.exchange),
        execId: execution.execId.replace(/\.[0-9a-f]{2}$/, ".00"),
        side: order.side === "BUY" ? "BOT" : "SLD",
        shares: execution.quantity / leg.ratio,
        price: order.lastFillPrice,
      };
      owner.send(enc.execDetails(view, owner.serverVersion));
    }
  }

  onCommissionEvent({ report, execution }: SimBrokerageEvents["commission"]): void {
    this.orderOwner(execution)?.send(enc.commissionReport(this.commissionView(report)));
  }
}

/**
 * goodTillDate as TWS takes it: `yyyyMMdd HH:mm:ss <zone>` (a zone name, or UTC), or without a zone in the
 * TWS login's zone. Undefined when unreadable (IB then rejects the GTD order).
 */
function parseGoodTillDate(text: string, loginZone: string): number | undefined {
  const m = /^(\d{8}[-\s]+\d{2}:\d{2}(?::\d{2})?)\s*(\S+)?$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[2] ?? loginZone;
  try {
    return parseFilterTime(m[1]!.replace(/\s+/, " "), zone === "UTC" || zone === "GMT" ? "UTC" : zone);
  } catch {
    return undefined;
  }
}
