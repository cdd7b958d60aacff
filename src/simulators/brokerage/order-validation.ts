import type { SimPlaceOrderRequest, SimReject } from "./brokerage.types";
import type { SimInstrument } from "./instruments";
import { isOnTick } from "./price-process";

/** IB's price checks: the prices an order type needs, positive, on the contract's minimum tick. */
export function checkPrices(
  i: SimInstrument,
  orderType: string,
  limitPrice: number | null,
  stopPrice: number | null,
): SimReject | undefined {
  const needsLimit =
    orderType === "LMT" || orderType === "STP LMT" || orderType === "LOC" || orderType === "LIT";
  const needsStop = orderType === "STP" || orderType === "STP LMT";
  for (const [name, value, needed] of [
    ["limit", limitPrice, needsLimit],
    ["stop", stopPrice, needsStop],
  ] as const) {
    if (!needed) continue;
    if (value == null || !Number.isFinite(value) || value <= 0) {
      return { code: "BAD_PRICE", reason: `A ${orderType} order needs a positive ${name} price.` };
    }
    if (!isOnTick(value, i.minTick)) {
      // IB's own wording (TWS error 110).
      return {
        code: "BAD_PRICE",
        reason: `The price does not conform to the minimum price variation for this contract (${i.minTick}).`,
      };
    }
  }
  return undefined;
}

/** Positive, and whole units except for FX, which IB trades in fractional amounts. */
export function checkQuantity(i: SimInstrument, quantity: number): SimReject | undefined {
  if (!Number.isFinite(quantity) || quantity <= 0) {
    return { code: "BAD_QUANTITY", reason: `Order quantity must be positive (got ${quantity}).` };
  }
  if (i.secType !== "CASH" && !Number.isInteger(quantity)) {
    return {
      code: "BAD_QUANTITY",
      reason: `Fractional quantity ${quantity} is not supported for ${i.symbol}.`,
    };
  }
  return undefined;
}

/**
 * IB's checks of the newer order terms, with TWS's wording where it has one: a trail needs an amount or a
 * percent (158) of 0–100 (159), at-the-close orders are day orders (113), OPG is for MKT/LMT (111), GTD needs
 * a future date, if-touched orders a trigger.
 */
export function checkOrderTerms(
  i: SimInstrument,
  r: SimPlaceOrderRequest,
  now: number,
): SimReject | undefined {
  const bad = (reason: string): SimReject => ({ code: "BAD_PRICE", reason });
  const tif = r.tif ?? "DAY";
  if (r.orderType === "TRAIL" || r.orderType === "TRAIL LIMIT") {
    const amount = r.trailingAmount ?? null;
    const percent = r.trailingPercent ?? null;
    if ((amount == null || amount <= 0) && (percent == null || percent <= 0)) {
      return bad("Trailing amount or trailing percent must be specified.");
    }
    if (percent != null && percent >= 100) return bad("Trailing percent must be between 0 and 100.");
    if (r.trailStopPrice != null && !isOnTick(r.trailStopPrice, i.minTick)) {
      return bad(
        `The price does not conform to the minimum price variation for this contract (${i.minTick}).`,
      );
    }
  }
  if ((r.orderType === "MIT" || r.orderType === "LIT") && !(r.triggerPrice != null && r.triggerPrice > 0)) {
    return bad(`A ${r.orderType} order needs a positive trigger price.`);
  }
  if ((r.orderType === "MOC" || r.orderType === "LOC") && tif !== "DAY") {
    return bad("Time in force must be DAY for MOC and LOC orders.");
  }
  if (tif === "OPG" && r.orderType !== "MKT" && r.orderType !== "LMT") {
    return bad(`Time in force OPG is not valid for ${r.orderType} orders.`);
  }
  if (tif === "GTD" && !(r.goodTillDate != null && r.goodTillDate > now)) {
    return bad("Good-till-date orders need a date in the future.");
  }
  return undefined;
}
