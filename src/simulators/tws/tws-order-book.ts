/**
 * What TWS remembers about orders beyond the shared book: the attributes each API order was placed with (so that
 * openOrder echoes them), orders held back because `transmit` was not set, and the order ids used per client id.
 */
import type { SimInstrument, SimOrder } from "../brokerage";
import type { TwsOrderView } from "./tws-encoders";
import {
  defaultContractFields,
  defaultOrderFields,
  type TwsContractFields,
  type TwsOrderFields,
} from "./tws-order-fields";
import { reportedContract } from "./tws-views";

export interface TwsOrderRecord {
  clientId: number;
  orderId: number;
  contract: TwsContractFields;
  order: TwsOrderFields;
}

/** An order the client placed with transmit ≠ 1: TWS keeps it, it never reaches the book. */
export interface HeldOrder extends TwsOrderRecord {
  /** Local permId (the book assigns its own once the order is transmitted). */
  permId: number;
  instrument: SimInstrument;
}

const key = (clientId: number, orderId: number): string => `${clientId}:${orderId}`;

export class TwsOrderBook {
  private readonly records = new Map<number, TwsOrderRecord>();
  private readonly held = new Map<string, HeldOrder>();
  private readonly highestOrderId = new Map<number, number>();
  private readonly highestIssued = new Map<number, number>();
  private nextLocalPermId: number;

  constructor(
    private readonly firstOrderId: number,
    localPermIdStart: number,
  ) {
    this.nextLocalPermId = localPermIdStart;
  }

  /**
   * Hands out nextValidId for a client id: above every id it used or was given before, never below
   * `firstOrderId`. Each call gives a fresh id: IBApiNext's placeNewOrder asks for an id per order and takes
   * whichever nextValidId arrives first (the startup one included), so repeating an id would make two orders
   * share it.
   */
  issueNextValidId(clientId: number): number {
    const id = Math.max(
      this.firstOrderId,
      (this.highestOrderId.get(clientId) ?? 0) + 1,
      (this.highestIssued.get(clientId) ?? 0) + 1,
    );
    this.highestIssued.set(clientId, id);
    return id;
  }

  /** True when the id was used before by this client id (TWS error 103 for a new order). */
  isUsed(clientId: number, orderId: number): boolean {
    return orderId <= (this.highestOrderId.get(clientId) ?? Number.NEGATIVE_INFINITY);
  }

  noteUsed(clientId: number, orderId: number): void {
    this.highestOrderId.set(clientId, Math.max(orderId, this.highestOrderId.get(clientId) ?? orderId));
  }

  allocateLocalPermId(): number {
    return this.nextLocalPermId++;
  }

  register(permId: number, record: TwsOrderRecord): void {
    this.records.set(permId, record);
  }

  record(permId: number): TwsOrderRecord | undefined {
    return this.records.get(permId);
  }

  hold(order: HeldOrder): void {
    this.held.set(key(order.clientId, order.orderId), order);
  }

  heldOrder(clientId: number, orderId: number): HeldOrder | undefined {
    return this.held.get(key(clientId, orderId));
  }

  release(clientId: number, orderId: number): void {
    this.held.delete(key(clientId, orderId));
  }

  heldOrders(clientId?: number): HeldOrder[] {
    return [...this.held.values()].filter((h) => clientId === undefined || h.clientId === clientId);
  }

  /** The book was reset: its permIds start over, so echo records must go; used ids stay (TWS remembers them). */
  resetRecords(): void {
    this.records.clear();
    this.held.clear();
  }

  /** How TWS reports a book order: the attributes the client sent, updated with the book's current values. */
  viewOf(sim: SimOrder): TwsOrderView {
    const record = this.records.get(sim.permId);
    const placedByTws = sim.api === "TWS" && sim.twsClientId !== null;
    const contract = record
      ? { ...record.contract, ...pickReported(sim.instrument, record.contract.exchange) }
      : { ...defaultContractFields(), ...reportedContract(sim.instrument, defaultExchange(sim.instrument)) };
    if (sim.legs && contract.comboLegs.length === 0) {
      // A combo placed elsewhere (Client Portal): TWS shows the legs it was placed with.
      contract.comboLegs = sim.legs.map((l) => ({
        conId: l.instrument.conid,
        ratio: l.ratio,
        action: l.side,
        exchange: "SMART",
        openClose: 0,
        shortSaleSlot: 0,
        designatedLocation: "",
        exemptCode: -1,
      }));
    }
    const order: TwsOrderFields = {
      ...(record?.order ?? defaultOrderFields()),
      action: record?.order.action === "SSHORT" ? "SSHORT" : sim.side,
      totalQuantity: sim.quantity,
      orderType: sim.orderType,
      lmtPrice: sim.limitPrice ?? undefined,
      // auxPrice carries the stop, the touch price or the trailing amount, whichever the type uses.
      auxPrice: sim.stopPrice ?? sim.triggerPrice ?? sim.trailingAmount ?? undefined,
      ...(sim.trailStopPrice != null ? { trailStopPrice: sim.trailStopPrice } : {}),
      tif: sim.tif,
      account: sim.account,
      orderRef: sim.orderRef ?? "",
      outsideRth: sim.outsideRth,
    };
    return {
      orderId: placedByTws ? (sim.twsOrderId ?? 0) : 0,
      clientId: placedByTws ? (sim.twsClientId ?? 0) : 0,
      permId: sim.permId,
      contract,
      order,
      status: twsStatus(sim),
      filled: sim.filled,
      remaining: sim.remaining,
      avgFillPrice: sim.avgFillPrice,
      lastFillPrice: sim.lastFillPrice,
    };
  }

  viewOfHeld(h: HeldOrder): TwsOrderView {
    return {
      orderId: h.orderId,
      clientId: h.clientId,
      permId: h.permId,
      contract: { ...h.contract, ...pickReported(h.instrument, h.contract.exchange) },
      order: h.order,
      status: "PreSubmitted",
      filled: 0,
      remaining: h.order.totalQuantity ?? 0,
      avgFillPrice: 0,
      lastFillPrice: 0,
    };
  }
}

/**
 * The status TWS reports. PendingSubmit and PendingCancel are client-side states in IB's API ("not sent by TWS"),
 * so an order waiting for the destination shows as PreSubmitted, and one being cancelled keeps its working status.
 */
export function twsStatus(sim: SimOrder): string {
  if (sim.status === "PendingSubmit") return "PreSubmitted";
  if (sim.status === "PendingCancel") {
    const waitsForTrigger = (sim.orderType === "STP" || sim.orderType === "STP LMT") && !sim.triggered;
    return waitsForTrigger ? "PreSubmitted" : "Submitted";
  }
  return sim.status;
}

/** Orders from Client Portal are SMART-routed stocks, or go to the listing exchange. */
function defaultExchange(i: SimInstrument): string {
  return i.secType === "STK" ? "SMART" : i.exchange;
}

/** TWS fills in the resolved contract; the exchange stays as ordered, other attributes as sent. */
function pickReported(
  i: SimInstrument,
  orderedExchange: string,
): Partial<TwsContractFields> & { conId: number } {
  const r = reportedContract(i, orderedExchange || defaultExchange(i));
  return {
    conId: r.conId,
    symbol: r.symbol,
    secType: r.secType,
    lastTradeDateOrContractMonth: r.lastTradeDateOrContractMonth,
    multiplier: r.multiplier,
    exchange: r.exchange,
    currency: r.currency,
    localSymbol: r.localSymbol,
    tradingClass: r.tradingClass,
  };
}
