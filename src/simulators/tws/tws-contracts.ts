/** Contract requests of a TWS client, answered from the brokerage's instrument universe. */
import type { Brokerage, SimInstrument } from "../brokerage";
import * as enc from "./tws-encoders";
import { FieldCursor } from "./field-cursor";
import { TwsError } from "./tws-protocol";
import type { TwsSession } from "./tws-session";
import { tradeTimeText } from "./tws-time";
import { contractDetailsView, matchContracts } from "./tws-views";

const NO_DEFINITION = "No security definition has been found for the request";

/**
 * reqContractDetails (9): every instrument of the universe that matches, then contractDetailsEnd. An option month
 * (YYYYMM) or a future without expiry answers several; expired derivatives are not found unless includeExpired.
 */
export function reqContractDetails(
  session: TwsSession,
  fields: string[],
  brokerage: Brokerage,
  timeZone: string,
): void {
  const c = new FieldCursor(fields, 2);
  const reqId = c.intOr(0, "reqId");
  const conId = c.int("conId");
  const symbol = c.str();
  const secType = c.str();
  const lastTradeDateOrContractMonth = c.str();
  const strike = c.num("strike");
  const right = c.str("right");
  const multiplier = c.str("multiplier");
  const exchange = c.str();
  c.str("primaryExch");
  const currency = c.str();
  const localSymbol = c.str();
  const tradingClass = c.remaining() > 0 ? c.str("tradingClass") : "";
  const includeExpired = c.remaining() > 0 && c.str("includeExpired") === "1";
  const today = tradeTimeText(Date.now(), timeZone).slice(0, 8);
  const matches = matchContracts(brokerage.instruments(), {
    conId,
    symbol,
    secType,
    exchange,
    currency,
    localSymbol,
    lastTradeDateOrContractMonth,
    strike: strike ?? 0,
    right,
    multiplier,
    tradingClass,
    today: includeExpired ? "" : today,
  });
  if (matches.length === 0) {
    session.sendError(reqId, TwsError.NO_SECURITY_DEFINITION, NO_DEFINITION);
    return;
  }
  for (const i of matches)
    session.send(enc.contractDetails(reqId, contractDetailsView(i, exchange, today), session.serverVersion));
  session.send(enc.contractDetailsEnd(reqId));
}

/** Exchanges the simulated chains are listed on: SMART plus two venues, as IB answers one 75 per venue. */
const CHAIN_EXCHANGES = ["SMART", "CBOE", "ISE"] as const;

/** The non-expired option chain of an underlying: its trading classes with their expirations and strikes. */
export function optionChains(
  instruments: readonly SimInstrument[],
  underlyingConid: number,
  today: string,
): { tradingClass: string; multiplier: number; expirations: string[]; strikes: number[] }[] {
  const byClass = new Map<string, { multiplier: number; expirations: Set<string>; strikes: Set<number> }>();
  for (const i of instruments) {
    if (i.underlyingConid !== underlyingConid || (i.lastTradeDate ?? "") < today) continue;
    const e = byClass.get(i.tradingClass) ?? {
      multiplier: i.multiplier,
      expirations: new Set<string>(),
      strikes: new Set<number>(),
    };
    e.expirations.add(i.lastTradeDate ?? "");
    e.strikes.add(i.strike ?? 0);
    byClass.set(i.tradingClass, e);
  }
  return [...byClass].map(([tradingClass, e]) => ({
    tradingClass,
    multiplier: e.multiplier,
    expirations: [...e.expirations].sort(),
    strikes: [...e.strikes].sort((a, b) => a - b),
  }));
}

/**
 * reqSecDefOptParams (78), 6 fields, no version: one securityDefinitionOptionParameter (75) per exchange and trading
 * class, then the end (76). An unknown underlying is answered with error 200 and no end, as TWS does.
 */
export function reqSecDefOptParams(
  session: TwsSession,
  fields: string[],
  brokerage: Brokerage,
  timeZone: string,
): void {
  const c = new FieldCursor(fields, 1);
  const reqId = c.intOr(0, "reqId");
  const symbol = c.str("underlyingSymbol").trim().toUpperCase();
  const futFopExchange = c.str("futFopExchange").trim().toUpperCase();
  const underlyingSecType = c.str("underlyingSecType").trim().toUpperCase();
  const conId = c.int("underlyingConId") ?? 0;
  const underlying = brokerage
    .instruments()
    .find(
      (i) =>
        i.conid === conId &&
        (!symbol || i.symbol === symbol) &&
        (!underlyingSecType || i.secType === underlyingSecType),
    );
  if (!underlying) {
    session.sendError(reqId, TwsError.NO_SECURITY_DEFINITION, NO_DEFINITION);
    return;
  }
  const today = tradeTimeText(Date.now(), timeZone).slice(0, 8);
  // Stock options are asked for with an empty futFopExchange; a named one narrows the venues.
  const exchanges = CHAIN_EXCHANGES.filter((e) => !futFopExchange || e === futFopExchange);
  for (const chain of optionChains(brokerage.instruments(), underlying.conid, today)) {
    for (const exchange of exchanges) {
      session.send(
        enc.securityDefinitionOptionParameter(reqId, {
          exchange,
          underlyingConId: underlying.conid,
          tradingClass: chain.tradingClass,
          multiplier: String(chain.multiplier),
          expirations: chain.expirations,
          strikes: chain.strikes,
        }),
      );
    }
  }
  session.send(enc.securityDefinitionOptionParameterEnd(reqId));
}
