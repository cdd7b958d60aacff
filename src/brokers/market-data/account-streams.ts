/**
 * The position and account streams: one shared watcher per (stream, account) however many subscribers,
 * which re-reads on every order event (a fill changes positions and cash at once) and on a slow timer (mark
 * to market), and emits the whole state to a new subscriber, then what changed. Reads go through the broker service, so its routing (TWS first) and
 * account guards hold.
 */
import { AppError, ErrorCode } from "../../errors";
import { AsyncQueue } from "../../events";
import type { Logger } from "../../logger";
import type { AccountSummary } from "../../schema/account.type";
import type { Position } from "../../schema/position.type";

export interface AccountStreamsOptions {
  readPositions: (accountId: string | null) => Promise<Position[]>;
  readSummary: (accountId: string) => Promise<AccountSummary | null>;
  /** The accounts a stream without an account id covers. */
  accountIds: () => Promise<string[]>;
  /** Order events of every account; the watchers re-read after each. */
  orderEvents: () => AsyncIterableIterator<unknown>;
  /** Pushes of the APIs that account values changed (CP `spl`, TWS PnL); each returns its unsubscribe. */
  accountChanges?: (listener: () => void) => () => void;
  /** Re-read this often while someone watches. @default 2_000 */
  pollMs?: number;
  logger?: Logger;
}

interface Watcher<T> {
  queues: Set<AsyncQueue<T>>;
  last: Map<string, string> | null;
  values: Map<string, T>;
  timer: NodeJS.Timeout | undefined;
  reading: Promise<void> | null;
  again: boolean;
  stop: () => void;
}

const SUMMARY_FIELDS = [
  "netLiquidation",
  "totalCash",
  "buyingPower",
  "availableFunds",
  "dailyPnl",
  "unrealizedPnl",
  "realizedPnl",
  "excessLiquidity",
  "initMarginReq",
  "maintMarginReq",
  "equityWithLoan",
  "grossPositionValue",
] as const;

