/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type AccountType =
  | 'LIVE'
  | 'PAPER';

export type BarSize =
  | 'DAY_1'
  | 'HOUR_1'
  | 'MINUTE_1'
  | 'MINUTE_5'
  | 'MINUTE_15'
  | 'MINUTE_30'
  | 'MONTH_1'
  | 'SECONDS_5'
  | 'WEEK_1';

export type BarSource =
  | 'ASK'
  | 'BID'
  | 'MIDPOINT'
  | 'TRADES';

/** Exit orders placed with the entry as one bracket: at least one leg. They wait until the entry fills, then form a one-cancels-all pair. Their clientOrderIds are the entry's with `.tp` / `.sl` appended. */
export type BracketInput = {
  /** Makes the stop-loss a STOP_LIMIT with this limit; needs stopLossStopPrice. */
  stopLossLimitPrice?: number | null | undefined;
  /** A STOP exit on the losing side of the entry. */
  stopLossStopPrice?: number | null | undefined;
  /** A LIMIT exit on the profitable side of the entry. */
  takeProfitLimitPrice?: number | null | undefined;
};

export type BrokerApi =
  | 'CLIENT_PORTAL'
  | 'TWS';

export type ClientPortalState =
  | 'AUTHENTICATED'
  | 'AWAITING_SECOND_FACTOR'
  | 'COMPETING'
  | 'DISABLED'
  | 'EXPIRED'
  | 'LOGIN_FAILED'
  | 'LOGIN_REQUIRED'
  | 'UNAUTHENTICATED'
  | 'UNREACHABLE';

/** One leg of a combo (BAG) order: its contract, how many of it per combo, and whether a BUY of the combo buys or sells it (a SELL of the combo does the opposite of every leg). */
export type ComboLegInput = {
  contract: ContractInput;
  /** Units of this leg per combo: a whole number ≥ 1. */
  ratio: number;
  side: OrderSide;
};

/** A contract by IB conid, or by symbol + secType (+ exchange, currency); derivatives add lastTradeDate (futures: YYYYMM or YYYYMMDD, none = front month; options: YYYYMMDD) and, for options, strike and right. */
export type ContractInput = {
  conid?: number | null | undefined;
  /** Defaults to USD. */
  currency?: string | null | undefined;
  /** Defaults to SMART. */
  exchange?: string | null | undefined;
  /** YYYYMMDD (options, futures) or YYYYMM (a futures month; for options every expiry of the month). */
  lastTradeDate?: string | null | undefined;
  /** IB local symbol, e.g. OCC `AAPL  270115C00190000` or `ESH7`. */
  localSymbol?: string | null | undefined;
  multiplier?: number | null | undefined;
  /** Options: call or put (needs a strike). */
  right?: OptionRight | null | undefined;
  /** Defaults to STK when a symbol is given. */
  secType?: SecType | null | undefined;
  /** Options: strike price (> 0). */
  strike?: number | null | undefined;
  symbol?: string | null | undefined;
  tradingClass?: string | null | undefined;
};

/** Only the fields given change. */
export type ModifyOrderInput = {
  limitPrice?: number | null | undefined;
  quantity?: number | null | undefined;
  stopPrice?: number | null | undefined;
  timeInForce?: TimeInForce | null | undefined;
};

/** An option's right: call or put. */
export type OptionRight =
  | 'CALL'
  | 'PUT';

export type OrderClass =
  | 'BRACKET'
  | 'COMBO'
  | 'OCA'
  | 'SIMPLE';

export type OrderEventType =
  | 'CANCELLED'
  | 'FILL'
  | 'MODIFIED'
  | 'NEW'
  | 'PARTIAL_FILL'
  | 'REJECTED'
  | 'STATUS'
  | 'SUBMITTED';

export type OrderSide =
  | 'BUY'
  | 'SELL';

export type OrderStatus =
  | 'CANCELLED'
  | 'FILLED'
  | 'INACTIVE'
  | 'PARTIALLY_FILLED'
  | 'PENDING_CANCEL'
  | 'PENDING_SUBMIT'
  | 'PRE_SUBMITTED'
  | 'REJECTED'
  | 'SUBMITTED';

export type OrderType =
  | 'LIMIT'
  | 'LIMIT_IF_TOUCHED'
  | 'LIMIT_ON_CLOSE'
  | 'MARKET'
  | 'MARKET_IF_TOUCHED'
  | 'MARKET_ON_CLOSE'
  | 'MIDPRICE'
  | 'STOP'
  | 'STOP_LIMIT'
  | 'TRAILING_STOP'
  | 'TRAILING_STOP_LIMIT';

