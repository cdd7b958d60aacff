/**
 * Account PnL at TWS (reqPnL): one subscription per managed account and connection, kept in memory so that
 * account summaries and the account stream carry daily, unrealized and realized PnL without a request each.
 */
import { retry, type Subscription } from "rxjs";
import type { Logger } from "../../logger";
import type { TwsConnection } from "../../session/tws-supervisor";
import type { TwsConnectionPart } from "./tws-connection";
import { ibNumber } from "./tws-mapping";

export interface AccountPnl {
  dailyPnl: number | null;
  unrealizedPnl: number | null;
  realizedPnl: number | null;
}

export class TwsPnl implements TwsConnectionPart {
  private subs: Subscription[] = [];
  private readonly values = new Map<string, AccountPnl>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly log: Logger) {}

  subscribe(conn: TwsConnection): void {
    for (const account of conn.accounts) {
      this.subs.push(
        conn.api
          .getPnL(account)
          .pipe(retry({ count: 3, delay: 1_000 }))
          .subscribe({
            next: (p) => {
              this.values.set(account, {
                dailyPnl: ibNumber(p.dailyPnL),
                unrealizedPnl: ibNumber(p.unrealizedPnL),
                realizedPnl: ibNumber(p.realizedPnL),
              });
              for (const l of this.listeners) l();
            },
            error: (err: unknown) => this.log.debug({ err, account }, "tws: no PnL for the account"),
          }),
      );
    }
  }

  unsubscribe(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.values.clear();
  }

  /** Called on every PnL push; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The account's PnL as TWS last pushed it; empty until the first push. */
  of(accountId: string): Partial<AccountPnl> {
    return this.values.get(accountId) ?? {};
  }
}
