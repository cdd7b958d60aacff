/**
 * The behaviour of TWS / IB Gateway behind the socket: the handshake and its version agreement, startup, pacing,
 * and the routing of each request to its domain handler (orders, accounts, contracts) or to its error answer.
 * Brokerage events are relayed to the handlers that push them to the subscribed clients.
 */
import type { Logger } from "../../logger";
import type { Brokerage } from "../brokerage";
import type { HandshakeInfo } from "./tws-codec";
import * as enc from "./tws-encoders";
import { FieldCursor, TwsRequestParseError } from "./field-cursor";
import { TwsAccountHandlers } from "./tws-accounts";
import { reqContractDetails, reqSecDefOptParams } from "./tws-contracts";
import { parseIntOr, type TwsGatewayOptions, type TwsHandlerContext } from "./tws-handler-context";
import { TwsMarketDataHandlers } from "./tws-market-data";
import { TwsOrderBook } from "./tws-order-book";
import { TwsOrderHandlers } from "./tws-orders";
import { NO_VALID_ID, NOTICE_TEXTS, OutMsg, TwsError } from "./tws-protocol";
import { UNSERVED_REQUESTS } from "./tws-requests";
import type { TwsSession, TwsSessionHost } from "./tws-session";
import { connectionTimeText } from "./tws-time";
import { negotiateVersion } from "./tws-versions";

export type { TwsGatewayOptions } from "./tws-handler-context";

/** Orders TWS keeps but never transmits get their permIds from a range the book never reaches. */
const LOCAL_PERM_ID_START = 700_000_001;

type RequestHandler = (session: TwsSession, fields: string[]) => void;

export class TwsGateway implements TwsSessionHost, TwsHandlerContext {
  readonly logger: Logger;
  readonly book: TwsOrderBook;
  private readonly brokerage: Brokerage;
  private readonly orders: TwsOrderHandlers;
  private readonly accounts: TwsAccountHandlers;
  readonly marketData: TwsMarketDataHandlers;
  private readonly handlers: ReadonlyMap<number, RequestHandler>;
  private readonly sessions = new Set<TwsSession>();
  private readonly unsubscribe: (() => void)[] = [];
  private zombie = false;
  /**
   * Between 1100/2110 (TWS lost IB's servers) and 1101/1102 (restored): order, execution and commission pushes
   * of the book are held, since TWS hears nothing from IB meanwhile. 1102 (data maintained) delivers them;
   * 1101 (data lost) drops them, and a client learns of them only by asking again (reqOpenOrders,
   * reqExecutions, reqCompletedOrders).
   */
  private heldWhileIbLost: (() => void)[] | null = null;
  private readonly refreshTimer: NodeJS.Timeout | undefined;

  constructor(readonly options: TwsGatewayOptions) {
    this.logger = options.logger;
    this.brokerage = options.brokerage;
    this.book = new TwsOrderBook(options.firstOrderId, LOCAL_PERM_ID_START);
    this.orders = new TwsOrderHandlers(this);
    this.accounts = new TwsAccountHandlers(this);
    this.marketData = new TwsMarketDataHandlers(this);
    this.handlers = this.requestHandlers();
    const b = this.brokerage;
    this.unsubscribe.push(
      b.on("order", (e) => this.fromIb("order", () => this.orders.onOrderEvent(e))),
      b.on("execution", (e) => this.fromIb("execution", () => this.orders.onExecutionEvent(e))),
      b.on("commission", (e) => this.fromIb("commission", () => this.orders.onCommissionEvent(e))),
      b.on("position", (e) => this.guard("position", () => this.accounts.onPositionEvent(e.position))),
      b.on("account", (e) => this.guard("account", () => this.accounts.onAccountEvent(e.values))),
      b.on("reset", () => this.book.resetRecords()),
    );
    if (options.accountRefreshMs > 0) {
      this.refreshTimer = setInterval(
        () => this.guard("refresh", () => this.accounts.refreshAccounts()),
        options.accountRefreshMs,
      );
      this.refreshTimer.unref();
    }
  }

  // ---- session host ----

  isZombie(): boolean {
    return this.zombie;
  }

  setZombie(enabled: boolean): void {
    this.zombie = enabled;
  }

