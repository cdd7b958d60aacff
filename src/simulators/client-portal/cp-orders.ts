import { randomUUID } from "node:crypto";
import { IB_SPREAD_CONIDS } from "../../ib-limits";
import {
  type Brokerage,
  type SimComboLegRequest,
  type SimInstrument,
  type SimOrderType,
  type SimSide,
  type SimTimeInForce,
} from "../brokerage";
import { boolParam } from "./cp-params";
import { listingExchange, priceString } from "./cp-responses";

/** When the simulator asks IB's precautionary questions before accepting an order. */
export interface CpQuestionOptions {
  /** o163: a limit price more than this many percent through the last price. @default 3 */
  priceConstraintPct?: number;
  /** o383: an order quantity above this size. @default 500 */
  sizeLimit?: number;
}

/** A Client Portal order object, as posted to place and modify. */
export interface CpOrderFields {
  conid: number;
  orderType: SimOrderType;
  side: SimSide;
  quantity: number;
  limitPrice: number | null;
  stopPrice: number | null;
  tif: SimTimeInForce;
  outsideRth: boolean;
  cOID: string | null;
  /** TRAIL / TRAILLMT: `trailingAmt` with `trailingType` "amt" or "%". */
  trailingAmount?: number | null;
  trailingPercent?: number | null;
  /** A combo: the legs of its conidex (`{spread};;;{conid}/{signed ratio},…`); `conid` is then the spread conid. */
  legs?: SimComboLegRequest[] | null;
}

export type ParseResult = { fields: CpOrderFields; error?: undefined } | { error: string; status: number };

export interface CpQuestion {
  messageId: string;
  message: string;
}

const ORDER_TYPES: Record<string, SimOrderType> = {
  MKT: "MKT",
  MARKET: "MKT",
  LMT: "LMT",
  LIMIT: "LMT",
  STP: "STP",
  STOP: "STP",
  STOP_LIMIT: "STP LMT",
  "STP LMT": "STP LMT",
  STP_LMT: "STP LMT",
  STPLMT: "STP LMT",
  TRAIL: "TRAIL",
  TRAILLMT: "TRAIL LIMIT",
  MOC: "MOC",
  LOC: "LOC",
  MIDPRICE: "MIDPRICE",
};
const TIFS = new Set<SimTimeInForce>(["DAY", "GTC", "IOC", "OPG"]);

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * Reads one order object. Malformed input answers 500 (as IB does); business problems (unsupported order
 * type, bad side) answer HTTP 200 with `error`.
 */
