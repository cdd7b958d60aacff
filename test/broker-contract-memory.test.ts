/**
 * The broker contract (`broker-contract.ts`) against the in-memory broker: the same promises without
 * sockets. Its book outlives a restart (the service and its store are new, the broker is the same), as a
 * gateway's does.
 */
import type { BrokerEventSink, OrderRequest, PlaceOutcome } from "../src/brokers";
import type { Contract } from "../src/schema/contract.type";
import { OrderStatus } from "../src/schema/enums";
import { defineBrokerContract, startService, tempDataDir, type ServiceSide } from "./broker-contract";
import { MemoryTwsBroker } from "./helpers/memory-broker";

/**
 * Loses the answers to placements after the order is in the book, as a connection dropped after sending does.
 * (`loseNextAnswer` of the memory broker loses the order too, so a retry would rightly place it.)
 */
class SwallowingMemoryBroker extends MemoryTwsBroker {
  swallowing = false;

  override async placeOrder(r: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    const outcome = await super.placeOrder(r, contract);
    if (this.swallowing) throw new Error("socket hang up");
    return outcome;
  }
}

defineBrokerContract("in-memory broker", async () => {
  const data = await tempDataDir();
  // The broker reports to whichever service is current.
  let current: BrokerEventSink | undefined;
  const relay: BrokerEventSink = {
    order: (o) => current?.order(o),
    session: (api, type, message) => current?.session(api, type, message),
  };
  const memory = new SwallowingMemoryBroker(relay);
  const side: ServiceSide = {
    tws: (sink) => {
      current = sink;
      return memory;
    },
  };
  let service = await startService(data.dir, side);
  return {
    get service() {
      return service;
    },
    adapter: memory,
    account: "DU0000001",
    contract: { conid: 265598 },
    restingBuyLimit: async () => 140,
    async book(clientOrderId) {
      const orders = await memory.listOrders();
      return {
        orderIds: orders.filter((o) => o.clientOrderId === clientOrderId).map((o) => o.id),
        timesPlaced: memory.placed.filter((p) => p.clientOrderId === clientOrderId).length,
      };
    },
    async fillMarketOrder(order) {
      const now = await memory.findByClientOrderId(order.clientOrderId!);
      if (now?.status !== OrderStatus.FILLED) memory.fill(order.id, 150);
    },
    swallowedOrderListed: true,
    swallowPlacements: async () => void (memory.swallowing = true),
    heal: async () => void (memory.swallowing = false),
    async dropConnections() {
      memory.setConnected(false);
      setTimeout(() => memory.setConnected(true), 50);
    },
    async restart(between) {
      await service.close();
      await between?.(data.dir);
      service = await startService(data.dir, side);
    },
    async close() {
      await service.close();
      await data.remove();
    },
  };
});
