/**
 * Account requests of a TWS client: positions, account summary, account updates, their "multi" variants and
 * P&L, with the pushes that keep each subscription current as the brokerage moves.
 */
import type { Brokerage, SimAccountValues, SimPosition } from "../brokerage";
import * as enc from "./tws-encoders";
import { FieldCursor } from "./field-cursor";
import type { TwsGatewayOptions, TwsHandlerContext } from "./tws-handler-context";
import { NO_VALID_ID, TwsError } from "./tws-protocol";
import type { AccountUpdatesSubscription, MultiSubscription, TwsSession } from "./tws-session";
import { accountTimeText } from "./tws-time";
import {
  accountSummaryRows,
  accountUpdateRows,
  portfolioView,
  positionView,
  type AccountRow,
} from "./tws-views";

/** An empty account (or IB's "All") in a multi request means every account. */
const covers = (requested: string, account: string): boolean =>
  requested === "" || requested.toUpperCase() === "ALL" || requested === account;

export class TwsAccountHandlers {
  private readonly brokerage: Brokerage;
  private readonly options: TwsGatewayOptions;

  constructor(private readonly ctx: TwsHandlerContext) {
    this.brokerage = ctx.options.brokerage;
    this.options = ctx.options;
  }

  private liveSessions(): TwsSession[] {
    return this.ctx.liveSessions();
  }

  private accountOr(requested: string): string {
    return requested.trim() || this.brokerage.accounts()[0] || "";
  }

  /** Answers a request for an account the brokerage does not have; true when it did. */
  private rejectUnknown(session: TwsSession, reqId: number, account: string): boolean {
    if (account === "" || account.toUpperCase() === "ALL" || this.brokerage.hasAccount(account)) return false;
    session.sendError(
      reqId,
      TwsError.ERROR_VALIDATING_REQUEST,
      `Error validating request.-'multi' : cause - unknown account ${account}`,
    );
    return true;
  }

  reqPositions(session: TwsSession): void {
    session.subscriptions.positions = true;
    for (const p of this.brokerage.positions()) session.send(enc.position(positionView(p)));
    session.send(enc.positionEnd());
  }

  reqAccountSummary(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const reqId = c.intOr(0, "reqId");
    const group = c.str("group");
    const tags = c.str("tags");
    const subs = session.subscriptions.accountSummaries;
    if (!subs.has(reqId) && subs.size >= this.options.maxAccountSummarySubscriptions) {
      session.sendError(
        reqId,
        TwsError.MAX_ACCOUNT_SUMMARY_REQUESTS,
        "Maximum number of account summary requests exceeded",
      );
      return;
    }
    const sub = { group, tags, sent: new Map<string, string>() };
    subs.set(reqId, sub);
    for (const account of this.brokerage.accounts()) {
      const values = this.brokerage.accountValues(account);
      for (const row of accountSummaryRows(values, tags)) {
        sub.sent.set(`${account}|${row.key}|${row.currency}`, row.value);
        session.send(enc.accountSummary(reqId, account, row.key, row.value, row.currency));
      }
    }
    session.send(enc.accountSummaryEnd(reqId));
  }

  reqAccountUpdates(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const subscribe = c.bool("subscribe");
    const requested = c.remaining() > 0 ? c.str("account").trim() : "";
    if (!subscribe) {
      session.subscriptions.accountUpdates = null;
      return;
    }
    const account = this.accountOr(requested);
    if (!this.brokerage.hasAccount(account)) {
      session.sendError(
        NO_VALID_ID,
        TwsError.ERROR_VALIDATING_REQUEST,
        `Error validating request: unknown account ${account}`,
      );
      return;
    }
    const sub: AccountUpdatesSubscription = { account, sent: new Map(), portfolio: new Map() };
    session.subscriptions.accountUpdates = sub;
    this.sendAccountValues(session, sub, this.brokerage.accountValues(account), true);
    for (const p of this.brokerage.positions(account)) this.sendPortfolio(session, sub, p, true);
    session.send(enc.accountUpdateTime(accountTimeText(Date.now(), this.options.timeZone)));
    session.send(enc.accountDownloadEnd(account));
  }

  private sendPortfolio(
    session: TwsSession,
    sub: AccountUpdatesSubscription,
    p: SimPosition,
    always: boolean,
  ): boolean {
    const fingerprint = `${p.quantity}|${p.marketPrice}|${p.avgCost}`;
    if (!always && sub.portfolio.get(p.instrument.conid) === fingerprint) return false;
    sub.portfolio.set(p.instrument.conid, fingerprint);
    session.send(enc.portfolioValue(portfolioView(p)));
    return true;
  }

