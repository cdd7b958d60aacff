import type { BrokerService, Caller, OrdersFilter, Readiness } from "../brokers";
import type { ResumeFrom } from "../events";
import type { ModifyOrderInput, PlaceOrderInput } from "../schema/order.input";
import type { Order } from "../schema/order.type";
import type { ClusterStatus } from "../schema/cluster.type";
import type { SessionStatus } from "../schema/session.type";
import { MarketDataRelay, type MarketDataRelayOptions } from "./market-data-relay";
import type { StandbyBroker } from "./standby-broker";

/**
 * The broker service of an instance in a shared deployment, as resolvers see it: the leader's full
 * service while this instance leads and its service is started, the standby's otherwise. Resolvers never
 * learn the role.
 *
 * Subscriptions are always the standby's (they follow the journal): they do not depend on the role, so
 * they go on across a promotion or a demotion of this instance, and every instance serves the same
 * events, LEADER_CHANGED included, once each and in order. Market-data and live account subscriptions go
 * through the relay on every instance: from this process's leader lines while it leads, from the leader's
 * over graphql-ws otherwise, and re-opened on the new leader when it changes.
 */
export class ClusterBroker implements BrokerService {
  private leader: BrokerService | undefined;
  readonly marketData: MarketDataRelay;

  constructor(
    private readonly standby: StandbyBroker,
    private readonly cluster: () => ClusterStatus,
    relay: Partial<MarketDataRelayOptions> = {},
  ) {
    this.marketData = new MarketDataRelay({
      ...relay,
      cluster,
      local: () => this.leader?.marketData,
      standby: standby.marketData,
    });
  }

  /** The leader's service once it is started; undefined to fall back to the standby's. */
  setLeader(leader: BrokerService | undefined): void {
    this.leader = leader;
    this.marketData.reroute();
  }

  /** Another instance leads now (or none): relayed streams follow it. */
  leaderChanged(): void {
    this.marketData.reroute();
  }

  get leading(): BrokerService | undefined {
    return this.leader;
  }

  private get current(): BrokerService {
    return this.leader ?? this.standby;
  }

  status(): SessionStatus {
    return { ...this.current.status(), cluster: this.cluster() };
  }

  /** Leader: "can trade" (its APIs are ready). Standby: "can serve, leader known". */
  readiness(): Readiness {
    const c = this.cluster();
    if (!this.leader) return this.standby.readiness();
    const r = this.leader.readiness();
    return {
      ready: r.ready,
      components: { ...r.components, cluster: { enabled: true, ready: true, state: c.role } },
    };
  }

  accounts() {
    return this.current.accounts();
  }
  account(id: string) {
    return this.current.account(id);
  }
  accountSummary(id: string) {
    return this.current.accountSummary(id);
  }
  positions(accountId?: string | null) {
    return this.current.positions(accountId);
  }
  orders(filter: OrdersFilter) {
    return this.current.orders(filter);
  }
  executions(filter: { accountId?: string | null; since?: Date | null; until?: Date | null }) {
    return this.current.executions(filter);
  }
  order(id: string) {
    return this.current.order(id);
  }
  contracts() {
    return this.current.contracts();
  }
  placeOrder(input: PlaceOrderInput, caller: Caller) {
    return this.current.placeOrder(input, caller);
  }
  previewOrder(input: PlaceOrderInput, caller: Caller) {
    return this.current.previewOrder(input, caller);
  }
  cancelAllOrders(accountId: string, confirm: boolean, caller: Caller) {
    return this.current.cancelAllOrders(accountId, confirm, caller);
  }
  orderByClientOrderId(clientOrderId: string) {
    return this.current.orderByClientOrderId(clientOrderId);
  }
  childrenOf(order: Order) {
    return this.current.childrenOf(order);
  }
  modifyOrder(id: string, input: ModifyOrderInput, caller: Caller) {
    return this.current.modifyOrder(id, input, caller);
  }
  cancelOrder(id: string, caller: Caller) {
    return this.current.cancelOrder(id, caller);
  }
  confirmOrder(replyId: string, confirmed: boolean, caller: Caller) {
    return this.current.confirmOrder(replyId, confirmed, caller);
  }
  reauthenticate(caller: Caller) {
    return this.current.reauthenticate(caller);
  }

  orderUpdates(filter: { accountId?: string | null } & ResumeFrom) {
    return this.standby.orderUpdates(filter);
  }
  sessionEvents() {
    return this.standby.sessionEvents();
  }
  subscriberCounts() {
    return this.standby.subscriberCounts();
  }

  /** The composition (cluster-app.ts) starts and stops the parts: the elector decides when. */
  async start(): Promise<void> {}
  async close(): Promise<void> {
    const leader = this.leader;
    this.leader = undefined;
    this.marketData.close();
    await leader?.close();
    await this.standby.close();
  }
}
