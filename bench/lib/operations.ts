/** The operations the figures send; the same text goes to the server and to each baseline. */

export const POSITIONS_QUERY = `query Positions {
  positions {
    accountId
    contract { conid symbol secType exchange currency }
    quantity
    averageCost
    marketPrice
    marketValue
    unrealizedPnl
    realizedPnl
    source
    asOf
  }
}`;

export const ACCOUNT_SUMMARY_QUERY = `query AccountSummary {
  accounts { summary { netLiquidation } }
}`;

export const ACCOUNTS_QUERY = `query Accounts {
  accounts { id type currency summary { netLiquidation totalCash buyingPower } }
}`;

export const ORDERS_QUERY = `query Orders {
  orders { id clientOrderId status filledQuantity remainingQuantity averageFillPrice }
}`;

const ORDER_FIELDS = `id clientOrderId accountId contract { conid symbol secType } side type quantity limitPrice
      stopPrice timeInForce status filledQuantity remainingQuantity averageFillPrice source permId
      brokerOrderId createdAt updatedAt`;

export const ORDER_UPDATES_SUBSCRIPTION = `subscription OrderUpdates($afterSequence: Int, $after: String) {
  orderUpdates(afterSequence: $afterSequence, after: $after) {
    sequence cursor type catchUp at
    order { ${ORDER_FIELDS} }
    fill { executionId quantity price commission at }
  }
}`;

export const PLACE_ORDER_MUTATION = `mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id clientOrderId status permId }
    confirmation { replyId messages }
  }
}`;

export const CONFIRM_ORDER_MUTATION = `mutation ConfirmOrder($replyId: ID!) {
  confirmOrder(replyId: $replyId, confirmed: true) {
    order { id clientOrderId status permId }
    confirmation { replyId messages }
  }
}`;

/** The shape of an `orderUpdates` event as the subscription above selects it. */
export interface OrderEventData {
  sequence: number;
  cursor: string;
  type: string;
  catchUp: boolean;
  at: string;
  order: {
    id: string;
    clientOrderId: string | null;
    status: string;
    filledQuantity: number;
    permId: string | null;
  };
  fill: { executionId: string; quantity: number; price: number } | null;
}

export interface PlaceOrderData {
  placeOrder: {
    order: { id: string; clientOrderId: string | null; status: string; permId: string | null } | null;
    confirmation: { replyId: string; messages: string[] } | null;
  };
}
