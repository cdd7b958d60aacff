import type { BrokerEventSink, OrderRequest, PlaceOutcome, TwsBroker } from "../../src/brokers";
import { AppError, ErrorCode } from "../../src/errors";
import type { Account, AccountSummary } from "../../src/schema/account.type";
import type { Contract, ContractInput } from "../../src/schema/contract.type";
import {
  AccountType,
  BrokerApi,
  OrderStatus,
  SecType,
  SessionEventType,
  TwsState,
} from "../../src/schema/enums";
import type { ModifyOrderInput } from "../../src/schema/order.input";
import type { Order } from "../../src/schema/order.type";
import type { Position } from "../../src/schema/position.type";
import type { TwsStatus } from "../../src/schema/session.type";

const AAPL: Contract = {
  conid: 265598,
  symbol: "AAPL",
  secType: SecType.STK,
  exchange: "SMART",
  currency: "USD",
};

/**
 * An in-memory TWS side for unit tests of the GraphQL layer and the broker service: pure logic, no
 * sockets. Integration tests use the real simulators instead.
 */
export class MemoryTwsBroker implements TwsBroker {
  readonly api = BrokerApi.TWS;
  connected = true;
  placed: OrderRequest[] = [];
  /** The next placement is sent but its answer is lost (a transport failure after sending). */
  loseNextAnswer = false;
  private orders = new Map<string, Order>();
  private nextPermId = 9000;

  constructor(private readonly sink: BrokerEventSink) {}

  async start() {
    this.sink.session(BrokerApi.TWS, SessionEventType.CONNECTED, "memory broker");
  }
  async close() {}

  setConnected(connected: boolean) {
    this.connected = connected;
    this.sink.session(BrokerApi.TWS, connected ? SessionEventType.CONNECTED : SessionEventType.DISCONNECTED);
  }

  status(): TwsStatus {
    return {
      enabled: true,
      state: this.connected ? TwsState.CONNECTED : TwsState.DISCONNECTED,
      host: "memory",
      port: 0,
      clientId: 0,
      serverVersion: 193,
    };
  }
  isReady() {
    return this.connected;
  }
  readiness() {
    return { ready: this.connected, state: this.status().state };
  }
  assertReady() {
    if (!this.connected)
      throw new AppError(ErrorCode.BROKER_UNAVAILABLE, "TWS is disconnected", { state: "DISCONNECTED" });
  }
  async listAccounts(): Promise<Account[]> {
    return [{ id: "DU0000001", type: AccountType.PAPER, currency: "USD", sources: [BrokerApi.TWS] }];
  }
  async getAccountSummary(): Promise<AccountSummary> {
    return {
      netLiquidation: 100000,
      totalCash: 100000,
      buyingPower: 400000,
      availableFunds: 100000,
      currency: "USD",
      source: BrokerApi.TWS,
      asOf: new Date(),
    };
  }
  async listPositions(): Promise<Position[]> {
    return [
      {
        accountId: "DU0000001",
        contract: AAPL,
        quantity: 10,
        averageCost: 150,
        source: BrokerApi.TWS,
        asOf: new Date(),
      },
    ];
  }
  async listOrders(): Promise<Order[]> {
    return [...this.orders.values()];
  }
  async resolveContract(input: ContractInput): Promise<Contract> {
    if (input.conid === AAPL.conid || input.symbol === "AAPL") return AAPL;
    throw new AppError(ErrorCode.NOT_FOUND, "No security definition has been found for the request", {});
  }
  async placeOrder(r: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    this.placed.push(r);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new Error("socket hang up");
    }
    const now = new Date();
    const permId = String(this.nextPermId++);
    const order: Order = {
      id: permId,
      clientOrderId: r.clientOrderId,
      accountId: r.accountId,
      contract,
      side: r.side,
      type: r.type,
      quantity: r.quantity,
      limitPrice: r.limitPrice,
      stopPrice: r.stopPrice,
      timeInForce: r.timeInForce,
      status: OrderStatus.SUBMITTED,
      filledQuantity: 0,
      remainingQuantity: r.quantity,
      source: BrokerApi.TWS,
      permId,
      brokerOrderId: String(this.placed.length),
      createdAt: now,
      updatedAt: now,
    };
    this.orders.set(permId, order);
    return { order };
  }
  /** Fills a working order completely, as an execution report would. */
  fill(id: string, price: number) {
    const o = this.orders.get(id);
    if (!o) throw new Error(`no order ${id}`);
    const filled = {
      ...o,
      status: OrderStatus.FILLED,
      filledQuantity: o.quantity,
      remainingQuantity: 0,
      averageFillPrice: price,
      updatedAt: new Date(),
    };
    this.orders.set(id, filled);
    this.sink.order({
      order: filled,
      fill: { executionId: `exec-${id}`, quantity: o.quantity, price, commission: 1, at: new Date() },
    });
  }
  async modifyOrder(order: Order, changes: ModifyOrderInput): Promise<Order> {
    const next = {
      ...order,
      ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v != null)),
      updatedAt: new Date(),
    } as Order;
    this.orders.set(order.id, next);
    return next;
  }
  async cancelOrder(order: Order): Promise<Order> {
    const next = { ...order, status: OrderStatus.CANCELLED, updatedAt: new Date() };
    this.orders.set(order.id, next);
    return next;
  }
  async findByClientOrderId(id: string): Promise<Order | null> {
    return [...this.orders.values()].find((o) => o.clientOrderId === id) ?? null;
  }
}