export type PlaceOrderInput = {
  accountId: string | number;
  bracket?: BracketInput | null | undefined;
  /** Your idempotency key: the same id never places a second order (sent as TWS orderRef / CP cOID). */
  clientOrderId: string;
  /** The contract; required unless `legs` is given (then absent, or naming the combo's underlying symbol). */
  contract?: ContractInput | null | undefined;
  /** Required with timeInForce GTD, in the future. */
  goodTillDate?: string | null | undefined;
  /** A combo (BAG) order: 2–6 legs on one underlying and currency, filled together. `quantity` is then the number of combos and `limitPrice` the net price per combo (negative = a credit); LIMIT or MARKET only. */
  legs?: Array<ComboLegInput> | null | undefined;
  /** TRAILING_STOP_LIMIT: the limit's distance from the trailing stop price (IB's lmtPriceOffset). */
  limitOffset?: number | null | undefined;
  /** Required for LIMIT and STOP_LIMIT, absent otherwise. */
  limitPrice?: number | null | undefined;
  /** One-cancels-all group: when one order of the group fills, IB cancels the others (TWS only). */
  ocaGroup?: string | null | undefined;
  /** May fill outside regular trading hours (IB's outsideRth); waits for the session otherwise. */
  outsideRth?: boolean;
  quantity: number;
  side: OrderSide;
  /** Required for STOP and STOP_LIMIT, absent otherwise. */
  stopPrice?: number | null | undefined;
  timeInForce?: TimeInForce;
  /** TRAILING_STOP(_LIMIT): the trail in price units; give this or trailingPercent. */
  trailingAmount?: number | null | undefined;
  /** TRAILING_STOP(_LIMIT): the trail in percent of the price; give this or trailingAmount. */
  trailingPercent?: number | null | undefined;
  /** MARKET_IF_TOUCHED / LIMIT_IF_TOUCHED: the price whose touch activates the order. */
  triggerPrice?: number | null | undefined;
  type: OrderType;
  /** Force an API; by default TWS when connected. */
  via?: BrokerApi | null | undefined;
};

export type SecType =
  | 'BAG'
  | 'BOND'
  | 'CASH'
  | 'CFD'
  | 'CRYPTO'
  | 'FOP'
  | 'FUND'
  | 'FUT'
  | 'IND'
  | 'OPT'
  | 'STK'
  | 'WAR';

export type SessionEventType =
  | 'AUTHENTICATED'
  | 'AWAITING_SECOND_FACTOR'
  | 'COMPETING'
  | 'CONNECTED'
  | 'DISCONNECTED'
  | 'EXPIRED'
  | 'LOGIN_ATTEMPT_FAILED'
  | 'LOGIN_FAILED'
  | 'LOGIN_REQUIRED'
  | 'REAUTH_FAILED'
  | 'RESTORED';

export type TimeInForce =
  | 'DAY'
  | 'FOK'
  | 'GTC'
  | 'GTD'
  | 'IOC'
  | 'OPG';

export type TradingMode =
  | 'LIVE'
  | 'PAPER'
  | 'SIMULATED';

export type TwsState =
  | 'CONNECTED'
  | 'CONNECTING'
  | 'DISABLED'
  | 'DISCONNECTED';

export type AccountsQueryVariables = Exact<{ [key: string]: never; }>;


export type AccountsQuery = { accounts: Array<{ id: string, type: AccountType, currency: string | null, sources: Array<BrokerApi>, summary: { netLiquidation: number | null, totalCash: number | null, buyingPower: number | null, availableFunds: number | null, source: BrokerApi | null, asOf: string } | null }> };

export type PositionsQueryVariables = Exact<{
  accountId?: string | number | null | undefined;
}>;


export type PositionsQuery = { positions: Array<{ accountId: string, quantity: number, averageCost: number | null, marketPrice: number | null, marketValue: number | null, unrealizedPnl: number | null, realizedPnl: number | null, source: BrokerApi, asOf: string, contract: { conid: number, symbol: string, secType: SecType, exchange: string | null, currency: string } }> };

export type ComboOrderFieldsFragment = { id: string, clientOrderId: string | null, status: OrderStatus, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, contract: { conid: number, symbol: string, secType: SecType }, legs: Array<{ ratio: number, side: OrderSide, contract: { conid: number, localSymbol: string | null, lastTradeDate: string | null, strike: number | null, right: OptionRight | null } }> | null };

export type PlaceComboMutationVariables = Exact<{
  input: PlaceOrderInput;
}>;


export type PlaceComboMutation = { placeOrder: { order: { id: string, clientOrderId: string | null, status: OrderStatus, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, contract: { conid: number, symbol: string, secType: SecType }, legs: Array<{ ratio: number, side: OrderSide, contract: { conid: number, localSymbol: string | null, lastTradeDate: string | null, strike: number | null, right: OptionRight | null } }> | null } | null } };

export type ModifyComboMutationVariables = Exact<{
  id: string | number;
  input: ModifyOrderInput;
}>;


