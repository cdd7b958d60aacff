/**
 * The Client Portal adapter as the broker service sees it: wires the connection (client and session
 * supervisor), the error table, the portfolio reads, contract lookups and the order flows, and hands each
 * ClientPortalBroker call to the part that owns it. No behaviour of its own lives here.
 */
import type { Account, AccountSummary } from "../../schema/account.type";
import type { Contract, ContractInput } from "../../schema/contract.type";
import { BrokerApi, type SecType } from "../../schema/enums";
import type { OptionChain } from "../../schema/option-chain.type";
import type { ModifyOrderInput } from "../../schema/order.input";
import type { Order, OrderPreview } from "../../schema/order.type";
import type { Position } from "../../schema/position.type";
import type { ClientPortalStatus } from "../../schema/session.type";
import type {
  BrokerEventSink,
  ClientPortalBroker,
  ComponentReadiness,
  OrderRequest,
  PlaceOutcome,
} from "../api-broker";
import { CpAccountPush } from "./cp-account-push";
import { CpConnection, type CpConnectionOptions } from "./cp-connection";
import { CpContracts } from "./cp-contracts";
import { CpErrors } from "./cp-errors";
import { cpUnsupported } from "./cp-mapping";
import { CpMarketData, type CpMarketDataOptions } from "./cp-market-data";
import { CpOrders, type CpOrdersOptions } from "./cp-orders";
import { arr } from "./cp-parse";
import { CpPortfolio, type AccountPnl } from "./cp-portfolio";
import { CpWebSocket, type CpWebSocketOptions } from "./cp-websocket";
import type { SchedulerStats } from "./request-scheduler";

/** Every option of the adapter, each documented (with its default) by the part that uses it. */
export interface ClientPortalBrokerOptions
  extends CpConnectionOptions, CpOrdersOptions, CpMarketDataOptions, CpWebSocketOptions {}

/** The adapter plus what the lead needs for metrics. */
export interface ClientPortalAdapter extends ClientPortalBroker {
  /** Scheduler counters: requests by endpoint and status, waits, queue length, 429s. */
  stats(): SchedulerStats;
  /** The gateway's login page (`<url>/`). */
  readonly loginUrl: string;
  /**
   * Whether IB still holds this order question (it is forgotten once its hold ends): lets the service drop a
   * stored confirmation that can no longer be answered and place the order again.
   */
  isConfirmationPending(replyId: string): boolean;
}

export function createClientPortalBroker(
  options: ClientPortalBrokerOptions,
  sink: BrokerEventSink,
): ClientPortalAdapter {
  return new ClientPortalBrokerImpl(options, sink);
}

class ClientPortalBrokerImpl implements ClientPortalAdapter {
  readonly api = BrokerApi.CLIENT_PORTAL;
  readonly loginUrl: string;
  private readonly connection: CpConnection;
  private readonly portfolio: CpPortfolio;
  private readonly contracts: CpContracts;
  private readonly orders: CpOrders;
  readonly marketData: CpMarketData;
  private readonly socket: CpWebSocket;
  private readonly accountPush: CpAccountPush;
  private closed = false;

  constructor(options: ClientPortalBrokerOptions, sink: BrokerEventSink) {
    // The orders' session setup runs only once the supervisor finds a session, after construction.
    this.connection = new CpConnection(options, sink, () => this.orders.sessionOpened());
    this.loginUrl = this.connection.loginUrl;
    const errors = new CpErrors(this.connection);
    const parts = { connection: this.connection, errors };
    this.portfolio = new CpPortfolio(parts);
    this.contracts = new CpContracts(parts);
    this.orders = new CpOrders(options, { ...parts, contracts: this.contracts, sink });
    this.socket = new CpWebSocket(options, {
      rootUrl: this.connection.client.rootUrl,
      caPem: options.caPem,
      caFile: options.caFile,
      insecureTls: options.insecureTls,
      cookie: () => this.connection.client.http.jar.header(),
      isReady: () => !this.connection.readOnly && this.connection.isReady(),
      logger: options.logger,
    });
    // Orders follow `sor` as it arrives; the follower's polling stays the fallback.
    this.socket.on("sor", (frame) => this.orders.streamed(arr(frame.args)));
    this.socket.subscribe("sor", "sor+{}", "uor+{}");
    this.accountPush = new CpAccountPush(this.socket);
    this.marketData = new CpMarketData(options, { ...parts, socket: this.socket, logger: options.logger });
  }