  addSession(session: TwsSession): void {
    this.sessions.add(session);
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  liveSessions(): TwsSession[] {
    return [...this.sessions].filter((s) => s.isLive);
  }

  allSessions(): TwsSession[] {
    return [...this.sessions];
  }

  onClose(session: TwsSession): void {
    this.sessions.delete(session);
    this.logger.debug({ session: session.id, clientId: session.clientId }, "tws sim: client disconnected");
  }

  /** TWS answers the highest version both sides speak; with no overlap it hangs up without a word. */
  onHandshake(session: TwsSession, handshake: HandshakeInfo): void {
    const agreed = negotiateVersion(handshake.minVersion, handshake.maxVersion);
    if (agreed === null) {
      this.logger.warn({ handshake }, "tws sim: no server version in common with the client, closing");
      session.destroy();
      return;
    }
    session.serverVersion = agreed;
    session.send([agreed, connectionTimeText(Date.now(), this.options.timeZone)]);
  }

  onMessage(session: TwsSession, fields: string[]): void {
    const msgId = parseIntOr(fields[0], -1);
    if (session.clientId === null) {
      if (msgId === OutMsg.START_API) this.startApi(session, fields);
      else this.logger.debug({ msgId }, "tws sim: request before startApi ignored");
      return;
    }
    if (!this.admit(session)) return;
    try {
      this.dispatch(session, msgId, fields);
    } catch (err) {
      if (!(err instanceof TwsRequestParseError)) throw err;
      this.logger.warn({ msgId, fields, reason: err.message }, "tws sim: unparsable request");
      session.sendError(NO_VALID_ID, TwsError.ERROR_READING_REQUEST, `Error reading request. ${err.message}`);
    }
  }

  /** Sends a system notice (id -1) to every client; 1100/2110 hold the book's pushes until 1101/1102. */
  broadcastNotice(code: number): void {
    const text = NOTICE_TEXTS[code] ?? `Simulated notice ${code}`;
    for (const s of this.liveSessions()) s.sendError(NO_VALID_ID, code, text);
    if (code === 1100 || code === 2110) {
      this.heldWhileIbLost ??= [];
    } else if (code === 1101 || code === 1102) {
      const held = this.heldWhileIbLost ?? [];
      this.heldWhileIbLost = null;
      if (code === 1102) for (const push of held) push();
    }
  }

  /** A push of the book, held while TWS has lost IB's servers. */
  private fromIb(what: string, push: () => void): void {
    if (this.heldWhileIbLost) this.heldWhileIbLost.push(() => this.guard(what, push));
    else this.guard(what, push);
  }

  close(): void {
    this.marketData.close();
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  // ---- connection startup, pacing ----

  private startApi(session: TwsSession, fields: string[]): void {
    const clientId = parseIntOr(fields[2], 0);
    const clash = this.liveSessions().some((s) => s !== session && s.clientId === clientId);
    if (clash) {
      session.sendError(
        NO_VALID_ID,
        TwsError.CLIENT_ID_IN_USE,
        "Unable to connect as the client id is already in use. Retry with a unique client id.",
      );
      session.close();
      return;
    }
    session.clientId = clientId;
    this.logger.debug(
      { session: session.id, clientId, serverVersion: session.serverVersion },
      "tws sim: client started",
    );
    session.send(enc.managedAccounts(this.brokerage.accounts()));
    session.send(enc.nextValidId(this.book.issueNextValidId(clientId)));
    for (const code of [TwsError.MARKET_DATA_FARM_OK, TwsError.HMDS_FARM_OK, TwsError.SECDEF_FARM_OK]) {
      session.sendError(NO_VALID_ID, code, NOTICE_TEXTS[code] ?? "");
    }
  }

  /**
   * TWS accepts at most 50 messages per second from a client: beyond that it answers error 100 and drops the
   * excess; a client that keeps flooding is disconnected.
   */
  private admit(session: TwsSession): boolean {
    const now = Date.now();
    if (now - session.pacingWindowStart >= 1000) {
      session.pacingWindowStart = now;
      session.pacingCount = 0;
      session.pacingWarned = false;
    }
    session.pacingCount += 1;
    const excess = session.pacingCount - this.options.maxMessagesPerSecond;
    if (excess <= 0) return true;
    if (!session.pacingWarned) {
      session.pacingWarned = true;
      session.sendError(
        NO_VALID_ID,
        TwsError.MAX_RATE_EXCEEDED,
        "Max rate of messages per second has been exceeded.",
      );
    }
    if (excess > this.options.pacingDisconnectAfter) {
      this.logger.warn(
        { clientId: session.clientId },
        "tws sim: client keeps exceeding the message rate, dropping it",
      );
      session.close();
    }
    return false;
  }

  // ---- request routing ----

  /** The requests the simulator serves; every other id is answered from `UNSERVED_REQUESTS`. */
  private requestHandlers(): ReadonlyMap<number, RequestHandler> {
    const o = this.orders;
    const a = this.accounts;
    const reqIdAt = (fields: string[], index: number): number =>
      new FieldCursor(fields, index).intOr(0, "reqId");
    return new Map<number, RequestHandler>([
      [OutMsg.PLACE_ORDER, (s, f) => o.placeOrder(s, f)],
      [OutMsg.CANCEL_ORDER, (s, f) => o.cancelOrder(s, f)],
      [OutMsg.REQ_OPEN_ORDERS, (s) => o.sendOpenOrders(s, (x) => o.ownedBy(x, s), true)],
      [OutMsg.REQ_ALL_OPEN_ORDERS, (s) => o.sendOpenOrders(s, () => true)],
      [OutMsg.REQ_AUTO_OPEN_ORDERS, (s) => o.reqAutoOpenOrders(s)],
      [OutMsg.REQ_GLOBAL_CANCEL, () => o.globalCancel()],
      [OutMsg.REQ_COMPLETED_ORDERS, (s, f) => o.reqCompletedOrders(s, f)],
      [OutMsg.REQ_EXECUTIONS, (s, f) => o.reqExecutions(s, f)],
      [OutMsg.REQ_IDS, (s) => s.send(enc.nextValidId(this.book.issueNextValidId(s.clientId ?? 0)))],
      [OutMsg.REQ_CONTRACT_DATA, (s, f) => reqContractDetails(s, f, this.brokerage, this.options.timeZone)],
      [
        OutMsg.REQ_SEC_DEF_OPT_PARAMS,
        (s, f) => reqSecDefOptParams(s, f, this.brokerage, this.options.timeZone),
      ],
      [OutMsg.REQ_MANAGED_ACCTS, (s) => s.send(enc.managedAccounts(this.brokerage.accounts()))],
      [OutMsg.REQ_CURRENT_TIME, (s) => s.send(enc.currentTime(Math.floor(Date.now() / 1000)))],
      [OutMsg.REQ_ACCOUNT_DATA, (s, f) => a.reqAccountUpdates(s, f)],
      [OutMsg.REQ_POSITIONS, (s) => a.reqPositions(s)],
      [OutMsg.CANCEL_POSITIONS, (s) => void (s.subscriptions.positions = false)],
      [OutMsg.REQ_ACCOUNT_SUMMARY, (s, f) => a.reqAccountSummary(s, f)],
      [OutMsg.CANCEL_ACCOUNT_SUMMARY, (s, f) => void s.subscriptions.accountSummaries.delete(reqIdAt(f, 2))],
      [OutMsg.REQ_POSITIONS_MULTI, (s, f) => a.reqPositionsMulti(s, f)],
      [OutMsg.CANCEL_POSITIONS_MULTI, (s, f) => void s.subscriptions.positionsMulti.delete(reqIdAt(f, 2))],
      [OutMsg.REQ_ACCOUNT_UPDATES_MULTI, (s, f) => a.reqAccountUpdatesMulti(s, f)],
      [
        OutMsg.CANCEL_ACCOUNT_UPDATES_MULTI,
        (s, f) => void s.subscriptions.accountUpdatesMulti.delete(reqIdAt(f, 2)),
      ],
      [OutMsg.REQ_MKT_DATA, (s, f) => this.marketData.reqMktData(s, f)],
      [OutMsg.CANCEL_MKT_DATA, (s, f) => this.marketData.cancelMktData(s, f)],
      [OutMsg.REQ_HISTORICAL_DATA, (s, f) => this.marketData.reqHistoricalData(s, f)],
      // One-shot requests end by themselves; TWS does not acknowledge a cancel.
      [OutMsg.CANCEL_HISTORICAL_DATA, () => undefined],
      [OutMsg.REQ_PNL, (s, f) => a.reqPnl(s, f)],
      [OutMsg.CANCEL_PNL, (s, f) => void s.subscriptions.pnl.delete(reqIdAt(f, 1))],
      [OutMsg.REQ_PNL_SINGLE, (s, f) => a.reqPnlSingle(s, f)],
      [OutMsg.CANCEL_PNL_SINGLE, (s, f) => void s.subscriptions.pnlSingle.delete(reqIdAt(f, 1))],
      // Fire-and-forget settings: TWS never answers them.
      [
        OutMsg.REQ_MARKET_DATA_TYPE,
        (s, f) => void (s.subscriptions.marketDataType = new FieldCursor(f, 2).intOr(1, "marketDataType")),
      ],
      [OutMsg.SET_SERVER_LOGLEVEL, () => undefined],
      // A second startApi on a started connection changes nothing.
      [OutMsg.START_API, () => undefined],
    ]);
  }

  private dispatch(session: TwsSession, msgId: number, fields: string[]): void {
    const handler = this.handlers.get(msgId);
    if (handler) return handler(session, fields);
    const unserved = UNSERVED_REQUESTS.get(msgId);
    if (!unserved) {
      this.logger.debug({ msgId, fieldCount: fields.length }, "tws sim: unknown request id");
      session.sendError(
        NO_VALID_ID,
        TwsError.ERROR_VALIDATING_REQUEST,
        `Error validating request.-'${msgId}' : cause - unknown message id`,
      );
      return;
    }
    if (unserved.error === null) return;
    const at = unserved.reqIdAt(session.serverVersion);
    const id = at === null ? NO_VALID_ID : parseIntOr(fields[at], NO_VALID_ID);
    session.sendError(id, unserved.error.code, unserved.error.text);
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err, event: what }, "tws sim: failed to relay a brokerage event");
    }
  }
}
