/**
 * The TWS side of the broker service: a facade that wires the adapter's parts together and answers the
 * TwsBroker interface by handing each call the current connection. The parts: tws-connection (supervisor
 * glue), tws-reconcile, tws-portfolio, tws-orders (with tws-order-stream) and tws-contracts.
 */
import { silentLogger, type Logger } from "../../logger";
import type { Account, AccountSummary } from "../../schema/account.type";
import type { Contract, ContractInput } from "../../schema/contract.type";
import { BrokerApi, type SecType } from "../../schema/enums";
import type { OptionChain } from "../../schema/option-chain.type";
import type { ModifyOrderInput } from "../../schema/order.input";
import type { Order, OrderPreview } from "../../schema/order.type";
import type { Position } from "../../schema/position.type";
import type { TwsStatus } from "../../schema/session.type";
import type {
  BrokerEventSink,
  ComponentReadiness,
  OrderRequest,
  PlaceOutcome,
  TwsBroker,
} from "../api-broker";
import { TwsConnector, type TwsConnectionOptions } from "./tws-connection";
import { TwsContracts, type TwsContractsOptions } from "./tws-contracts";
import { TwsMarketData, type TwsMarketDataOptions } from "./tws-market-data";
import { TwsOrderStream, type TwsOrderStreamOptions } from "./tws-order-stream";
import { TwsOrders, type TwsOrdersOptions } from "./tws-orders";
import { TwsPnl } from "./tws-pnl";
import { TwsPortfolio, type TwsPortfolioOptions } from "./tws-portfolio";
import { TwsReconciler } from "./tws-reconcile";

/** Connection and timing of the TWS adapter. Defaults suit a real TWS; tests shorten every interval. */
export interface TwsBrokerOptions
  extends
    TwsConnectionOptions,
    TwsOrdersOptions,
    TwsOrderStreamOptions,
    TwsPortfolioOptions,
    TwsContractsOptions,
    TwsMarketDataOptions {
  /** @default silentLogger() */
  logger?: Logger;
}

/** The TWS side of the broker service, over @stoqey/ib's IBApiNext, supervised by `createTwsSupervisor`. */
export function createTwsBroker(options: TwsBrokerOptions, sink: BrokerEventSink): TwsBroker {
  return new TwsAdapter(options, sink);
}

class TwsAdapter implements TwsBroker {
  readonly api = BrokerApi.TWS;
  private readonly stream: TwsOrderStream;
  private readonly connection: TwsConnector;
  private readonly portfolio: TwsPortfolio;
  private readonly orders: TwsOrders;
  private readonly contracts: TwsContracts;
  readonly marketData: TwsMarketData;
  private readonly pnl: TwsPnl;

  constructor(options: TwsBrokerOptions, sink: BrokerEventSink) {
    const log = (options.logger ?? silentLogger()).child({ api: "TWS" });
    this.stream = new TwsOrderStream({ ...options, emit: (obs) => sink.order(obs), logger: log });
    const reconciler = new TwsReconciler(this.stream, log, options);
    this.portfolio = new TwsPortfolio(options, log);
    this.contracts = new TwsContracts(options);
    this.orders = new TwsOrders(options, {
      stream: this.stream,
      reconciler,
      log,
      // The connector is built below; the orders only ask it once a connection exists.
      link: {
        current: () => this.connection.current(),
        notReady: () => this.connection.notReady(),
      },
    });
    this.pnl = new TwsPnl(log);
    this.marketData = new TwsMarketData(
      options,
      { current: () => this.connection.current(), notReady: () => this.connection.notReady() },
      log,
    );
    this.connection = new TwsConnector(
      { ...options, logger: log },
      [this.orders, this.portfolio, this.marketData, this.pnl],
      reconciler,
      (type, message) => sink.session(BrokerApi.TWS, type, message),
    );
  }

  // ---- lifecycle ----

  start(): Promise<void> {
    return this.connection.start();
  }

  async close(): Promise<void> {
    await this.connection.stop();
    this.stream.close();
  }

  status(): TwsStatus {
    return this.connection.status();
  }

  isReady(): boolean {
    return this.connection.current() !== undefined;
  }

  readiness(): ComponentReadiness {
    return this.connection.readiness();
  }

  assertReady(): void {
    this.connection.ready();
  }

  onAccountChange(listener: () => void): () => void {
    return this.pnl.onChange(listener);
  }

  // ---- reads ----
  // Every call is async so that "not connected" (from `ready()`) is a rejection, never a synchronous throw.

  async listAccounts(): Promise<Account[]> {
    return this.portfolio.listAccounts(this.connection.ready());
  }

  async getAccountSummary(accountId: string): Promise<AccountSummary | null> {
    const summary = await this.portfolio.getAccountSummary(this.connection.ready(), accountId);
    return summary && { ...summary, ...this.pnl.of(accountId) };
  }

  async listPositions(accountId?: string): Promise<Position[]> {
    return this.portfolio.listPositions(this.connection.ready(), accountId);
  }

  async lastPrice(conid: number): Promise<number | null> {
    return this.portfolio.lastPrice(conid);
  }

  async listOrders(): Promise<Order[]> {
    return this.orders.listOrders(this.connection.ready());
  }

  async resolveContract(input: ContractInput): Promise<Contract> {
    return this.contracts.resolve(this.connection.ready(), input);
  }

  async searchContracts(symbol: string, secType?: SecType | null): Promise<Contract[]> {
    return this.contracts.search(this.connection.ready(), symbol, secType);
  }

  async optionChains(underlying: Contract, exchange: string | null): Promise<OptionChain[]> {
    return this.contracts.optionChains(this.connection.ready(), underlying, exchange);
  }

  // ---- orders ----

  previewOrder(request: OrderRequest, contract: Contract): Promise<OrderPreview> {
    return this.orders.previewOrder(this.connection.ready(), request, contract);
  }

  async placeOrder(request: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    return this.orders.placeOrder(this.connection.ready(), request, contract);
  }

  async modifyOrder(order: Order, changes: ModifyOrderInput): Promise<Order> {
    return this.orders.modifyOrder(this.connection.ready(), order, changes);
  }

  async cancelOrder(order: Order): Promise<Order> {
    return this.orders.cancelOrder(this.connection.ready(), order);
  }

  canChange(order: Order): boolean {
    return this.orders.canChange(this.connection.current(), order);
  }

  async findByClientOrderId(clientOrderId: string): Promise<Order | null> {
    return this.orders.findByClientOrderId(this.connection.ready(), clientOrderId);
  }
}
