/**
 * What the market-data core and the adapters exchange. An adapter implements `MarketDataFeed` for its API;
 * the core (market-data-service.ts) decides which API serves a contract and shares one upstream line per
 * contract between every subscriber.
 */
import type { AppError } from "../../errors";
import type { AccountSummary } from "../../schema/account.type";
import type { Bar } from "../../schema/bar.type";
import type { Contract } from "../../schema/contract.type";
import type { BrokerApi } from "../../schema/enums";
import type { BarSize, BarSource } from "../../schema/market-data.enums";
import type { Position } from "../../schema/position.type";
import type { Quote } from "../../schema/quote.type";

/** The value fields of a quote: what an API reports, each null or absent when it did not. */
export type QuoteValues = Partial<Omit<Quote, "contract" | "source" | "asOf" | "delayed">>;

/** One report of an upstream line: the fields that changed (or all of them), and whether they are delayed. */
export interface QuoteUpdate {
  values: QuoteValues;
  /** Absent: unchanged since the last update. */
  delayed?: boolean;
  /** When the API produced it; now when absent. */
  at?: Date;
}

/** Where an open upstream line reports. */
export interface QuoteSink {
  data(update: QuoteUpdate): void;
  /**
   * The line ended at IB with this error (354, 10089, …): the core passes it to the line's subscribers. A
   * line that only paused (disconnect, expired session) does not call this: the feed or the core resumes it.
   */
  error(e: AppError): void;
}

/** A historical-data request as the core validated it. */
export interface BarQuery {
  barSize: BarSize;
  /** The duration in seconds (months = 30 days, years = 365 days). */
  durationSeconds: number;
  /** The duration as IB writes it: `3600 S`, `5 D`, `2 W`, `1 M`, `1 Y`. */
  ibDuration: string;
  /** End of the window; null = now. */
  end: Date | null;
  source: BarSource;
  outsideRth: boolean;
}

/** Market data of one API, implemented by each adapter (tws-market-data.ts, cp-market-data.ts). */
export interface MarketDataFeed {
  readonly api: BrokerApi;
  /** Lines can be opened and requests made now. */
  isReady(): boolean;
  /** One quote, as complete as the API gives it within its snapshot time. */
  snapshot(contract: Contract): Promise<QuoteUpdate>;
  /**
   * Opens one upstream line. The feed keeps it across its own reconnects and session restores where it can;
   * the returned function closes it.
   */
  open(contract: Contract, sink: QuoteSink): () => void;
  bars(contract: Contract, query: BarQuery): Promise<Bar[]>;
  /** Called when the feed's connection or session came back, so the core can reopen lines it moved away. */
  onRestored?(listener: () => void): () => void;
}

/** Position and account streams an adapter may push (TWS reqAccountUpdates / reqPnL, CP `ssd` / `spl`). */
export interface AccountFeed {
  readonly api: BrokerApi;
  isReady(): boolean;
  /** Calls `changed` whenever an account's positions or values may have changed; returns the stop. */
  watch(accountId: string | null, changed: () => void): () => void;
}

export type { AccountSummary, Position };
