import type { InstrumentQuery, SimInstrument } from "./instruments";

/** Which gateway placed an order. */
export type SimApi = "TWS" | "CP";
export type SimSide = "BUY" | "SELL";
/** IB's order type codes. */
export type SimOrderType =
  "MKT" | "LMT" | "STP" | "STP LMT" | "TRAIL" | "TRAIL LIMIT" | "MOC" | "LOC" | "MIT" | "LIT" | "MIDPRICE";
export type SimTimeInForce = "DAY" | "GTC" | "IOC" | "OPG" | "GTD" | "FOK";
/** Where the simulated trading day stands: orders without outsideRth execute only in REGULAR hours. */
export type SimSession = "REGULAR" | "CLOSED";
/** Order statuses exactly as IB names them (TWS orderStatus, Client Portal `status`). */
export type SimOrderStatus =
  "PendingSubmit" | "PreSubmitted" | "Submitted" | "Filled" | "Cancelled" | "Inactive" | "PendingCancel";

export const TERMINAL_SIM_STATUSES: ReadonlySet<SimOrderStatus> = new Set([
  "Filled",
  "Cancelled",
  "Inactive",
]);

export interface SimPlaceOrderRequest {
  account: string;
  /** The contract: by conid, or by symbol + secType (+ exchange, currency). */
  contract: InstrumentQuery;
  side: SimSide;
  orderType: SimOrderType;
  quantity: number;
  limitPrice?: number | null;
  stopPrice?: number | null;
  /** @default "DAY" */
  tif?: SimTimeInForce;
  /** Client Portal cOID = TWS orderRef. */
  orderRef?: string | null;
  api: SimApi;
  twsClientId?: number;
  twsOrderId?: number;
  outsideRth?: boolean;
  /** TRAIL / TRAIL LIMIT: the trail in price units, or in percent of the price. */
  trailingAmount?: number | null;
  trailingPercent?: number | null;
  /** TRAIL / TRAIL LIMIT: the initial stop; from the market and the trail when absent. */
  trailStopPrice?: number | null;
  /** TRAIL LIMIT: the limit's distance from the stop once triggered. */
  limitOffset?: number | null;
  /** MIT / LIT: the touch price (IB carries it in auxPrice). */
  triggerPrice?: number | null;
  /** GTD: epoch ms after which the order expires. */
  goodTillDate?: number | null;
  /** One-cancels-all group (IB's type 1): a fill of one cancels the others. */
  ocaGroup?: string | null;
  /** A bracket child: it waits (PreSubmitted) until this order fills. */
  parentPermId?: number | null;
  /**
   * Reject when an order with the same orderRef was placed before (Client Portal's duplicate cOID check).
   * @default false
   */
  rejectDuplicateOrderRef?: boolean;
  /**
   * A combo (BAG) order: its legs, filled together at a net price. `contract` then only names the combo's exchange
   * (SMART or absent); `limitPrice` is the net price per combo (negative = a credit); `side` applies to the whole
   * combo (SELL reverses every leg).
   */
  legs?: SimComboLegRequest[] | null;
}

/** One leg of a combo order as a gateway sends it (TWS comboLegs, Client Portal conidex). */
export interface SimComboLegRequest {
  conid: number;
  /** Positive whole number: units of this leg per combo. */
  ratio: number;
  side: SimSide;
  /** The leg's exchange as sent (TWS); SMART, empty or absent for Client Portal. */
  exchange?: string | null;
}

/** A leg of a combo order as the book holds it. */
export interface SimComboLeg {
  instrument: SimInstrument;
  ratio: number;
  /** The leg's action for a BUY of the combo; a SELL of the combo trades the opposite. */
  side: SimSide;
}

/** An option position closed by its expiry: at intrinsic value, against the underlying's last price. */
export interface SimSettlement {
  account: string;
  instrument: SimInstrument;
  /** The signed quantity that expired. */
  quantity: number;
  /** Intrinsic value per unit. */
  price: number;
  realizedPnl: number;
}

export type SimRejectCode =
  | "UNKNOWN_ACCOUNT"
  | "UNKNOWN_CONTRACT"
  | "BAD_QUANTITY"
  | "BAD_PRICE"
  | "INSUFFICIENT_BUYING_POWER"
  | "DUPLICATE_ORDER_REF"
  | "NOT_MODIFIABLE"
  | "NOT_CANCELLABLE"
  | "UNKNOWN_ORDER"
  /** A combo IB refuses: no legs, a leg on another exchange or underlying, an expired leg (TWS 312–315, 321). */
  | "BAD_COMBO";

export interface SimReject {
  code: SimRejectCode;
  reason: string;
}

/**
 * Result of placing an order. A rejected order that IB would still book (insufficient buying power) comes
 * with `order` in status Inactive; validation rejects (unknown contract, bad quantity) come without.
 */
export type SimPlaceResult =
  { order: SimOrder; reject?: undefined } | { reject: SimReject; order?: SimOrder };

export type SimChangeResult =
  { order: SimOrder; reject?: undefined } | { reject: SimReject; order?: SimOrder };