export class AccountStreams {
  private readonly positionWatchers = new Map<string, Watcher<Position>>();
  private readonly summaryWatchers = new Map<string, Watcher<AccountSummary>>();
  private readonly pollMs: number;
  private events: AsyncIterableIterator<unknown> | null = null;
  private stopChanges: (() => void) | null = null;
  private nudgeTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AccountStreamsOptions) {
    this.pollMs = options.pollMs ?? 2_000;
  }

  positions(accountId: string | null, buffer: number): AsyncIterableIterator<Position> {
    return this.join(
      this.positionWatchers,
      accountId,
      buffer,
      async () => {
        const list = await this.options.readPositions(accountId);
        return new Map(list.map((p) => [`${p.accountId}|${p.contract.conid}`, p] as const));
      },
      positionKey,
      (p, prev) => p ?? closedPosition(prev),
    );
  }

  summaries(accountId: string | null, buffer: number): AsyncIterableIterator<AccountSummary> {
    return this.join(
      this.summaryWatchers,
      accountId,
      buffer,
      async () => {
        const ids = accountId ? [accountId] : await this.options.accountIds();
        const out = new Map<string, AccountSummary>();
        for (const id of ids) {
          const s = await this.options.readSummary(id);
          if (s) out.set(id, Object.assign(s, { accountId: id }));
        }
        return out;
      },
      summaryKey,
      (s) => s ?? null,
    );
  }

  close(): void {
    for (const w of [...this.positionWatchers.values(), ...this.summaryWatchers.values()]) {
      for (const q of w.queues) q.return();
    }
  }

  private join<T>(
    watchers: Map<string, Watcher<T>>,
    accountId: string | null,
    buffer: number,
    read: () => Promise<Map<string, T>>,
    fingerprint: (value: T) => string,
    emitted: (value: T | undefined, previous: T | undefined) => T | null,
  ): AsyncIterableIterator<T> {
    const id = accountId ?? "*";
    let w = watchers.get(id);
    if (!w) {
      const watcher: Watcher<T> = {
        queues: new Set(),
        last: null,
        values: new Map(),
        timer: undefined,
        reading: null,
        again: false,
        stop: () => {
          clearInterval(watcher.timer);
          watchers.delete(id);
          if (this.positionWatchers.size + this.summaryWatchers.size === 0) this.stopEvents();
        },
      };
      const refresh = () => this.refresh(watcher, read, fingerprint, emitted);
      (watcher as Watcher<T> & { refresh: () => void }).refresh = refresh;
      watcher.timer = setInterval(refresh, this.pollMs);
      watcher.timer.unref();
      watchers.set(id, watcher);
      w = watcher;
      refresh();
      this.startEvents();
    }
    const watcher = w;
    const queue: AsyncQueue<T> = new AsyncQueue<T>(
      buffer,
      () => {
        watcher.queues.delete(queue);
        if (watcher.queues.size === 0) watcher.stop();
      },
      () => new AppError(ErrorCode.RATE_LIMITED, "Subscriber too slow: its buffer overflowed."),
    );
    watcher.queues.add(queue);
    if (watcher.last) for (const v of watcher.values.values()) queue.push(v);
    return queue;
  }

  private refresh<T>(
    w: Watcher<T>,
    read: () => Promise<Map<string, T>>,
    fingerprint: (value: T) => string,
    emitted: (value: T | undefined, previous: T | undefined) => T | null,
  ): void {
    if (w.reading) {
      w.again = true;
      return;
    }
    w.reading = (async () => {
      try {
        const now = await read();
        const prints = new Map([...now].map(([k, v]) => [k, fingerprint(v)] as const));
        if (w.last) {
          const keys = new Set([...w.last.keys(), ...prints.keys()]);
          for (const k of keys) {
            if (w.last.get(k) === prints.get(k)) continue;
            const value = emitted(now.get(k), w.values.get(k));
            if (value) for (const q of w.queues) q.push(value);
          }
        } else {
          // The first read: every subscriber starts with the whole state, as IB's account updates do.
          for (const v of now.values()) for (const q of w.queues) q.push(v);
        }
        w.last = prints;
        w.values = now;
      } catch (e) {
        this.options.logger?.debug({ err: e }, "account stream: read failed, retrying on the next tick");
      } finally {
        w.reading = null;
        if (w.again) {
          w.again = false;
          this.refresh(w, read, fingerprint, emitted);
        }
      }
    })();
  }

  private refreshAll(): void {
    for (const w of [...this.positionWatchers.values(), ...this.summaryWatchers.values()]) {
      (w as Watcher<unknown> & { refresh?: () => void }).refresh?.();
    }
  }

  /** Re-reads after every order event, and once more shortly after (the gateways book a fill in steps). */
  private startEvents(): void {
    if (!this.stopChanges && this.options.accountChanges) {
      // At most one re-read per 250 ms however often the APIs push (PnL moves with every tick), and one
      // more after 2 s: a read right after the push may still be answered from a gateway-side cache.
      this.stopChanges = this.options.accountChanges(() => {
        if (this.nudgeTimer) return;
        this.nudgeTimer = setTimeout(() => {
          this.nudgeTimer = undefined;
          this.refreshAll();
        }, 250);
        this.nudgeTimer.unref();
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => this.refreshAll(), 2_000);
        this.settleTimer.unref();
      });
    }
    if (this.events) return;
    const events = this.options.orderEvents();
    this.events = events;
    void (async () => {
      try {
        for (;;) {
          const r = await events.next();
          if (r.done) return;
          this.refreshAll();
          setTimeout(() => this.refreshAll(), 300).unref();
        }
      } catch (e) {
        this.options.logger?.debug({ err: e }, "account stream: order events ended");
        if (this.events === events) this.events = null;
      }
    })();
  }

  private stopEvents(): void {
    this.stopChanges?.();
    this.stopChanges = null;
    clearTimeout(this.nudgeTimer);
    clearTimeout(this.settleTimer);
    this.nudgeTimer = undefined;
    const e = this.events;
    this.events = null;
    void e?.return?.();
  }
}

function positionKey(p: Position): string {
  return JSON.stringify([p.quantity, p.averageCost]);
}

function summaryKey(s: AccountSummary): string {
  const r = s as unknown as Record<string, unknown>;
  return JSON.stringify(SUMMARY_FIELDS.map((f) => r[f] ?? null));
}

/** A position that left the list: flat now. */
function closedPosition(prev: Position | undefined): Position | null {
  if (!prev) return null;
  return { ...prev, quantity: 0, marketValue: 0, unrealizedPnl: 0, asOf: new Date() };
}
