import type { SimReject } from "./brokerage.types";
import type { SimInstrument } from "./instruments";
import { isOnTick } from "./price-process";

/** IB's price checks: the prices an order type needs, positive, on the contract's minimum tick. */
export function checkPrices(
  i: SimInstrument,
  orderType: string,
  limitPrice: number | null,
  stopPrice: number | null,
): SimReject | undefined {
  const needsLimit = orderType === "LMT" || orderType === "STP LMT";
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
