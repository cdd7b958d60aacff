/**
 * Accounts, account summaries, positions and their PnL at TWS, served from memory: subscribed once per
 * connection (and again after TWS lost its data), so a read waits at most for the first answer.
 */
import {
  EventName,
  type AccountSummariesUpdate,
  type Contract as IbContract,
  type Position as IbPosition,
} from "@stoqey/ib";
import { retry, type Subscription } from "rxjs";
import type { Logger } from "../../logger";
import type { Account, AccountSummary } from "../../schema/account.type";
import { BrokerApi } from "../../schema/enums";
import type { Position } from "../../schema/position.type";
import type { TwsConnection } from "../../session/tws-supervisor";
import { accountTypeOf } from "../order-terms";
import type { TwsConnectionPart } from "./tws-connection";
import { SUMMARY_TAGS, ibNumber, toAccountSummary, toPosition, type SummaryValues } from "./tws-mapping";
import { DEFAULT_REQUEST_TIMEOUT_MS, withDeadline, type TwsRequestOptions } from "./tws-requests";

export type TwsPortfolioOptions = TwsRequestOptions;

/** The latest value of a subscription, and whether its first answer came. */
interface Snapshot<T> {
  value: T | undefined;
  at: Date;
  ready: Promise<void>;
  resolve: () => void;
}

function snapshot<T>(): Snapshot<T> {
  let resolve: () => void = () => undefined;
  const ready = new Promise<void>((r) => (resolve = r));
  return { value: undefined, at: new Date(), ready, resolve };
}

export class TwsPortfolio implements TwsConnectionPart {
  private readonly requestTimeoutMs: number;
  private subs: Subscription[] = [];
  private summaries = snapshot<Map<string, SummaryValues>>();
  /** account → conId → position, from reqPositions (every account). */
  private positions = snapshot<Map<string, Map<number, IbPosition>>>();
  /** conId → position with market value and PnL, from reqAccountUpdates (one account at a time). */
  private portfolio = snapshot<Map<number, IbPosition>>();
  private portfolioAccount: string | null = null;

