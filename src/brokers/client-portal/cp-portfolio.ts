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
    return mapSummary(r.json, r.asOf);
  }

  /**
   * Daily and unrealized PnL from `/iserver/account/pnl/partitioned` (IB allows one call per 5 s, so an
   * answer is reused that long). Empty for read-only users or on failure. Account summaries do not call it
   * (a summary read stays one request); the account stream does, when the WebSocket's `spl` is silent.
   */
  async pnl(accountId: string): Promise<AccountPnl> {
    if (this.connection.readOnly) return {};
    try {
      const r = await this.connection.client.get("/iserver/account/pnl/partitioned", { cacheTtlMs: 5_000 });
      return r.status === 200 && isObject(r.json) ? (pnlRows(r.json.upnl).get(accountId) ?? {}) : {};
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

/** An account's PnL as far as known. */
export interface AccountPnl {
  dailyPnl?: number | null;
  unrealizedPnl?: number | null;
  realizedPnl?: number | null;
}

/**
 * `{"DU1234567.Core": {"dpl": …, "upl": …}}` (the REST answer's `upnl`, the `spl` frame's `args`) by account;
 * realized is daily minus unrealized.
 */
export function pnlRows(upnl: unknown): Map<string, AccountPnl> {
  const out = new Map<string, AccountPnl>();
  if (!isObject(upnl)) return out;
  for (const [key, row] of Object.entries(upnl)) {
    if (!isObject(row)) continue;
    const daily = typeof row.dpl === "number" ? row.dpl : null;
    const unrealized = typeof row.upl === "number" ? row.upl : null;
    out.set(key.replace(/\.Core$/, ""), {
      dailyPnl: daily,
      unrealizedPnl: unrealized,
      realizedPnl: daily !== null && unrealized !== null ? daily - unrealized : null,
    });
  }
  return out;
}
