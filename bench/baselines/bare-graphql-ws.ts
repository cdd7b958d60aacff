import { setMaxListeners } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createPubSub } from "@graphql-yoga/subscription";
import { buildSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { SimOrder, SimOrderChange } from "../../src/simulators/brokerage";
import { domainStatus } from "../lib/order-keys";

/** The OrderEvent part of the product schema, as plain SDL (DateTime as ISO strings). */
const SDL = `
  scalar DateTime
  enum SecType { STK OPT FUT FOP CASH IND BOND CFD CRYPTO FUND WAR BAG }
  enum BrokerApi { TWS CLIENT_PORTAL }
  enum OrderSide { BUY SELL }
  enum OrderType { MARKET LIMIT STOP STOP_LIMIT }
  enum TimeInForce { DAY GTC IOC OPG }
  enum OrderStatus { PENDING_SUBMIT PRE_SUBMITTED SUBMITTED PARTIALLY_FILLED FILLED PENDING_CANCEL CANCELLED REJECTED INACTIVE }
  enum OrderEventType { NEW SUBMITTED PARTIAL_FILL FILL MODIFIED CANCELLED REJECTED STATUS }
  type Contract { conid: Int! symbol: String! secType: SecType! exchange: String currency: String! lastTradeDate: String }
  type Order {
    id: ID! clientOrderId: String accountId: ID! contract: Contract! side: OrderSide! type: OrderType!
    quantity: Float! limitPrice: Float stopPrice: Float timeInForce: TimeInForce! status: OrderStatus!
    filledQuantity: Float! remainingQuantity: Float! averageFillPrice: Float source: BrokerApi! permId: String
    brokerOrderId: String statusMessage: String createdAt: DateTime! updatedAt: DateTime!
  }
  type Fill { executionId: String! quantity: Float! price: Float! commission: Float at: DateTime! }
  type OrderEvent { sequence: Int! cursor: String! type: OrderEventType! catchUp: Boolean! at: DateTime! order: Order! fill: Fill }
  type Query { ok: Boolean }
  type Subscription { orderUpdates(accountId: ID, afterSequence: Int, after: String): OrderEvent! }
`;

const EVENT_TYPE: Record<SimOrderChange, string> = {
  new: "NEW",
  acknowledged: "SUBMITTED",
  triggered: "STATUS",
  fill: "FILL",
  modified: "MODIFIED",
  pendingCancel: "STATUS",
  cancelled: "CANCELLED",
  rejected: "REJECTED",
};

const ORDER_TYPE: Record<SimOrder["orderType"], string> = {
  MKT: "MARKET",
  LMT: "LIMIT",
  STP: "STOP",
  "STP LMT": "STOP_LIMIT",
  TRAIL: "TRAILING_STOP",
  "TRAIL LIMIT": "TRAILING_STOP_LIMIT",
  MOC: "MARKET_ON_CLOSE",
  LOC: "LIMIT_ON_CLOSE",
  MIT: "MARKET_IF_TOUCHED",
  LIT: "LIMIT_IF_TOUCHED",
  MIDPRICE: "MIDPRICE",
};

export interface BareGraphQLWs {
  wsUrl: string;
  /** Subscriptions started so far (the bench subscribes once per connection and never unsubscribes). */
  subscriberCount(): number;
  /** Publishes one brokerage order change to every subscriber, shaped like the product's OrderEvent. */
  publish(order: SimOrder, change: SimOrderChange): void;
  stop(): Promise<void>;
}

/**
 * Baseline of the fan-out figure: a bare graphql-ws server (ws + useServer, graphql-yoga's pubsub, the
 * OrderEvent types as SDL) publishing an OrderEvent-shaped payload for every brokerage order change, with no
 * broker adapter in between.
 */
export async function startBareGraphQLWs(): Promise<BareGraphQLWs> {
  const schema = buildSchema(SDL);
  // One listener per subscriber on the pubsub's EventTarget; a thousand is the point, not a leak.
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  const pubsub = createPubSub<{ order: [{ orderUpdates: unknown }] }>({ eventTarget });
  let subscribers = 0;
  let sequence = 0;
  const httpServer = createServer();
  const wss = new WebSocketServer({ server: httpServer, path: "/graphql" });
  const cleanup = useServer(
    {
      schema,
      roots: {
        subscription: {
          orderUpdates: () => {
            subscribers++;
            return pubsub.subscribe("order");
          },
        },
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    subscriberCount: () => subscribers,
    publish(o, change) {
      const at = new Date(o.updatedAt).toISOString();
      pubsub.publish("order", {
        orderUpdates: {
          sequence: ++sequence,
          // Same shape as the product's cursor (base64url of "<journal>:<sequence>"), so both serialize alike.
          cursor: Buffer.from(`bare:${sequence}`).toString("base64url"),
          type: EVENT_TYPE[change],
          catchUp: false,
          at,
          order: {
            id: String(o.permId),
            clientOrderId: o.orderRef,
            accountId: o.account,
            contract: {
              conid: o.instrument.conid,
              symbol: o.instrument.symbol,
              secType: o.instrument.secType,
              exchange: o.instrument.exchange,
              currency: o.instrument.currency,
            },
            side: o.side,
            type: ORDER_TYPE[o.orderType],
            quantity: o.quantity,
            limitPrice: o.limitPrice,
            stopPrice: o.stopPrice,
            timeInForce: o.tif,
            status: domainStatus(o),
            filledQuantity: o.filled,
            remainingQuantity: o.remaining,
            averageFillPrice: o.filled > 0 ? o.avgFillPrice : null,
            source: "TWS",
            permId: String(o.permId),
            brokerOrderId: o.twsOrderId === null ? null : String(o.twsOrderId),
            statusMessage: o.statusMessage,
            createdAt: new Date(o.createdAt).toISOString(),
            updatedAt: at,
          },
          fill:
            change === "fill"
              ? {
                  executionId: `${o.permId}.${o.filled}`,
                  quantity: o.filled,
                  price: o.lastFillPrice,
                  commission: null,
                  at,
                }
              : null,
        },
      });
    },
    async stop() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
