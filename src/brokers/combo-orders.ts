/**
 * Combo (BAG) orders before anything is sent: every leg resolved through the order's API (NOT_FOUND /
 * AMBIGUOUS_CONTRACT as for any contract), IB's rules checked on what IB answered (one underlying, one currency, no
 * expired leg, no contract twice), and the BAG contract the order goes out under (IB's spread conid per currency).
 * Also what both adapters share about combos: the spread conids and the leg contracts seen, so an order read back
 * from IB (TWS comboLegs, Client Portal conidex: conids only) shows its legs' whole contracts.
 */
import { badInput } from "../errors";
import { IB_SPREAD_CONIDS } from "../ib-limits";
import type { Contract } from "../schema/contract.type";
import { OrderSide, SecType } from "../schema/enums";
import type { ComboLeg } from "../schema/combo-leg.type";
import type { ApiBroker } from "./api-broker";
import { todayYyyymmdd } from "./contract-input";
import type { OrderRequest, ResolvedComboLeg } from "./order-terms";

const SPREAD_CONID_SET = new Set(Object.values(IB_SPREAD_CONIDS));
export const isSpreadConid = (conid: number): boolean => SPREAD_CONID_SET.has(conid);

/** The underlying a leg trades: its underlying conid for a derivative that names one, else its symbol. */
const underlyingOf = (c: Contract): string => (c.underlyingConid ? `#${c.underlyingConid}` : c.symbol);

/** The BAG contract of a combo on these legs, as IB reports one (class COMB, the spread conid). */
export function bagContract(legs: readonly ResolvedComboLeg[]): Contract {
  const first = legs[0]!.contract;
  const spread = IB_SPREAD_CONIDS[first.currency];
  if (spread === undefined) {
    throw badInput(`IB lists no combo (spread) contract for ${first.currency}.`, { field: "legs" });
  }
  return {
    conid: spread,
    symbol: first.symbol,
    secType: SecType.BAG,
    exchange: "SMART",
    currency: first.currency,
    lastTradeDate: null,
    strike: null,
    right: null,
    multiplier: Math.max(...legs.map((l) => l.contract.multiplier ?? 1)),
    tradingClass: "COMB",
    localSymbol: first.symbol,
    description: `${first.symbol} combo`,
    underlyingConid: null,
  };
}

/**
 * The request with its combo resolved, or as it was for a single-contract order. Each leg goes through the API the
 * order will (cached per session); the first refusal (NOT_FOUND, AMBIGUOUS_CONTRACT, BAD_USER_INPUT) ends it with
 * nothing placed.
 */
export async function resolveCombo(
  api: ApiBroker,
  request: OrderRequest,
  now = Date.now(),
): Promise<OrderRequest> {
  if (!request.legs) return request;
  const legs: ResolvedComboLeg[] = [];
  for (const [n, leg] of request.legs.entries()) {
    const contract = await api.resolveContract(leg.contract);
    const field = `legs[${n}].contract`;
    if (contract.secType === SecType.BAG) throw badInput(`${field} is a combo itself.`, { field });
    if (
      contract.lastTradeDate &&
      contract.lastTradeDate.length === 8 &&
      contract.lastTradeDate < todayYyyymmdd(now)
    )
      throw badInput(
        `${field} (${contract.localSymbol ?? contract.conid}) expired on ${contract.lastTradeDate}.`,
        {
          field,
        },
      );
    if (legs.some((l) => l.contract.conid === contract.conid))
      throw badInput(`${field} is conid ${contract.conid} again: give each contract once.`, { field });
    legs.push({ contract, ratio: leg.ratio, side: leg.side });
  }
  const first = legs[0]!.contract;
  const otherUnderlying = legs.find((l) => underlyingOf(l.contract) !== underlyingOf(first));
  if (otherUnderlying) {
    throw badInput(
      `The legs of a combo must share one underlying (IB's rule): ${first.localSymbol ?? first.symbol} and ` +
        `${otherUnderlying.contract.localSymbol ?? otherUnderlying.contract.symbol} do not.`,
      { field: "legs" },
    );
  }
  const named = request.contract.symbol;
  if (named && named !== first.symbol) {
    throw badInput(`contract.symbol ${named} is not the legs' underlying ${first.symbol}.`, {
      field: "contract.symbol",
    });
  }
  const otherCurrency = legs.find((l) => l.contract.currency !== first.currency);
  if (otherCurrency) {
    throw badInput(
      `The legs of a combo must share one currency (IB's rule): ${first.currency} and ${otherCurrency.contract.currency}.`,
      { field: "legs" },
    );
  }
  rememberLegContracts(legs.map((l) => l.contract));
  return { ...request, combo: { legs, contract: bagContract(legs) } };
}

/** The largest multiplier of the legs: what a combo's notional is counted in. */
export function comboMultiplier(legs: readonly { contract: Pick<Contract, "multiplier"> }[]): number {
  return Math.max(1, ...legs.map((l) => l.contract.multiplier ?? 1));
}

// ---- leg contracts seen, for orders read back from IB ----

const MAX_REMEMBERED = 5000;
/** Process-wide: a conid names the same contract for every session and both APIs. */
const legContracts = new Map<number, Contract>();

export function rememberLegContracts(contracts: Iterable<Contract>): void {
  for (const c of contracts) {
    if (c.secType === SecType.BAG || !c.symbol) continue;
    legContracts.delete(c.conid);
    legContracts.set(c.conid, c);
    if (legContracts.size > MAX_REMEMBERED) legContracts.delete(legContracts.keys().next().value as number);
  }
}

/**
 * A combo's legs as IB reports them (conid, signed or unsigned ratio, side), with the whole contracts this process
 * has seen; a leg never seen shows its conid and the combo's symbol and currency.
 */
export function comboLegsOf(
  bag: Pick<Contract, "symbol" | "currency">,
  legs: readonly { conid: number; ratio: number; side: OrderSide }[],
): ComboLeg[] {
  return legs.map((l) => ({
    contract: legContracts.get(l.conid) ?? {
      conid: l.conid,
      symbol: bag.symbol,
      secType: SecType.OPT,
      currency: bag.currency,
      exchange: "SMART",
    },
    ratio: Math.abs(l.ratio),
    side: l.side,
  }));
}

export const buyOrSell = (side: string | undefined | null): OrderSide =>
  (side ?? "").toUpperCase().startsWith("S") ? OrderSide.SELL : OrderSide.BUY;