  private sendAccountValues(
    session: TwsSession,
    sub: AccountUpdatesSubscription,
    values: SimAccountValues,
    all: boolean,
  ): boolean {
    let changed = false;
    for (const row of accountUpdateRows(values)) {
      const k = `${row.key}|${row.currency}`;
      if (!all && sub.sent.get(k) === row.value) continue;
      sub.sent.set(k, row.value);
      changed = true;
      session.send(enc.accountValue(row.key, row.value, row.currency, sub.account));
    }
    return changed;
  }

  onPositionEvent(position: SimPosition): void {
    for (const s of this.liveSessions()) {
      if (s.subscriptions.positions) s.send(enc.position(positionView(position)));
      const updates = s.subscriptions.accountUpdates;
      if (updates?.account === position.account) this.sendPortfolio(s, updates, position, true);
      for (const [reqId, sub] of s.subscriptions.positionsMulti) {
        if (covers(sub.account, position.account))
          s.send(enc.positionMulti(reqId, positionView(position), sub.modelCode));
      }
      this.pushPnl(s);
    }
  }

  onAccountEvent(values: SimAccountValues): void {
    for (const s of this.liveSessions()) {
      for (const [reqId, sub] of s.subscriptions.accountSummaries) {
        for (const row of accountSummaryRows(values, sub.tags))
          this.pushSummaryRow(s, reqId, sub.sent, values.account, row);
      }
      const updates = s.subscriptions.accountUpdates;
      if (updates?.account === values.account && this.sendAccountValues(s, updates, values, false)) {
        s.send(enc.accountUpdateTime(accountTimeText(Date.now(), this.options.timeZone)));
      }
      for (const [reqId, sub] of s.subscriptions.accountUpdatesMulti) {
        if (covers(sub.account, values.account)) this.sendMultiValues(s, reqId, sub, values, false);
      }
      this.pushPnl(s);
    }
  }

  /** What TWS does every few minutes: re-sends account values and portfolio rows that moved with prices. */
  refreshAccounts(): void {
    const sessions = this.liveSessions().filter(
      (s) => s.subscriptions.accountSummaries.size > 0 || s.subscriptions.accountUpdates !== null,
    );
    if (sessions.length === 0) return;
    const values = new Map(this.brokerage.accounts().map((a) => [a, this.brokerage.accountValues(a)]));
    for (const s of sessions) {
      for (const [reqId, sub] of s.subscriptions.accountSummaries) {
        for (const v of values.values()) {
          for (const row of accountSummaryRows(v, sub.tags))
            this.pushSummaryRow(s, reqId, sub.sent, v.account, row);
        }
      }
      const updates = s.subscriptions.accountUpdates;
      const v = updates ? values.get(updates.account) : undefined;
      if (!updates || !v) continue;
      let changed = this.sendAccountValues(s, updates, v, false);
      for (const p of this.brokerage.positions(updates.account))
        changed = this.sendPortfolio(s, updates, p, false) || changed;
      if (changed) s.send(enc.accountUpdateTime(accountTimeText(Date.now(), this.options.timeZone)));
    }
  }

  private pushSummaryRow(
    s: TwsSession,
    reqId: number,
    sent: Map<string, string>,
    account: string,
    row: AccountRow,
  ): void {
    const k = `${account}|${row.key}|${row.currency}`;
    if (sent.get(k) === row.value) return;
    sent.set(k, row.value);
    s.send(enc.accountSummary(reqId, account, row.key, row.value, row.currency));
  }

  // ---- reqPositionsMulti / reqAccountUpdatesMulti (74–77) ----

  reqPositionsMulti(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const reqId = c.intOr(NO_VALID_ID, "reqId");
    const account = c.remaining() > 0 ? c.str("account").trim() : "";
    const modelCode = c.remaining() > 0 ? c.str("modelCode") : "";
    if (this.rejectUnknown(session, reqId, account)) return;
    session.subscriptions.positionsMulti.set(reqId, { account, modelCode, sent: new Map() });
    for (const p of this.brokerage.positions()) {
      if (covers(account, p.account)) session.send(enc.positionMulti(reqId, positionView(p), modelCode));
    }
    session.send(enc.positionMultiEnd(reqId));
  }