export type ModifyComboMutation = { modifyOrder: { id: string, clientOrderId: string | null, status: OrderStatus, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, contract: { conid: number, symbol: string, secType: SecType }, legs: Array<{ ratio: number, side: OrderSide, contract: { conid: number, localSymbol: string | null, lastTradeDate: string | null, strike: number | null, right: OptionRight | null } }> | null } };

export type ComboOrderQueryVariables = Exact<{
  id: string | number;
}>;


export type ComboOrderQuery = { order: { id: string, clientOrderId: string | null, status: OrderStatus, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, contract: { conid: number, symbol: string, secType: SecType }, legs: Array<{ ratio: number, side: OrderSide, contract: { conid: number, localSymbol: string | null, lastTradeDate: string | null, strike: number | null, right: OptionRight | null } }> | null } | null };

export type ComboUpdatesSubscriptionVariables = Exact<{
  accountId?: string | number | null | undefined;
}>;


export type ComboUpdatesSubscription = { orderUpdates: { type: OrderEventType, order: { id: string, status: OrderStatus, filledQuantity: number }, fill: { executionId: string, side: OrderSide, quantity: number, price: number, contract: { conid: number, localSymbol: string | null } } | null } };

export type OptionPositionsQueryVariables = Exact<{
  accountId?: string | number | null | undefined;
}>;


export type OptionPositionsQuery = { positions: Array<{ quantity: number, averageCost: number | null, realizedPnl: number | null, contract: { conid: number, secType: SecType, localSymbol: string | null } }> };

export type RealizedPnlQueryVariables = Exact<{
  id: string | number;
}>;


export type RealizedPnlQuery = { account: { summary: { realizedPnl: number | null } | null } | null };

export type ContractQueryVariables = Exact<{
  input: ContractInput;
  via?: BrokerApi | null | undefined;
}>;


export type ContractQuery = { contract: { conid: number, symbol: string, secType: SecType, exchange: string | null, currency: string, lastTradeDate: string | null, strike: number | null, right: OptionRight | null, multiplier: number | null, tradingClass: string | null, localSymbol: string | null, description: string | null, underlyingConid: number | null } };

export type SearchContractsQueryVariables = Exact<{
  symbol: string;
  secType?: SecType | null | undefined;
  via?: BrokerApi | null | undefined;
}>;


export type SearchContractsQuery = { searchContracts: Array<{ conid: number, symbol: string, secType: SecType, exchange: string | null, currency: string, lastTradeDate: string | null, strike: number | null, right: OptionRight | null, multiplier: number | null, tradingClass: string | null, localSymbol: string | null, description: string | null, underlyingConid: number | null }> };

export type OptionChainQueryVariables = Exact<{
  underlying: ContractInput;
  exchange?: string | null | undefined;
  via?: BrokerApi | null | undefined;
}>;


export type OptionChainQuery = { optionChain: Array<{ exchange: string, tradingClass: string, multiplier: number, expirations: Array<string>, strikes: Array<number>, underlying: { conid: number, symbol: string } }> };

export type ContractFieldsFragment = { conid: number, symbol: string, secType: SecType, exchange: string | null, currency: string, lastTradeDate: string | null, strike: number | null, right: OptionRight | null, multiplier: number | null, tradingClass: string | null, localSymbol: string | null, description: string | null, underlyingConid: number | null };

export type QuoteQueryVariables = Exact<{
  contract: ContractInput;
}>;


export type QuoteQuery = { quote: { bid: number | null, ask: number | null, last: number | null, bidSize: number | null, askSize: number | null, volume: number | null, close: number | null, delayed: boolean, source: BrokerApi, asOf: string, contract: { conid: number, symbol: string } } };

export type QuotesQueryVariables = Exact<{
  contracts: Array<ContractInput> | ContractInput;
}>;


export type QuotesQuery = { quotes: Array<{ bid: number | null, ask: number | null, last: number | null, source: BrokerApi, contract: { conid: number } }> };

export type BarsQueryVariables = Exact<{
  contract: ContractInput;
  barSize: BarSize;
  duration: string;
  end?: string | null | undefined;
  source?: BarSource | null | undefined;
  outsideRth?: boolean | null | undefined;
}>;


export type BarsQuery = { bars: Array<{ time: string, open: number, high: number, low: number, close: number, volume: number | null }> };

export type QuoteUpdatesSubscriptionVariables = Exact<{
  contracts: Array<ContractInput> | ContractInput;
}>;


export type QuoteUpdatesSubscription = { quotes: { bid: number | null, ask: number | null, last: number | null, delayed: boolean, source: BrokerApi, asOf: string, contract: { conid: number } } };

export type PositionUpdatesSubscriptionVariables = Exact<{
  accountId?: string | number | null | undefined;
}>;


export type PositionUpdatesSubscription = { positionUpdates: { accountId: string, quantity: number, averageCost: number | null, source: BrokerApi, contract: { conid: number, symbol: string } } };

export type AccountUpdatesSubscriptionVariables = Exact<{
  accountId?: string | number | null | undefined;
}>;