export function parseCpOrder(raw: unknown): ParseResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { error: "Bad Request: order must be an object", status: 500 };
  }
  const o = raw as Record<string, unknown>;
  let conid = num(o.conid);
  let legs: SimComboLegRequest[] | null = null;
  if (typeof o.conidex === "string" && o.conidex.includes(";;;")) {
    // IB's spread syntax: the spread conid, three semicolons, then `leg/ratio` pairs; a negative ratio sells.
    const combo = parseConidex(o.conidex);
    if ("error" in combo) return { error: combo.error, status: 200 };
    conid = combo.spread;
    legs = combo.legs;
  } else if (conid === undefined && typeof o.conidex === "string") conid = num(o.conidex.split("@")[0]);
  if (conid === undefined) return { error: "Bad Request: conid or conidex is required", status: 500 };
  const typeText = typeof o.orderType === "string" ? o.orderType.trim().toUpperCase() : "";
  if (!typeText) return { error: "Bad Request: orderType is required", status: 500 };
  const orderType = ORDER_TYPES[typeText];
  if (!orderType)
    return { error: `Order type ${typeText} is not supported by the simulated gateway.`, status: 200 };
  const side = typeof o.side === "string" ? o.side.toUpperCase() : "";
  if (side !== "BUY" && side !== "SELL") return { error: `Invalid side: ${String(o.side)}`, status: 200 };
  const quantity = num(o.quantity);
  if (quantity === undefined) return { error: "Bad Request: quantity is required", status: 500 };
  const tif = (typeof o.tif === "string" ? o.tif.toUpperCase() : "DAY") as SimTimeInForce;
  if (!TIFS.has(tif))
    return { error: `Time in force ${tif} is not supported by the simulated gateway.`, status: 200 };
  const price = num(o.price) ?? null;
  const aux = num(o.auxPrice) ?? null;
  // IB's Client Portal convention: `price` is the limit, or the stop of a plain stop order; `auxPrice` the
  // stop of a stop-limit.
  // TRAIL carries its stop in `price`, TRAILLMT its limit in `price` and its stop in `auxPrice`; MIDPRICE's
  // optional cap and LOC's limit are in `price`.
  const limitPrice = ["LMT", "STP LMT", "LOC", "MIDPRICE", "TRAIL LIMIT"].includes(orderType) ? price : null;
  const stopPrice =
    orderType === "STP" || orderType === "TRAIL"
      ? (price ?? aux)
      : orderType === "STP LMT" || orderType === "TRAIL LIMIT"
        ? aux
        : null;
  const cOID = typeof o.cOID === "string" && o.cOID !== "" ? o.cOID : null;
  let trailingAmount: number | null = null;
  let trailingPercent: number | null = null;
  if (orderType === "TRAIL" || orderType === "TRAIL LIMIT") {
    const amt = num(o.trailingAmt);
    const type = typeof o.trailingType === "string" ? o.trailingType.trim().toLowerCase() : "";
    if (amt === undefined || (type !== "amt" && type !== "%")) {
      return { error: `${typeText} orders need trailingAmt and trailingType ("amt" or "%").`, status: 200 };
    }
    if (type === "%") trailingPercent = amt;
    else trailingAmount = amt;
  }
  return {
    fields: {
      conid,
      orderType,
      side,
      quantity,
      limitPrice,
      stopPrice,
      tif,
      outsideRth: boolParam(o.outsideRTH),
      cOID,
      trailingAmount,
      trailingPercent,
      legs,
    },
  };
}

/** `28812380;;;756733/1,756734/-1` → the spread conid and the legs (a negative ratio is a SELL leg). */
export function parseConidex(
  text: string,
): { spread: number; legs: SimComboLegRequest[] } | { error: string } {
  const [head, tail] = text.split(";;;");
  const spread = num((head ?? "").split("@")[0]);
  if (spread === undefined || !tail) return { error: `Invalid conidex ${text}.` };
  const legs: SimComboLegRequest[] = [];
  for (const part of tail.split(",")) {
    const m = /^\s*(\d+)\/(-?\d+)\s*$/.exec(part);
    if (!m || Number(m[2]) === 0)
      return { error: `Invalid conidex ${text}: leg "${part}" is not conid/ratio.` };
    const ratio = Number(m[2]);
    legs.push({ conid: Number(m[1]), ratio: Math.abs(ratio), side: ratio > 0 ? "BUY" : "SELL" });
  }
  return { spread, legs };
}

/**
 * The contract a combo order is asked questions about: the BAG of its legs, or IB's refusal when a leg is not listed
 * or the spread conid is not the legs' currency's (the brokerage checks the rest when the order is placed).
 */
export function comboInstrumentOf(
  brokerage: Brokerage,
  f: CpOrderFields,
): { instrument: SimInstrument } | { error: string } {
  const first = brokerage.findInstrument({ conid: f.legs?.[0]?.conid ?? 0 });
  if (!first) return { error: `No security definition has been found for conid ${f.legs?.[0]?.conid ?? 0}.` };
  if (IB_SPREAD_CONIDS[first.currency] !== f.conid) {
    return { error: `Invalid conidex: ${f.conid} is not the ${first.currency} spread conid.` };
  }
  return {
    instrument: {
      ...first,
      conid: f.conid,
      secType: "BAG",
      localSymbol: first.symbol,
      tradingClass: "COMB",
      multiplier: 1,
      lastTradeDate: undefined,
      strike: undefined,
      right: undefined,
      underlyingConid: undefined,
    },
  };
}

function orderText(i: SimInstrument, f: CpOrderFields): string {
  const at = f.limitPrice !== null ? priceString(i, f.limitPrice) : f.orderType === "MKT" ? "MKT" : "STP";
  return `${f.side} ${f.quantity} ${i.symbol} ${listingExchange(i)} @ ${at}`;
}