  constructor(
    options: TwsPortfolioOptions,
    private readonly log: Logger,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  // ---- connection ----

  /**
   * Positions and portfolio come from the raw messages: IBApiNext 1.6.10's lists drop every entry after a
   * flat position.
   */
  attach(conn: TwsConnection): void {
    const { raw } = conn;
    raw.on(EventName.position, (account: string, contract: IbContract, pos: number, avgCost?: number) => {
      if (!conn.alive || !contract.conId) return;
      const byAccount = this.positions.value!;
      let m = byAccount.get(account);
      if (!m) byAccount.set(account, (m = new Map()));
      if ((ibNumber(pos) ?? 0) === 0) m.delete(contract.conId);
      else m.set(contract.conId, { account, contract, pos, avgCost });
      this.positions.at = new Date();
    });
    raw.on(EventName.positionEnd, () => {
      if (conn.alive) this.positions.resolve();
    });
    raw.on(
      EventName.updatePortfolio,
      (
        contract: IbContract,
        pos: number,
        marketPrice: number,
        marketValue: number,
        avgCost?: number,
        unrealizedPNL?: number,
        realizedPNL?: number,
        account?: string,
      ) => {
        if (!conn.alive || !contract.conId || (account && account !== this.portfolioAccount)) return;
        const p: IbPosition = {
          account: account ?? this.portfolioAccount ?? "",
          contract,
          pos,
          avgCost,
          marketPrice,
          marketValue,
          unrealizedPNL,
          realizedPNL,
        };
        this.portfolio.value!.set(contract.conId, p);
        this.portfolio.at = new Date();
      },
    );
    raw.on(EventName.accountDownloadEnd, (account: string) => {
      if (conn.alive && account === this.portfolioAccount) this.portfolio.resolve();
    });
  }

  subscribe(conn: TwsConnection): void {
    // IBApiNext routes an order's error (id = orderId) into any subscription whose reqId happens to equal
    // it, which ends that stream; resubscribing shortly after keeps the stream alive.
    this.summaries = snapshot();
    this.subs.push(
      conn.api
        .getAccountSummary("All", SUMMARY_TAGS.join(","))
        .pipe(retry<AccountSummariesUpdate>({ delay: 500 }))
        .subscribe({
          next: (u: AccountSummariesUpdate) => {
            this.summaries.value = new Map([...u.all].map(([acct, tags]) => [acct, tags as SummaryValues]));
            this.summaries.at = new Date();
            this.summaries.resolve();
          },
          error: (e: unknown) => this.log.warn({ err: e }, "account summary stream ended"),
        }),
    );
    this.positions = snapshot();
    this.positions.value = new Map();
    conn.raw.reqPositions();
    const first = conn.accounts[0];
    if (first) void this.watchPortfolio(conn, first);
  }

  unsubscribe(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.portfolioAccount = null;
  }

  /** reqAccountUpdates serves one account at a time per client: market value and PnL per position. */
  private watchPortfolio(conn: TwsConnection, account: string): Promise<void> {
    if (this.portfolioAccount === account) return this.portfolio.ready;
    if (this.portfolioAccount) conn.raw.reqAccountUpdates(false, this.portfolioAccount);
    this.portfolioAccount = account;
    this.portfolio = snapshot();
    this.portfolio.value = new Map();
    conn.raw.reqAccountUpdates(true, account);
    return this.portfolio.ready;
  }

  // ---- reads ----

  async listAccounts(conn: TwsConnection): Promise<Account[]> {
    const ids = conn.accounts.length > 0 ? conn.accounts : await conn.api.getManagedAccounts();
    const summaries = this.summaries.value;
    return ids.map((id) => ({
      id,
      type: accountTypeOf(id),
      currency: summaries?.get(id) ? toAccountSummary(summaries.get(id)!).currency : null,
      sources: [BrokerApi.TWS],
    }));
  }

  async getAccountSummary(conn: TwsConnection, accountId: string): Promise<AccountSummary | null> {
    await withDeadline(this.summaries.ready, this.requestTimeoutMs, "reqAccountSummary", conn);
    const values = this.summaries.value?.get(accountId);
    if (!values) {
      if (!conn.accounts.includes(accountId)) return null;
      return { source: BrokerApi.TWS, asOf: this.summaries.at, currency: null };
    }
    return toAccountSummary(values);
  }

  async listPositions(conn: TwsConnection, accountId?: string): Promise<Position[]> {
    await withDeadline(this.positions.ready, this.requestTimeoutMs, "reqPositions", conn);
    const account = accountId ?? (conn.accounts.length === 1 ? conn.accounts[0] : undefined);
    if (account && conn.accounts.includes(account)) {
      await withDeadline(
        this.watchPortfolio(conn, account),
        this.requestTimeoutMs,
        "reqAccountUpdates",
        conn,
      ).catch((e: unknown) =>
        this.log.warn({ err: e, account }, "no portfolio values; positions without PnL"),
      );
    }
    const out: Position[] = [];
    for (const [acct, byConid] of this.positions.value ?? []) {
      if (accountId && acct !== accountId) continue;
      for (const p of byConid.values()) {
        const pnl = acct === this.portfolioAccount ? this.portfolio.value?.get(p.contract.conId!) : undefined;
        out.push(
          pnl
            ? toPosition({ ...pnl, ...p, contract: { ...pnl.contract, ...p.contract } }, this.portfolio.at)
            : toPosition(p, this.positions.at),
        );
      }
    }
    return out;
  }

  /** The market price TWS reported for a position in this contract (reqAccountUpdates), if any. */
  lastPrice(conid: number): number | null {
    return ibNumber(this.portfolio.value?.get(conid)?.marketPrice);
  }
}