export type AccountUpdatesSubscription = { accountUpdates: { accountId: string | null, netLiquidation: number | null, totalCash: number | null, buyingPower: number | null, excessLiquidity: number | null, initMarginReq: number | null, maintMarginReq: number | null, equityWithLoan: number | null, grossPositionValue: number | null, dailyPnl: number | null, unrealizedPnl: number | null, realizedPnl: number | null, source: BrokerApi | null, asOf: string } };

export type OrderTermsFieldsFragment = { id: string, clientOrderId: string | null, type: OrderType, side: OrderSide, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, orderClass: OrderClass, trailingAmount: number | null, trailingPercent: number | null, trailStopPrice: number | null, triggerPrice: number | null, goodTillDate: string | null, outsideRth: boolean, ocaGroup: string | null, parentId: string | null };

export type PlaceOrderTermsMutationVariables = Exact<{
  input: PlaceOrderInput;
}>;


export type PlaceOrderTermsMutation = { placeOrder: { order: { id: string, clientOrderId: string | null, type: OrderType, side: OrderSide, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, orderClass: OrderClass, trailingAmount: number | null, trailingPercent: number | null, trailStopPrice: number | null, triggerPrice: number | null, goodTillDate: string | null, outsideRth: boolean, ocaGroup: string | null, parentId: string | null, children: Array<{ id: string, clientOrderId: string | null, type: OrderType, side: OrderSide, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, orderClass: OrderClass, trailingAmount: number | null, trailingPercent: number | null, trailStopPrice: number | null, triggerPrice: number | null, goodTillDate: string | null, outsideRth: boolean, ocaGroup: string | null, parentId: string | null }> } | null, confirmation: { replyId: string, messages: Array<string> } | null } };

export type OrderByClientOrderIdQueryVariables = Exact<{
  clientOrderId: string;
}>;


export type OrderByClientOrderIdQuery = { orderByClientOrderId: { id: string, clientOrderId: string | null, type: OrderType, side: OrderSide, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, orderClass: OrderClass, trailingAmount: number | null, trailingPercent: number | null, trailStopPrice: number | null, triggerPrice: number | null, goodTillDate: string | null, outsideRth: boolean, ocaGroup: string | null, parentId: string | null, children: Array<{ id: string, clientOrderId: string | null, type: OrderType, side: OrderSide, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, orderClass: OrderClass, trailingAmount: number | null, trailingPercent: number | null, trailStopPrice: number | null, triggerPrice: number | null, goodTillDate: string | null, outsideRth: boolean, ocaGroup: string | null, parentId: string | null }> } | null };

export type PreviewOrderMutationVariables = Exact<{
  input: PlaceOrderInput;
}>;


export type PreviewOrderMutation = { previewOrder: { commission: number | null, minCommission: number | null, maxCommission: number | null, commissionCurrency: string | null, initMarginChange: number | null, maintMarginChange: number | null, equityWithLoanAfter: number | null, initMarginAfter: number | null, maintMarginAfter: number | null, warnings: Array<string>, source: BrokerApi } };

export type CancelAllOrdersMutationVariables = Exact<{
  accountId: string | number;
  confirm: boolean;
}>;


export type CancelAllOrdersMutation = { cancelAllOrders: Array<{ id: string, clientOrderId: string | null, type: OrderType, side: OrderSide, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, averageFillPrice: number | null, source: BrokerApi, orderClass: OrderClass, trailingAmount: number | null, trailingPercent: number | null, trailStopPrice: number | null, triggerPrice: number | null, goodTillDate: string | null, outsideRth: boolean, ocaGroup: string | null, parentId: string | null }> };

export type OrderFieldsFragment = { id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } };

export type OrdersQueryVariables = Exact<{
  accountId?: string | number | null | undefined;
  status?: Array<OrderStatus> | OrderStatus | null | undefined;
}>;


export type OrdersQuery = { orders: Array<{ id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } }> };

export type OrderQueryVariables = Exact<{
  id: string | number;
}>;


export type OrderQuery = { order: { id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } } | null };

export type PlaceOrderMutationVariables = Exact<{
  input: PlaceOrderInput;
}>;


export type PlaceOrderMutation = { placeOrder: { order: { id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } } | null, confirmation: { replyId: string, messages: Array<string>, messageIds: Array<string> } | null } };

export type ConfirmOrderMutationVariables = Exact<{
  replyId: string | number;
  confirmed: boolean;
}>;


export type ConfirmOrderMutation = { confirmOrder: { order: { id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } } | null, confirmation: { replyId: string, messages: Array<string>, messageIds: Array<string> } | null } };

export type ModifyOrderMutationVariables = Exact<{
  id: string | number;
  input: ModifyOrderInput;
}>;


export type ModifyOrderMutation = { modifyOrder: { id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } } };

export type CancelOrderMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelOrderMutation = { cancelOrder: { id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } } };

