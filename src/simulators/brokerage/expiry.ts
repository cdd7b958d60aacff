/**
 * Simulated time and what its passing does: the brokerage's clock is the real one plus an offset that `/sim/clock`
 * advances (to the next morning's open, or by whole days), and every option position whose expiry the clock passed
 * is closed at its intrinsic value against the underlying's last price, with the realized PnL booked like a trade.
 * Working orders on an expired option (or a combo with an expired leg) are cancelled.
 */
import type { Accounts } from "./accounts";
import { isWorking, lastPrice, type BookContext } from "./book";
import type { SimSettlement } from "./brokerage.types";
import { expiryEpochMs } from "./option-pricing";

const DAY_MS = 24 * 60 * 60 * 1000;
/** 09:30 New York in winter; regular hours open at this UTC time in the simulator. */
const OPEN_UTC_MINUTES = 14 * 60 + 30;

/** The next regular open strictly after `t`: 14:30 UTC on the next weekday. */
export function nextOpenAfter(t: number): number {
  const day = new Date(t);
  let open = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()) + OPEN_UTC_MINUTES * 60_000;
  if (open <= t) open += DAY_MS;
  while ([0, 6].includes(new Date(open).getUTCDay())) open += DAY_MS;
  return open;
}

/** The clock: real time plus what the tests advanced it by. */
export interface SimClock {
  now(): number;
  /** Moves the clock forward by `ms` (never back). */
  advance(ms: number): void;
  reset(): void;
}

export function createSimClock(base: () => number): SimClock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`The clock only moves forward (got ${ms} ms)`);
      offset += ms;
    },
    reset() {
      offset = 0;
    },
  };
}

const intrinsic = (right: "C" | "P" | undefined, strike: number, underlying: number): number =>
  Math.max(0, right === "P" ? strike - underlying : underlying - strike);

/**
 * Settles what expired by `ctx.now()`: working orders on expired options end (Cancelled), then each expired option
 * position closes at intrinsic value (a worthless one at 0) with its realized PnL. Returns the settlements.
 */
export function settleExpired(
  ctx: BookContext,
  accounts: Accounts,
  expireOrder: (permId: number, why: string) => void,
): SimSettlement[] {
  const { state, events } = ctx;
  const t = ctx.now();
  const expired = (ltd: string | undefined): boolean => ltd !== undefined && expiryEpochMs(ltd) <= t;
  for (const o of [...state.orders.values()]) {
    if (o.status !== "PendingSubmit" && !isWorking(o)) continue;
    const instruments = o.legs ? o.legs.map((l) => l.instrument) : [o.instrument];
    if (instruments.some((i) => i.secType === "OPT" && expired(i.lastTradeDate))) {
      expireOrder(o.permId, "Contract expired.");
    }
  }
  const out: SimSettlement[] = [];
  const touched = new Set<string>();
  for (const p of state.positions.values()) {
    const i = p.instrument;
    if (
      p.quantity === 0 ||
      i.secType !== "OPT" ||
      !expired(i.lastTradeDate) ||
      i.underlyingConid === undefined
    )
      continue;
    const price = intrinsic(i.right, i.strike ?? 0, lastPrice(state, i.underlyingConid));
    const quantity = p.quantity;
    const side = quantity > 0 ? "SELL" : "BUY";
    // Booked as a closing trade without commission, so cash and realized PnL move as IB's expiry does.
    const realized =
      accounts.bookFill(
        // bookFill only reads the account, instrument and side of the order it books.
        { account: p.account, instrument: i, side } as Parameters<Accounts["bookFill"]>[0],
        Math.abs(quantity),
        price,
        0,
      ) ?? 0;
    const q = state.quotes.get(i.conid);
    if (q) state.quotes.set(i.conid, { ...q, last: price, bid: price, ask: price, time: t });
    out.push({
      account: p.account,
      instrument: i,
      quantity,
      price,
      realizedPnl: Math.round(realized * 1e6) / 1e6,
    });
    events.emit("position", { position: accounts.positionSnapshot(p) });
    touched.add(p.account);
  }
  for (const a of touched) accounts.emitAccount(a);
  return out;
}