  reqAccountUpdatesMulti(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 2);
    const reqId = c.intOr(NO_VALID_ID, "reqId");
    const requested = c.remaining() > 0 ? c.str("account").trim() : "";
    const modelCode = c.remaining() > 0 ? c.str("modelCode") : "";
    if (this.rejectUnknown(session, reqId, requested)) return;
    const sub: MultiSubscription = { account: requested, modelCode, sent: new Map() };
    session.subscriptions.accountUpdatesMulti.set(reqId, sub);
    for (const account of this.brokerage.accounts().filter((a) => covers(requested, a)))
      this.sendMultiValues(session, reqId, sub, this.brokerage.accountValues(account), true);
    session.send(enc.accountUpdateMultiEnd(reqId));
  }

  private sendMultiValues(
    session: TwsSession,
    reqId: number,
    sub: MultiSubscription,
    values: SimAccountValues,
    all: boolean,
  ): void {
    for (const row of accountUpdateRows(values)) {
      const k = `${values.account}|${row.key}|${row.currency}`;
      if (!all && sub.sent.get(k) === row.value) continue;
      sub.sent.set(k, row.value);
      session.send(
        enc.accountUpdateMulti(reqId, values.account, sub.modelCode, row.key, row.value, row.currency),
      );
    }
  }

  // ---- reqPnL / reqPnLSingle (92–95) ----

  reqPnl(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 1);
    const reqId = c.intOr(NO_VALID_ID, "reqId");
    const account = c.remaining() > 0 ? c.str("account").trim() : "";
    const modelCode = c.remaining() > 0 ? c.str("modelCode") : "";
    if (this.rejectUnknown(session, reqId, account) || this.rejectEmpty(session, reqId, account)) return;
    session.subscriptions.pnl.set(reqId, { account, modelCode, sent: new Map() });
    this.pushPnl(session);
  }

  reqPnlSingle(session: TwsSession, fields: string[]): void {
    const c = new FieldCursor(fields, 1);
    const reqId = c.intOr(NO_VALID_ID, "reqId");
    const account = c.remaining() > 0 ? c.str("account").trim() : "";
    const modelCode = c.remaining() > 0 ? c.str("modelCode") : "";
    const conId = c.remaining() > 0 ? c.intOr(0, "conId") : 0;
    if (this.rejectUnknown(session, reqId, account) || this.rejectEmpty(session, reqId, account)) return;
    session.subscriptions.pnlSingle.set(reqId, { account, modelCode, conId, sent: new Map() });
    this.pushPnl(session);
  }

  /** P&L is per account: TWS refuses a request without one. */
  private rejectEmpty(session: TwsSession, reqId: number, account: string): boolean {
    if (account !== "" && account.toUpperCase() !== "ALL") return false;
    session.sendError(
      reqId,
      TwsError.ERROR_VALIDATING_REQUEST,
      "Error validating request.-'pnl' : cause - an account is required",
    );
    return true;
  }

  /**
   * Daily P&L is the move since the previous close of what is held plus what was realized today; TWS pushes
   * the pnl / pnlSingle messages when a value changes.
   */
  private pushPnl(session: TwsSession): void {
    const v = session.serverVersion;
    for (const [reqId, sub] of session.subscriptions.pnl) {
      const positions = this.brokerage.positions(sub.account, { includeClosed: true });
      const view = { daily: 0, unrealized: 0, realized: 0 };
      for (const p of positions) {
        const one = this.pnlOf(p);
        view.daily += one.daily;
        view.unrealized += one.unrealized;
        view.realized += one.realized;
      }
      const frame = enc.pnl(reqId, view, v);
      if (this.changed(sub, frame)) session.send(frame);
    }
    for (const [reqId, sub] of session.subscriptions.pnlSingle) {
      const p = this.brokerage.position(sub.account, sub.conId ?? 0);
      const view = p
        ? { ...this.pnlOf(p), value: p.marketValue }
        : { daily: 0, unrealized: 0, realized: 0, value: 0 };
      const frame = enc.pnlSingle(reqId, p?.quantity ?? 0, view, v);
      if (this.changed(sub, frame)) session.send(frame);
    }
  }

  private pnlOf(p: SimPosition): enc.TwsPnlView {
    const close = this.brokerage.quote(p.instrument.conid)?.close ?? p.marketPrice;
    const sinceClose = p.quantity * (p.marketPrice - close) * p.instrument.multiplier;
    return { daily: sinceClose + p.realizedPnl, unrealized: p.unrealizedPnl, realized: p.realizedPnl };
  }

  private changed(sub: MultiSubscription, frame: readonly unknown[]): boolean {
    const text = frame.join("|");
    if (sub.sent.get("frame") === text) return false;
    sub.sent.set("frame", text);
    return true;
  }
}
