/**
 * The server side of the fan-out figure, in its own process so that its memory is its own: either the
 * product (simulators + server over the real adapters) or the bare graphql-ws baseline over a bare brokerage.
 * Records when the brokerage emits each order change, and places orders on request.
 */
import "reflect-metadata";
import { startBareGraphQLWs, type BareGraphQLWs } from "../baselines/bare-graphql-ws";
import { serveRpc } from "../lib/child-rpc";
import { GraphQLHttpClient } from "../lib/graphql-client";
import { PLACE_ORDER_MUTATION, type PlaceOrderData } from "../lib/operations";
import { simOrderKey } from "../lib/order-keys";
import { memorySample, wallNow } from "../lib/stats";
import { ACCOUNT, AAPL, startSimSystem, type SimSystem } from "../lib/system";
import { createBrokerage, type Brokerage } from "../../src/simulators/brokerage";

export type FanoutServerKind = "server" | "bare";

let system: SimSystem | undefined;
let bare: { brokerage: Brokerage; ws: BareGraphQLWs } | undefined;
let client: GraphQLHttpClient | undefined;
const emitted = new Map<string, number>();
/** Orders already in the book when recording began (the seeded positions); the server may still report them. */
let preexisting: string[] = [];
let placed = 0;

function record(brokerage: Brokerage): void {
  preexisting = brokerage.listOrders().map((o) => String(o.permId));
  brokerage.on("order", ({ order }) => {
    const key = simOrderKey(order);
    if (!emitted.has(key)) emitted.set(key, wallNow());
  });
}

serveRpc({
  async start(kind: FanoutServerKind) {
    if (kind === "server") {
      system = await startSimSystem();
      record(system.brokerage);
      client = new GraphQLHttpClient(system.server.httpUrl, 1);
      return { wsUrl: system.server.wsUrl };
    }
    const brokerage = createBrokerage({ accounts: [ACCOUNT] });
    const ws = await startBareGraphQLWs();
    record(brokerage);
    brokerage.on("order", ({ order, change }) => ws.publish(order, change));
    bare = { brokerage, ws };
    return { wsUrl: ws.wsUrl };
  },
  subscribers() {
    if (system) return system.broker.subscriberCounts().orderUpdates;
    return bare?.ws.subscriberCount() ?? 0;
  },
  memory: () => memorySample(),
  /** One market order of 1 AAPL, alternating sides; answers its permId. */
  async place() {
    const n = placed++;
    const side = n % 2 === 0 ? "BUY" : "SELL";
    const clientOrderId = `fanout-${process.pid}-${n}`;
    if (system && client) {
      const data = await client.data<PlaceOrderData>(PLACE_ORDER_MUTATION, {
        input: {
          accountId: ACCOUNT,
          contract: { conid: AAPL },
          side,
          type: "MARKET",
          quantity: 1,
          clientOrderId,
        },
      });
      const order = data.placeOrder.order;
      if (!order) throw new Error(`placeOrder answered without an order: ${JSON.stringify(data)}`);
      return order.permId ?? order.id;
    }
    if (!bare) throw new Error("not started");
    const r = bare.brokerage.placeOrder({
      account: ACCOUNT,
      contract: { conid: AAPL },
      side,
      orderType: "MKT",
      quantity: 1,
      orderRef: clientOrderId,
      api: "TWS",
    });
    if (!r.order) throw new Error(`brokerage rejected the order: ${r.reject?.reason}`);
    return String(r.order.permId);
  },
  emissions: () => ({ emitted: Object.fromEntries(emitted), preexisting }),
  async exit() {
    await client?.close();
    await system?.stop();
    if (bare) {
      await bare.ws.stop();
      bare.brokerage.close();
    }
  },
});
