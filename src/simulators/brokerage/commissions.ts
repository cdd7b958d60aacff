import type { OrderState } from "./book";

/** Commission schedule (IB Pro fixed-style). */
export interface SimCommissionSchedule {
  /** @default 0.005 */
  perShare: number;
  /** Minimum per order, stocks. @default 1 */
  minPerOrder: number;
  /** Cap per order as a fraction of trade value, stocks. @default 0.01 */
  maxFractionOfValue: number;
  /** @default 0.85 */
  perFutureContract: number;
  /** FX: fraction of trade value. @default 0.00002 */
  fxFractionOfValue: number;
  /** @default 2 */
  fxMinPerOrder: number;
}

/** IB Pro "fixed" rates for US stocks, CME futures and IDEALPRO FX. */
export const DEFAULT_COMMISSION: SimCommissionSchedule = {
  perShare: 0.005,
  minPerOrder: 1,
  maxFractionOfValue: 0.01,
  perFutureContract: 0.85,
  fxFractionOfValue: 0.00002,
  fxMinPerOrder: 2,
};

/**
 * The commission of the next fill of `o`, given the order's cumulative quantity and value including that fill.
 * IB charges per order, not per execution: the minimum and the cap apply to the order's total, so the first
 * partial fill pays the minimum and later ones only what the total grew by.
 */
export function commissionFor(
  schedule: SimCommissionSchedule,
  o: OrderState,
  cumQty: number,
  cumValue: number,
): number {
  const i = o.instrument;
  let total: number;
  if (i.secType === "FUT") {
    total = cumQty * schedule.perFutureContract;
  } else if (i.secType === "CASH") {
    total = Math.max(schedule.fxMinPerOrder, cumValue * schedule.fxFractionOfValue);
  } else {
    total = Math.min(
      Math.max(schedule.minPerOrder, cumQty * schedule.perShare),
      Math.max(schedule.minPerOrder, cumValue * schedule.maxFractionOfValue),
    );
  }
  return Math.max(0, Math.round((total - o.commission) * 1e4) / 1e4);
}
