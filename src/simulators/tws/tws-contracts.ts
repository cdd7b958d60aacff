/** Contract requests of a TWS client, answered from the brokerage's instrument universe. */
import type { Brokerage } from "../brokerage";
import * as enc from "./tws-encoders";
import { FieldCursor } from "./field-cursor";
import { TwsError } from "./tws-protocol";
import type { TwsSession } from "./tws-session";
import { tradeTimeText } from "./tws-time";
import { contractDetailsView, matchContracts } from "./tws-views";

/** reqContractDetails (9): every instrument of the universe that matches, then contractDetailsEnd. */
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
  c.num("strike");
  c.str("right");
  c.str("multiplier");
  const exchange = c.str();
  c.str("primaryExch");
  const currency = c.str();
  const localSymbol = c.str();
  const matches = matchContracts(brokerage.instruments(), {
    conId,
    symbol,
    secType,
    exchange,
    currency,
    localSymbol,
    lastTradeDateOrContractMonth,
  });
  if (matches.length === 0) {
    session.sendError(
      reqId,
      TwsError.NO_SECURITY_DEFINITION,
      "No security definition has been found for the request",
    );
    return;
  }
  const today = tradeTimeText(Date.now(), timeZone).slice(0, 8);
  for (const i of matches)
    session.send(enc.contractDetails(reqId, contractDetailsView(i, exchange, today), session.serverVersion));
  session.send(enc.contractDetailsEnd(reqId));
}
