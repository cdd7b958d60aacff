import type { Account, AccountSummary } from "../schema/account.type";
import type { Contract, ContractInput } from "../schema/contract.type";
import type { BrokerApi, SecType, SessionEventType } from "../schema/enums";
import type { OptionChain } from "../schema/option-chain.type";
import type { ModifyOrderInput } from "../schema/order.input";
import type { Fill, Order, OrderConfirmation, OrderPreview } from "../schema/order.type";
import type { Position } from "../schema/position.type";
import type { ClientPortalStatus, TwsStatus } from "../schema/session.type";
import type { MarketDataFeed } from "./market-data/market-data.types";
import type { OrderRequest } from "./order-terms";

export type { OrderRequest } from "./order-terms";

export type PlaceOutcome =
  { order: Order; confirmation?: undefined } | { confirmation: OrderConfirmation; order?: undefined };

/** What an adapter saw of an order: the whole order as IB reports it now, and the fill that changed it, if any. */
export interface OrderObservation {
  order: Order;
  fill?: Fill;
  /** Seen by reconciliation after a reconnect rather than live. */
  catchUp?: boolean;
}

/** Where adapters report what they see; the broker service turns it into sequenced events. */
export interface BrokerEventSink {
  order(observation: OrderObservation): void;
  session(api: BrokerApi, type: SessionEventType, message?: string): void;
  /**
   * Whether the order is this server's business from before this run: journaled by an earlier run, or
   * placed under a clientOrderId it keeps (a crash can land between IB's answer and the order's first
   * journaled event). Fills of such an order missed while the server was down are reported, not skipped.
   */
  knownOrder?(orderId: string, clientOrderId: string | null): boolean;
}

export interface ComponentReadiness {
  ready: boolean;
  state: string;
  detail?: string;
  lastMessageAt?: string | null;
}

/**
 * One IB API as the broker service sees it. Implementations: the Client Portal adapter (undici) and the
 * TWS adapter (@stoqey/ib). Resolvers never see these.
 */
export interface ApiBroker {
  readonly api: BrokerApi;
  /** Begin connecting and supervising. Resolves once the first attempt is done, whatever its result. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** Connected and authenticated: reads and orders may go through. */
  isReady(): boolean;
  readiness(): ComponentReadiness;
  /** Throws SESSION_NOT_READY / BROKER_UNAVAILABLE with the current state when not ready. */
  assertReady(): void;
  listAccounts(): Promise<Account[]>;
  getAccountSummary(accountId: string): Promise<AccountSummary | null>;
  listPositions(accountId?: string): Promise<Position[]>;
  listOrders(): Promise<Order[]>;
  resolveContract(input: ContractInput): Promise<Contract>;
  /** Quotes and bars through this API (src/brokers/market-data); absent when it serves none. */
  readonly marketData?: MarketDataFeed;
  /**
   * Calls `listener` when the API pushed a change of account values or PnL (CP `spl`, TWS reqPnL), so the
   * account streams re-read at once; returns the unsubscribe. Absent: they poll and follow order events.
   */
  onAccountChange?(listener: () => void): () => void;
  /** Daily, unrealized and realized PnL of an account where it costs a separate read (account streams). */
  accountPnl?(
    accountId: string,
  ): Promise<{ dailyPnl?: number | null; unrealizedPnl?: number | null; realizedPnl?: number | null }>;
  /** Contracts IB lists for a symbol (stocks, futures months, FX; options are reached through chains). */
  searchContracts?(symbol: string, secType?: SecType | null): Promise<Contract[]>;
  /** Option chains of a resolved underlying, optionally on one exchange. */
  optionChains?(underlying: Contract, exchange: string | null): Promise<OptionChain[]>;
  /** Last known price of a contract, for notional limits; null when unknown. */
  lastPrice?(conid: number): Promise<number | null>;
  placeOrder(request: OrderRequest, contract: Contract): Promise<PlaceOutcome>;
  /** IB's what-if for the order: margin and commission, nothing placed. Absent: this API cannot preview. */
  previewOrder?(request: OrderRequest, contract: Contract): Promise<OrderPreview>;
  /** Why this API cannot place these terms as they are, or null when it can. Absent: it takes every order. */
  unsupported?(request: OrderRequest): string | null;
  modifyOrder(order: Order, changes: ModifyOrderInput): Promise<Order>;
  cancelOrder(order: Order): Promise<Order>;
  /** Whether this API may modify or cancel the order; absent means it may. */
  canChange?(order: Order): boolean;
  /** The order placed earlier with this clientOrderId, if IB knows one (reconciliation). */
  findByClientOrderId(clientOrderId: string): Promise<Order | null>;
}

export interface ClientPortalBroker extends ApiBroker {
  status(): ClientPortalStatus;
  confirmOrder(replyId: string, confirmed: boolean): Promise<PlaceOutcome>;
  /** IB still holds this question (it forgets one as soon as any other request reaches the gateway). */
  isConfirmationPending(replyId: string): boolean;
  reauthenticate(): Promise<void>;
}

export interface TwsBroker extends ApiBroker {
  status(): TwsStatus;
}