  // ---- lifecycle and state ----

  async start(): Promise<void> {
    await this.connection.start();
    this.orders.start();
    this.socket.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.stop();
    this.orders.stop();
    this.socket.stop();
    this.marketData.close();
    await this.connection.close();
  }

  status(): ClientPortalStatus {
    return this.connection.status();
  }

  stats(): SchedulerStats {
    return this.connection.stats();
  }

  isReady(): boolean {
    return this.connection.isReady();
  }

  readiness(): ComponentReadiness {
    return this.connection.readiness();
  }

  assertReady(): void {
    this.connection.assertReady();
  }

  reauthenticate(): Promise<void> {
    return this.connection.reauthenticate();
  }

  /** Pushes on the WebSocket's `spl` (PnL) and `ssd` (account summary) topics. */
  onAccountChange(listener: () => void): () => void {
    return this.accountPush.onChange(listener);
  }

  // ---- reads ----

  listAccounts(): Promise<Account[]> {
    return this.portfolio.listAccounts();
  }

  /** As `ssd` pushed it while the WebSocket streams it, else read over REST. */
  async getAccountSummary(accountId: string): Promise<AccountSummary | null> {
    this.connection.assertReady();
    const pushed = this.accountPush.summary(accountId);
    if (pushed) return pushed;
    const summary = await this.portfolio.getAccountSummary(accountId);
    if (summary) this.accountPush.know(accountId);
    return summary && { ...summary, ...this.accountPush.lastPnl(accountId) };
  }

  /** PnL as `spl` pushed it, else (socket down or silent) from `/iserver/account/pnl/partitioned`. */
  async accountPnl(accountId: string): Promise<AccountPnl> {
    return this.accountPush.streamedPnl(accountId) ?? (await this.portfolio.pnl(accountId));
  }

  listPositions(accountId?: string): Promise<Position[]> {
    return this.portfolio.listPositions(accountId);
  }

  resolveContract(input: ContractInput): Promise<Contract> {
    return this.contracts.resolve(input);
  }

  searchContracts(symbol: string, secType?: SecType | null): Promise<Contract[]> {
    return this.contracts.search(symbol, secType);
  }

  optionChains(underlying: Contract, exchange: string | null): Promise<OptionChain[]> {
    return this.contracts.optionChains(underlying, exchange);
  }

  lastPrice(conid: number): Promise<number | null> {
    return this.contracts.lastPrice(conid);
  }

  listOrders(): Promise<Order[]> {
    return this.orders.listOrders();
  }

  findByClientOrderId(clientOrderId: string): Promise<Order | null> {
    return this.orders.findByClientOrderId(clientOrderId);
  }

  // ---- orders ----

  previewOrder(request: OrderRequest, contract: Contract): Promise<OrderPreview> {
    return this.orders.previewOrder(request, contract);
  }

  unsupported(request: OrderRequest): string | null {
    return cpUnsupported(request);
  }

  placeOrder(request: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    return this.orders.placeOrder(request, contract);
  }

  confirmOrder(replyId: string, confirmed: boolean): Promise<PlaceOutcome> {
    return this.orders.confirmOrder(replyId, confirmed);
  }

  isConfirmationPending(replyId: string): boolean {
    return this.orders.isConfirmationPending(replyId);
  }

  modifyOrder(order: Order, changes: ModifyOrderInput): Promise<Order> {
    return this.orders.modifyOrder(order, changes);
  }

  cancelOrder(order: Order): Promise<Order> {
    return this.orders.cancelOrder(order);
  }
}
