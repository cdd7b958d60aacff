import WebSocket from "ws";
import { createIbkrClient as createCore, type IbkrClient, type IbkrClientOptions } from "./core";

/**
 * The typed client for Node scripts: `require("ibkr-graphql/client")`. Queries and mutations over
 * HTTP (fetch), streams over graphql-ws (`ws`), reconnecting and resuming on their own.
 */
export function createIbkrClient(options: IbkrClientOptions): IbkrClient {
  return createCore({ webSocketImpl: WebSocket, ...options });
}

export { defaultRetryWait } from "./core";
export type {
  Account,
  Bar,
  BarSize,
  BarSource,
  BrokerApi,
  Contract,
  ContractInput,
  EventStream,
  Execution,
  IbkrClient,
  IbkrClientOptions,
  ModifyOrderInput,
  OptionChain,
  Order,
  OrderEvent,
  OrderSide,
  OrderStatus,
  OrderType,
  OrderUpdatesOptions,
  PlaceOrderInput,
  PlaceOrderPayload,
  Position,
  Quote,
  QuoteUpdatesOptions,
  SessionEvent,
  SessionStatus,
  StreamOptions,
  StreamStatus,
  TimeInForce,
  TradingMode,
} from "./core";
export { IbkrClientError, isCursorError } from "./errors";
export * as documents from "./generated";
