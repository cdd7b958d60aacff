import type { RawResult, SimApp } from "./sim-app";

const PLACE = `mutation P($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id status } } }`;

/** Places a market buy through the server's GraphQL API (routed as the server chooses); the raw result. */
export function buyAtMarket(
  s: SimApp,
  order: { accountId: string; conid: number; quantity: number; clientOrderId: string },
): Promise<RawResult> {
  return s.op(PLACE, {
    i: {
      accountId: order.accountId,
      contract: { conid: order.conid },
      side: "BUY",
      type: "MARKET",
      quantity: order.quantity,
      clientOrderId: order.clientOrderId,
    },
  });
}