export type OrderUpdatesSubscriptionVariables = Exact<{
  accountId?: string | number | null | undefined;
  afterSequence?: number | null | undefined;
}>;


export type OrderUpdatesSubscription = { orderUpdates: { sequence: number, type: OrderEventType, catchUp: boolean, at: string, order: { id: string, clientOrderId: string | null, accountId: string, side: OrderSide, type: OrderType, quantity: number, limitPrice: number | null, stopPrice: number | null, timeInForce: TimeInForce, status: OrderStatus, statusMessage: string | null, filledQuantity: number, remainingQuantity: number, averageFillPrice: number | null, source: BrokerApi, permId: string | null, brokerOrderId: string | null, createdAt: string, updatedAt: string, contract: { conid: number, symbol: string, secType: SecType } }, fill: { executionId: string, quantity: number, price: number, commission: number | null, at: string } | null } };

export type SessionQueryVariables = Exact<{ [key: string]: never; }>;


export type SessionQuery = { session: { mode: TradingMode, ready: boolean, clientPortal: { state: ClientPortalState, authenticated: boolean, competing: boolean, lastTickleAt: string | null, message: string | null, loginUrl: string | null }, tws: { state: TwsState, host: string | null, port: number | null, clientId: number | null, serverVersion: number | null, lastError: string | null } } };

export type ReauthenticateMutationVariables = Exact<{ [key: string]: never; }>;


export type ReauthenticateMutation = { reauthenticate: { ready: boolean, clientPortal: { state: ClientPortalState, message: string | null } } };

export type SessionEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type SessionEventsSubscription = { sessionEvents: { sequence: number, api: BrokerApi, type: SessionEventType, message: string | null, at: string, status: { ready: boolean, clientPortal: { state: ClientPortalState }, tws: { state: TwsState } } } };

