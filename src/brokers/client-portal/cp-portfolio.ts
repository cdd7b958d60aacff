/**
 * What the accounts hold, read through Client Portal: the accounts, their summaries and their positions.
 * Portfolio endpoints work for read-only users too; `/iserver/accounts` only adds accounts when a brokerage
 * session exists.
 */
import type { Account, AccountSummary } from "../../schema/account.type";
import type { Position } from "../../schema/position.type";
import type { CpConnection } from "./cp-connection";
import type { CpErrors } from "./cp-errors";
import { mapAccount, mapPosition, mapSummary } from "./cp-mapping";
import { arr, isObject, str } from "./cp-parse";

/** What the reads run on. */
export interface CpPortfolioDeps {
  connection: CpConnection;
  errors: CpErrors;
}

/** A guard against a gateway that never answers an empty page. */
const MAX_POSITION_PAGES = 100;

export class CpPortfolio {
  private readonly connection: CpConnection;
  private readonly errors: CpErrors;

  constructor(deps: CpPortfolioDeps) {
    this.connection = deps.connection;
    this.errors = deps.errors;
  }

  async listAccounts(): Promise<Account[]> {
    this.connection.assertReady();
    const { client } = this.connection;
    const portfolio = await this.errors.readOk("accounts", () => client.get("/portfolio/accounts"));
    const byId = new Map<string, Account>();
    for (const raw of arr(portfolio.json)) {
      if (!isObject(raw)) continue;
      const id = str(raw.accountId) ?? str(raw.id);
      if (id) byId.set(id, mapAccount(id, str(raw.currency)));
    }
    if (!this.connection.readOnly) {
      const iserver = await this.errors.readOk("accounts", () => client.get("/iserver/accounts"));
      for (const id of isObject(iserver.json) ? arr(iserver.json.accounts) : []) {
        if (typeof id === "string" && !byId.has(id)) byId.set(id, mapAccount(id, null));
      }
    }
    return [...byId.values()];
  }

  async getAccountSummary(accountId: string): Promise<AccountSummary | null> {
    this.connection.assertReady();
    const r = await this.errors.read("account summary", () =>
      this.connection.client.get(`/portfolio/${encodeURIComponent(accountId)}/summary`),
    );
    if (r.status === 400 || r.status === 404) return null;
    this.errors.expectOk("account summary", r);
    if (!isObject(r.json)) return null;
    return { ...mapSummary(r.json, r.asOf), ...(await this.pnl(accountId)) };
  }

  /**
   * Daily and unrealized PnL from `/iserver/account/pnl/partitioned` (IB allows one call per 5 s, so an
   * answer is reused that long); realized is their difference. Empty for read-only users or on failure.
   */
  private async pnl(
    accountId: string,
  ): Promise<{ dailyPnl?: number | null; unrealizedPnl?: number | null; realizedPnl?: number | null }> {
    if (this.connection.readOnly) return {};
    try {
      const r = await this.connection.client.get("/iserver/account/pnl/partitioned", { cacheTtlMs: 5_000 });
      const upnl = isObject(r.json) && isObject(r.json.upnl) ? r.json.upnl : {};
      const row = upnl[`${accountId}.Core`];
      if (r.status !== 200 || !isObject(row)) return {};
      const daily = typeof row.dpl === "number" ? row.dpl : null;
      const unrealized = typeof row.upl === "number" ? row.upl : null;
      return {
        dailyPnl: daily,
        unrealizedPnl: unrealized,
        realizedPnl: daily !== null && unrealized !== null ? daily - unrealized : null,
      };
    } catch {
      return {};
    }
  }

  async listPositions(accountId?: string): Promise<Position[]> {
    this.connection.assertReady();
    const ids = accountId ? [accountId] : (await this.listAccounts()).map((a) => a.id);
    const out: Position[] = [];
    for (const id of ids) {
      for (let page = 0; page < MAX_POSITION_PAGES; page++) {
        const r = await this.errors.read("positions", () =>
          this.connection.client.get(`/portfolio/${encodeURIComponent(id)}/positions/${page}`),
        );
        if ((r.status === 400 || r.status === 404) && page === 0 && accountId) return [];
        this.errors.expectOk("positions", r);
        const rows = arr(r.json);
        // IB's page size has been 30 and 100; only an empty page ends the list.
        if (rows.length === 0) break;
        for (const row of rows) {
          const p = isObject(row) ? mapPosition(row, r.asOf) : null;
          if (p && p.quantity !== 0) out.push(p);
        }
      }
    }
    return out;
  }
}