/** The precautionary questions IB would ask for this order, minus the suppressed ones, in asking order. */
export function questionsFor(
  brokerage: Brokerage,
  i: SimInstrument,
  f: CpOrderFields,
  options: CpQuestionOptions,
  suppressed: ReadonlySet<string>,
): CpQuestion[] {
  const pct = options.priceConstraintPct ?? 3;
  const sizeLimit = options.sizeLimit ?? 500;
  const out: CpQuestion[] = [];
  const last = brokerage.quote(i.conid)?.last;
  if (last !== undefined && f.limitPrice !== null) {
    const through = f.side === "BUY" ? f.limitPrice / last - 1 : 1 - f.limitPrice / last;
    if (through * 100 > pct) {
      out.push({
        messageId: "o163",
        message:
          `The following order "${orderText(i, f)}" price exceeds \nthe Percentage constraint of ${pct}%.\n` +
          "Are you sure you want to submit this order?",
      });
    }
  }
  if (f.quantity > sizeLimit) {
    out.push({
      messageId: "o383",
      message:
        `The following order "${orderText(i, f)}" size exceeds the Size Limit of ${sizeLimit}.\n` +
        "Are you sure you want to submit this order?",
    });
  }
  return out.filter((q) => !suppressed.has(q.messageId));
}

export interface PendingReply {
  id: string;
  questions: CpQuestion[];
  /** Runs when the last question is confirmed; returns the HTTP status and body. */
  execute: () => { status: number; body: unknown };
}

/** The single reply IB keeps: any other request in between invalidates it. */
export interface ReplyBook {
  /** Asks the first question; remaining ones follow on each confirmation. */
  ask(questions: CpQuestion[], execute: PendingReply["execute"]): unknown;
  answer(id: string, confirmed: boolean): { status: number; body: unknown };
  invalidate(): void;
}

export function createReplyBook(): ReplyBook {
  let pending: PendingReply | null = null;

  function questionBody(p: PendingReply): unknown {
    const q = p.questions[0]!;
    return [{ id: p.id, message: [q.message], isSuppressed: false, messageIds: [q.messageId] }];
  }

  return {
    ask(questions, execute) {
      pending = { id: randomUUID(), questions: [...questions], execute };
      return questionBody(pending);
    },
    answer(id, confirmed) {
      if (!pending || pending.id !== id) {
        return { status: 400, body: { error: `reply id not found: '${id}'`, statusCode: 400 } };
      }
      const p = pending;
      pending = null;
      if (!confirmed) return { status: 400, body: { error: "order not confirmed", statusCode: 400 } };
      p.questions.shift();
      if (p.questions.length > 0) {
        pending = { ...p, id: randomUUID() };
        return { status: 200, body: questionBody(pending) };
      }
      return p.execute();
    },
    invalidate() {
      pending = null;
    },
  };
}

const grouped = (x: number): string =>
  x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * The what-if answer in IB's shape: `amount`, `equity`, `initial`, `maintenance` and `position` blocks of
 * strings with thousands separators, and `warn` / `error` (null when none).
 */
export function whatIfJson(b: Brokerage, account: string, i: SimInstrument, f: CpOrderFields): unknown {
  const before = b.accountValues(account);
  const price = f.limitPrice ?? b.quote(i.conid)?.last ?? i.initialPrice;
  const amount = f.quantity * price * i.multiplier;
  const margin = i.secType === "FUT" ? f.quantity * (i.initialMarginPerContract ?? amount * 0.1) : amount;
  const commission = i.secType === "STK" ? Math.max(1, 0.005 * f.quantity) : 2;
  const position = b.positions(account).find((p) => p.instrument.conid === i.conid)?.quantity ?? 0;
  const signed = f.side === "BUY" ? f.quantity : -f.quantity;
  const block = (current: number, change: number) => ({
    current: grouped(current),
    change: grouped(change),
    after: grouped(current + change),
  });
  return {
    amount: {
      amount: `${grouped(amount)} USD`,
      commission: `${grouped(commission)} USD`,
      total: `${grouped(amount + commission)} USD`,
    },
    equity: block(before.equityWithLoanValue, -commission),
    initial: block(before.initMarginReq, margin),
    maintenance: block(before.maintMarginReq, margin),
    position: block(position, signed),
    warn: null,
    error: null,
  };
}