export const ComboOrderFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ComboOrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"legs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ratio"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}},{"kind":"Field","name":{"kind":"Name","value":"lastTradeDate"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"right"}}]}}]}}]}}]} as unknown as DocumentNode<ComboOrderFieldsFragment, unknown>;
export const ContractFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ContractFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Contract"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}},{"kind":"Field","name":{"kind":"Name","value":"exchange"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"lastTradeDate"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"right"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}},{"kind":"Field","name":{"kind":"Name","value":"tradingClass"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"underlyingConid"}}]}}]} as unknown as DocumentNode<ContractFieldsFragment, unknown>;
export const OrderTermsFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderTermsFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"orderClass"}},{"kind":"Field","name":{"kind":"Name","value":"trailingAmount"}},{"kind":"Field","name":{"kind":"Name","value":"trailingPercent"}},{"kind":"Field","name":{"kind":"Name","value":"trailStopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"triggerPrice"}},{"kind":"Field","name":{"kind":"Name","value":"goodTillDate"}},{"kind":"Field","name":{"kind":"Name","value":"outsideRth"}},{"kind":"Field","name":{"kind":"Name","value":"ocaGroup"}},{"kind":"Field","name":{"kind":"Name","value":"parentId"}}]}}]} as unknown as DocumentNode<OrderTermsFieldsFragment, unknown>;
export const OrderFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<OrderFieldsFragment, unknown>;
export const AccountsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Accounts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accounts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"sources"}},{"kind":"Field","name":{"kind":"Name","value":"summary"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"netLiquidation"}},{"kind":"Field","name":{"kind":"Name","value":"totalCash"}},{"kind":"Field","name":{"kind":"Name","value":"buyingPower"}},{"kind":"Field","name":{"kind":"Name","value":"availableFunds"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]}}]}}]} as unknown as DocumentNode<AccountsQuery, AccountsQueryVariables>;
export const PositionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Positions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"positions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}},{"kind":"Field","name":{"kind":"Name","value":"exchange"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageCost"}},{"kind":"Field","name":{"kind":"Name","value":"marketPrice"}},{"kind":"Field","name":{"kind":"Name","value":"marketValue"}},{"kind":"Field","name":{"kind":"Name","value":"unrealizedPnl"}},{"kind":"Field","name":{"kind":"Name","value":"realizedPnl"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]}}]} as unknown as DocumentNode<PositionsQuery, PositionsQueryVariables>;
export const PlaceComboDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PlaceCombo"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PlaceOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"placeOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ComboOrderFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ComboOrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"legs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ratio"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}},{"kind":"Field","name":{"kind":"Name","value":"lastTradeDate"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"right"}}]}}]}}]}}]} as unknown as DocumentNode<PlaceComboMutation, PlaceComboMutationVariables>;
export const ModifyComboDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ModifyCombo"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ModifyOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"modifyOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ComboOrderFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ComboOrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"legs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ratio"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}},{"kind":"Field","name":{"kind":"Name","value":"lastTradeDate"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"right"}}]}}]}}]}}]} as unknown as DocumentNode<ModifyComboMutation, ModifyComboMutationVariables>;
export const ComboOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ComboOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ComboOrderFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ComboOrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"legs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ratio"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}},{"kind":"Field","name":{"kind":"Name","value":"lastTradeDate"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"right"}}]}}]}}]}}]} as unknown as DocumentNode<ComboOrderQuery, ComboOrderQueryVariables>;
export const ComboUpdatesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ComboUpdates"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderUpdates"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fill"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"executionId"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ComboUpdatesSubscription, ComboUpdatesSubscriptionVariables>;
export const OptionPositionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OptionPositions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"positions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}}]}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageCost"}},{"kind":"Field","name":{"kind":"Name","value":"realizedPnl"}}]}}]}}]} as unknown as DocumentNode<OptionPositionsQuery, OptionPositionsQueryVariables>;
export const RealizedPnlDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RealizedPnl"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"account"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"summary"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"realizedPnl"}}]}}]}}]}}]} as unknown as DocumentNode<RealizedPnlQuery, RealizedPnlQueryVariables>;
export const ContractDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Contract"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ContractInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"via"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"BrokerApi"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"contract"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}},{"kind":"Argument","name":{"kind":"Name","value":"via"},"value":{"kind":"Variable","name":{"kind":"Name","value":"via"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ContractFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ContractFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Contract"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}},{"kind":"Field","name":{"kind":"Name","value":"exchange"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"lastTradeDate"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"right"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}},{"kind":"Field","name":{"kind":"Name","value":"tradingClass"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"underlyingConid"}}]}}]} as unknown as DocumentNode<ContractQuery, ContractQueryVariables>;
export const SearchContractsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SearchContracts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"secType"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SecType"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"via"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"BrokerApi"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"searchContracts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}},{"kind":"Argument","name":{"kind":"Name","value":"secType"},"value":{"kind":"Variable","name":{"kind":"Name","value":"secType"}}},{"kind":"Argument","name":{"kind":"Name","value":"via"},"value":{"kind":"Variable","name":{"kind":"Name","value":"via"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ContractFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ContractFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Contract"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}},{"kind":"Field","name":{"kind":"Name","value":"exchange"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"lastTradeDate"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"right"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}},{"kind":"Field","name":{"kind":"Name","value":"tradingClass"}},{"kind":"Field","name":{"kind":"Name","value":"localSymbol"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"underlyingConid"}}]}}]} as unknown as DocumentNode<SearchContractsQuery, SearchContractsQueryVariables>;
export const OptionChainDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OptionChain"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"underlying"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ContractInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"exchange"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"via"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"BrokerApi"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionChain"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"underlying"},"value":{"kind":"Variable","name":{"kind":"Name","value":"underlying"}}},{"kind":"Argument","name":{"kind":"Name","value":"exchange"},"value":{"kind":"Variable","name":{"kind":"Name","value":"exchange"}}},{"kind":"Argument","name":{"kind":"Name","value":"via"},"value":{"kind":"Variable","name":{"kind":"Name","value":"via"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"underlying"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}}]}},{"kind":"Field","name":{"kind":"Name","value":"exchange"}},{"kind":"Field","name":{"kind":"Name","value":"tradingClass"}},{"kind":"Field","name":{"kind":"Name","value":"multiplier"}},{"kind":"Field","name":{"kind":"Name","value":"expirations"}},{"kind":"Field","name":{"kind":"Name","value":"strikes"}}]}}]}}]} as unknown as DocumentNode<OptionChainQuery, OptionChainQueryVariables>;
export const QuoteDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Quote"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"contract"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ContractInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"quote"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"contract"},"value":{"kind":"Variable","name":{"kind":"Name","value":"contract"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}}]}},{"kind":"Field","name":{"kind":"Name","value":"bid"}},{"kind":"Field","name":{"kind":"Name","value":"ask"}},{"kind":"Field","name":{"kind":"Name","value":"last"}},{"kind":"Field","name":{"kind":"Name","value":"bidSize"}},{"kind":"Field","name":{"kind":"Name","value":"askSize"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}},{"kind":"Field","name":{"kind":"Name","value":"close"}},{"kind":"Field","name":{"kind":"Name","value":"delayed"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]}}]} as unknown as DocumentNode<QuoteQuery, QuoteQueryVariables>;
export const QuotesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Quotes"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"contracts"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ContractInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"quotes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"contracts"},"value":{"kind":"Variable","name":{"kind":"Name","value":"contracts"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}}]}},{"kind":"Field","name":{"kind":"Name","value":"bid"}},{"kind":"Field","name":{"kind":"Name","value":"ask"}},{"kind":"Field","name":{"kind":"Name","value":"last"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}}]}}]} as unknown as DocumentNode<QuotesQuery, QuotesQueryVariables>;
export const BarsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Bars"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"contract"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ContractInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"barSize"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"BarSize"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"duration"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"end"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"source"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"BarSource"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"outsideRth"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"bars"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"contract"},"value":{"kind":"Variable","name":{"kind":"Name","value":"contract"}}},{"kind":"Argument","name":{"kind":"Name","value":"barSize"},"value":{"kind":"Variable","name":{"kind":"Name","value":"barSize"}}},{"kind":"Argument","name":{"kind":"Name","value":"duration"},"value":{"kind":"Variable","name":{"kind":"Name","value":"duration"}}},{"kind":"Argument","name":{"kind":"Name","value":"end"},"value":{"kind":"Variable","name":{"kind":"Name","value":"end"}}},{"kind":"Argument","name":{"kind":"Name","value":"source"},"value":{"kind":"Variable","name":{"kind":"Name","value":"source"}}},{"kind":"Argument","name":{"kind":"Name","value":"outsideRth"},"value":{"kind":"Variable","name":{"kind":"Name","value":"outsideRth"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"time"}},{"kind":"Field","name":{"kind":"Name","value":"open"}},{"kind":"Field","name":{"kind":"Name","value":"high"}},{"kind":"Field","name":{"kind":"Name","value":"low"}},{"kind":"Field","name":{"kind":"Name","value":"close"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}}]}}]}}]} as unknown as DocumentNode<BarsQuery, BarsQueryVariables>;
export const QuoteUpdatesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"QuoteUpdates"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"contracts"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ContractInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"quotes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"contracts"},"value":{"kind":"Variable","name":{"kind":"Name","value":"contracts"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}}]}},{"kind":"Field","name":{"kind":"Name","value":"bid"}},{"kind":"Field","name":{"kind":"Name","value":"ask"}},{"kind":"Field","name":{"kind":"Name","value":"last"}},{"kind":"Field","name":{"kind":"Name","value":"delayed"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]}}]} as unknown as DocumentNode<QuoteUpdatesSubscription, QuoteUpdatesSubscriptionVariables>;
export const PositionUpdatesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"PositionUpdates"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"positionUpdates"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}}]}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageCost"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}}]}}]} as unknown as DocumentNode<PositionUpdatesSubscription, PositionUpdatesSubscriptionVariables>;
export const AccountUpdatesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AccountUpdates"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accountUpdates"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"netLiquidation"}},{"kind":"Field","name":{"kind":"Name","value":"totalCash"}},{"kind":"Field","name":{"kind":"Name","value":"buyingPower"}},{"kind":"Field","name":{"kind":"Name","value":"excessLiquidity"}},{"kind":"Field","name":{"kind":"Name","value":"initMarginReq"}},{"kind":"Field","name":{"kind":"Name","value":"maintMarginReq"}},{"kind":"Field","name":{"kind":"Name","value":"equityWithLoan"}},{"kind":"Field","name":{"kind":"Name","value":"grossPositionValue"}},{"kind":"Field","name":{"kind":"Name","value":"dailyPnl"}},{"kind":"Field","name":{"kind":"Name","value":"unrealizedPnl"}},{"kind":"Field","name":{"kind":"Name","value":"realizedPnl"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"asOf"}}]}}]}}]} as unknown as DocumentNode<AccountUpdatesSubscription, AccountUpdatesSubscriptionVariables>;
export const PlaceOrderTermsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PlaceOrderTerms"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PlaceOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"placeOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderTermsFields"}},{"kind":"Field","name":{"kind":"Name","value":"children"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderTermsFields"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"confirmation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"replyId"}},{"kind":"Field","name":{"kind":"Name","value":"messages"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderTermsFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"orderClass"}},{"kind":"Field","name":{"kind":"Name","value":"trailingAmount"}},{"kind":"Field","name":{"kind":"Name","value":"trailingPercent"}},{"kind":"Field","name":{"kind":"Name","value":"trailStopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"triggerPrice"}},{"kind":"Field","name":{"kind":"Name","value":"goodTillDate"}},{"kind":"Field","name":{"kind":"Name","value":"outsideRth"}},{"kind":"Field","name":{"kind":"Name","value":"ocaGroup"}},{"kind":"Field","name":{"kind":"Name","value":"parentId"}}]}}]} as unknown as DocumentNode<PlaceOrderTermsMutation, PlaceOrderTermsMutationVariables>;
export const OrderByClientOrderIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OrderByClientOrderId"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"clientOrderId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderByClientOrderId"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"clientOrderId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"clientOrderId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderTermsFields"}},{"kind":"Field","name":{"kind":"Name","value":"children"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderTermsFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderTermsFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"orderClass"}},{"kind":"Field","name":{"kind":"Name","value":"trailingAmount"}},{"kind":"Field","name":{"kind":"Name","value":"trailingPercent"}},{"kind":"Field","name":{"kind":"Name","value":"trailStopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"triggerPrice"}},{"kind":"Field","name":{"kind":"Name","value":"goodTillDate"}},{"kind":"Field","name":{"kind":"Name","value":"outsideRth"}},{"kind":"Field","name":{"kind":"Name","value":"ocaGroup"}},{"kind":"Field","name":{"kind":"Name","value":"parentId"}}]}}]} as unknown as DocumentNode<OrderByClientOrderIdQuery, OrderByClientOrderIdQueryVariables>;
export const PreviewOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PreviewOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PlaceOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"previewOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"commission"}},{"kind":"Field","name":{"kind":"Name","value":"minCommission"}},{"kind":"Field","name":{"kind":"Name","value":"maxCommission"}},{"kind":"Field","name":{"kind":"Name","value":"commissionCurrency"}},{"kind":"Field","name":{"kind":"Name","value":"initMarginChange"}},{"kind":"Field","name":{"kind":"Name","value":"maintMarginChange"}},{"kind":"Field","name":{"kind":"Name","value":"equityWithLoanAfter"}},{"kind":"Field","name":{"kind":"Name","value":"initMarginAfter"}},{"kind":"Field","name":{"kind":"Name","value":"maintMarginAfter"}},{"kind":"Field","name":{"kind":"Name","value":"warnings"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}}]}}]} as unknown as DocumentNode<PreviewOrderMutation, PreviewOrderMutationVariables>;
export const CancelAllOrdersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelAllOrders"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"confirm"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelAllOrders"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}},{"kind":"Argument","name":{"kind":"Name","value":"confirm"},"value":{"kind":"Variable","name":{"kind":"Name","value":"confirm"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderTermsFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderTermsFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"orderClass"}},{"kind":"Field","name":{"kind":"Name","value":"trailingAmount"}},{"kind":"Field","name":{"kind":"Name","value":"trailingPercent"}},{"kind":"Field","name":{"kind":"Name","value":"trailStopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"triggerPrice"}},{"kind":"Field","name":{"kind":"Name","value":"goodTillDate"}},{"kind":"Field","name":{"kind":"Name","value":"outsideRth"}},{"kind":"Field","name":{"kind":"Name","value":"ocaGroup"}},{"kind":"Field","name":{"kind":"Name","value":"parentId"}}]}}]} as unknown as DocumentNode<CancelAllOrdersMutation, CancelAllOrdersMutationVariables>;
export const OrdersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Orders"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"OrderStatus"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orders"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<OrdersQuery, OrdersQueryVariables>;
export const OrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Order"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<OrderQuery, OrderQueryVariables>;
export const PlaceOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PlaceOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PlaceOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"placeOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"confirmation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"replyId"}},{"kind":"Field","name":{"kind":"Name","value":"messages"}},{"kind":"Field","name":{"kind":"Name","value":"messageIds"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<PlaceOrderMutation, PlaceOrderMutationVariables>;
export const ConfirmOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ConfirmOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"replyId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"confirmed"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"confirmOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"replyId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"replyId"}}},{"kind":"Argument","name":{"kind":"Name","value":"confirmed"},"value":{"kind":"Variable","name":{"kind":"Name","value":"confirmed"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"confirmation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"replyId"}},{"kind":"Field","name":{"kind":"Name","value":"messages"}},{"kind":"Field","name":{"kind":"Name","value":"messageIds"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ConfirmOrderMutation, ConfirmOrderMutationVariables>;
export const ModifyOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ModifyOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ModifyOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"modifyOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ModifyOrderMutation, ModifyOrderMutationVariables>;
export const CancelOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<CancelOrderMutation, CancelOrderMutationVariables>;
export const OrderUpdatesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OrderUpdates"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderUpdates"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"accountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"accountId"}}},{"kind":"Argument","name":{"kind":"Name","value":"afterSequence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"catchUp"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OrderFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fill"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"executionId"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"commission"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OrderFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"accountId"}},{"kind":"Field","name":{"kind":"Name","value":"contract"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conid"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"secType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"limitPrice"}},{"kind":"Field","name":{"kind":"Name","value":"stopPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"averageFillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"permId"}},{"kind":"Field","name":{"kind":"Name","value":"brokerOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<OrderUpdatesSubscription, OrderUpdatesSubscriptionVariables>;
export const SessionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mode"}},{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"clientPortal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"authenticated"}},{"kind":"Field","name":{"kind":"Name","value":"competing"}},{"kind":"Field","name":{"kind":"Name","value":"lastTickleAt"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"loginUrl"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tws"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"clientId"}},{"kind":"Field","name":{"kind":"Name","value":"serverVersion"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}}]}}]}}]}}]} as unknown as DocumentNode<SessionQuery, SessionQueryVariables>;
export const ReauthenticateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Reauthenticate"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reauthenticate"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"clientPortal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ReauthenticateMutation, ReauthenticateMutationVariables>;
export const SessionEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"SessionEvents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sessionEvents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"api"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"status"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"clientPortal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}}]}},{"kind":"Field","name":{"kind":"Name","value":"tws"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SessionEventsSubscription, SessionEventsSubscriptionVariables>;