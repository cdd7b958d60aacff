/** What the per-domain request handlers share with the gateway that owns them. */
import type { Logger } from "../../logger";
import type { Brokerage } from "../brokerage";
import type { TwsOrderBook } from "./tws-order-book";
import type { TwsSession } from "./tws-session";

export interface TwsGatewayOptions {
  brokerage: Brokerage;
  logger: Logger;
  firstOrderId: number;
  maxMessagesPerSecond: number;
  pacingDisconnectAfter: number;
  maxAccountSummarySubscriptions: number;
  repeatStatusMessages: boolean;
  /** Interval of the periodic account / portfolio refresh (TWS: about 3 minutes); 0 disables it. */
  accountRefreshMs: number;
  timeZone: string;
}

export interface TwsHandlerContext {
  readonly options: TwsGatewayOptions;
  readonly book: TwsOrderBook;
  /** Connected sessions past startApi, the recipients of pushes. */
  liveSessions(): TwsSession[];
}

/** Request ids and similar integer fields; a missing or garbled one falls back. */
export const parseIntOr = (text: string | undefined, fallback: number): number => {
  const n = Number.parseInt(text ?? "", 10);
  return Number.isNaN(n) ? fallback : n;
};