export interface SimModifyRequest {
  quantity?: number;
  limitPrice?: number | null;
  stopPrice?: number | null;
  tif?: SimTimeInForce;
}

/** An order as the book holds it. Every object handed out is a snapshot copy. */
export interface SimOrder {
  /** Unique non-zero permanent id; also the Client Portal order id. */
  permId: number;
  account: string;
  instrument: SimInstrument;
  side: SimSide;
  orderType: SimOrderType;
  quantity: number;
  limitPrice: number | null;
  stopPrice: number | null;
  tif: SimTimeInForce;
  outsideRth: boolean;
  trailingAmount: number | null;
  trailingPercent: number | null;
  /** Where a trailing stop stands now (it only moves in the order's favour). */
  trailStopPrice: number | null;
  limitOffset: number | null;
  triggerPrice: number | null;
  goodTillDate: number | null;
  ocaGroup: string | null;
  parentPermId: number | null;
  /** A combo (BAG) order's legs; absent for single-contract orders. `instrument` is then the BAG contract. */
  legs?: SimComboLeg[];
  orderRef: string | null;
  api: SimApi;
  twsClientId: number | null;
  twsOrderId: number | null;
  status: SimOrderStatus;
  /** A stop (limit) order whose stop price was crossed. */
  triggered: boolean;
  filled: number;
  remaining: number;
  avgFillPrice: number;
  lastFillPrice: number;
  /** Total commission charged so far. */
  commission: number;
  /** Why the order was rejected or cancelled by the system. */
  statusMessage: string | null;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

export interface SimExecution {
  /** IB style: `0000e0d5.6571a1b2.01.01`. */
  execId: string;
  permId: number;
  account: string;
  instrument: SimInstrument;
  side: SimSide;
  quantity: number;
  price: number;
  /**
   * Cumulative filled quantity and average price of the order including this execution; for a combo leg, in
   * combos and net price (what the order reports).
   */
  cumQty: number;
  avgPrice: number;
  orderRef: string | null;
  api: SimApi;
  twsClientId: number | null;
  twsOrderId: number | null;
  /** Epoch ms. */
  time: number;
  commission: SimCommissionReport;
}

export interface SimCommissionReport {
  execId: string;
  commission: number;
  currency: string;
  /** Realized PnL of this execution net of commissions; null for an opening trade (IB sends MAX). */
  realizedPnl: number | null;
}

export interface SimPosition {
  account: string;
  instrument: SimInstrument;
  /** Signed: negative for a short. */
  quantity: number;
  /** Per unit, price terms, commissions included (what Client Portal calls avgPrice). */
  avgPrice: number;
  /** avgPrice × multiplier (what TWS calls avgCost). */
  avgCost: number;
  marketPrice: number;
  marketValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
}

export interface SimAccountValues {
  account: string;
  currency: string;
  cash: number;
  netLiquidation: number;
  /** Σ |market value| of stock and FX positions. */
  grossPositionValue: number;
  /** Σ market value of stock and FX positions (signed). */
  stockMarketValue: number;
  initMarginReq: number;
  maintMarginReq: number;
  availableFunds: number;
  excessLiquidity: number;
  /** Cash-account style: equal to available funds. */
  buyingPower: number;
  equityWithLoanValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
}

/** An account's PnL, as TWS reqPnL reports it. */
export interface SimPnl {
  account: string;
  /** Since the start of the book's day (creation or reset): realized + unrealized. */
  dailyPnl: number;
  unrealizedPnl: number;
  realizedPnl: number;
}

/** One position's PnL, as TWS reqPnLSingle reports it. */
export interface SimPositionPnl {
  account: string;
  conid: number;
  /** Signed quantity; 0 for a position closed during the day. */
  position: number;
  dailyPnl: number;
  unrealizedPnl: number;
  realizedPnl: number;
  /** Market value. */
  value: number;
}

export interface SimQuote {
  conid: number;
  last: number;
  bid: number;
  ask: number;
  /** Previous close: the price at start or reset. */
  close: number;
  /** Epoch ms. */
  time: number;
}

export type SimOrderChange =
  "new" | "acknowledged" | "triggered" | "fill" | "modified" | "pendingCancel" | "cancelled" | "rejected";

export interface SimBrokerageEvents {
  /** Any change of an order; `order` is the order right after the change. */
  order: { order: SimOrder; change: SimOrderChange };
  /** An execution; fires before the order event that carries the new filled quantity. */
  execution: { execution: SimExecution; order: SimOrder };
  /** The commission report of an execution; fires after the order's fill event, like TWS. */
  commission: { report: SimCommissionReport; execution: SimExecution };
  position: { position: SimPosition };
  account: { values: SimAccountValues };
  price: { quote: SimQuote };
  /** The book was reset to its initial state. */
  reset: Record<string, never>;
}

export type SimEventName = keyof SimBrokerageEvents;

export interface SimOrderRefStats {
  orderRef: string;
  /** How many times an order with this orderRef / cOID reached the book (duplicates included). */
  submissions: number;
  permIds: number[];
}
