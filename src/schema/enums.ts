import { registerEnumType } from "type-graphql";

export enum TradingMode {
  SIMULATED = "SIMULATED",
  PAPER = "PAPER",
  LIVE = "LIVE",
}
export enum ClientPortalState {
  DISABLED = "DISABLED",
  UNREACHABLE = "UNREACHABLE",
  UNAUTHENTICATED = "UNAUTHENTICATED",
  AUTHENTICATED = "AUTHENTICATED",
  COMPETING = "COMPETING",
  EXPIRED = "EXPIRED",
  LOGIN_REQUIRED = "LOGIN_REQUIRED",
  /** The automatic login got past the password; IB asks for a second factor only a person can give. */
  AWAITING_SECOND_FACTOR = "AWAITING_SECOND_FACTOR",
  /** IB refused the automatic login (wrong password, locked user): stopped until reconfigured or reauthenticate. */
  LOGIN_FAILED = "LOGIN_FAILED",
}
export enum TwsState {
  DISABLED = "DISABLED",
  CONNECTING = "CONNECTING",
  CONNECTED = "CONNECTED",
  DISCONNECTED = "DISCONNECTED",
}
export enum AccountType {
  PAPER = "PAPER",
  LIVE = "LIVE",
}
export enum SecType {
  STK = "STK",
  OPT = "OPT",
  FUT = "FUT",
  FOP = "FOP",
  CASH = "CASH",
  IND = "IND",
  BOND = "BOND",
  CFD = "CFD",
  CRYPTO = "CRYPTO",
  FUND = "FUND",
  WAR = "WAR",
  BAG = "BAG",
}
export enum BrokerApi {
  TWS = "TWS",
  CLIENT_PORTAL = "CLIENT_PORTAL",
}
export enum OrderSide {
  BUY = "BUY",
  SELL = "SELL",
}
export enum OrderType {
  MARKET = "MARKET",
  LIMIT = "LIMIT",
  STOP = "STOP",
  STOP_LIMIT = "STOP_LIMIT",
  TRAILING_STOP = "TRAILING_STOP",
  TRAILING_STOP_LIMIT = "TRAILING_STOP_LIMIT",
  MARKET_ON_CLOSE = "MARKET_ON_CLOSE",
  LIMIT_ON_CLOSE = "LIMIT_ON_CLOSE",
  MARKET_IF_TOUCHED = "MARKET_IF_TOUCHED",
  LIMIT_IF_TOUCHED = "LIMIT_IF_TOUCHED",
  MIDPRICE = "MIDPRICE",
}
export enum TimeInForce {
  DAY = "DAY",
  GTC = "GTC",
  IOC = "IOC",
  OPG = "OPG",
  GTD = "GTD",
  FOK = "FOK",
}
/** How an order relates to others: alone, a bracket's parent or child, a member of a one-cancels-all group. */
export enum OrderClass {
  SIMPLE = "SIMPLE",
  BRACKET = "BRACKET",
  OCA = "OCA",
  COMBO = "COMBO",
}
export enum OrderStatus {
  PENDING_SUBMIT = "PENDING_SUBMIT",
  PRE_SUBMITTED = "PRE_SUBMITTED",
  SUBMITTED = "SUBMITTED",
  PARTIALLY_FILLED = "PARTIALLY_FILLED",
  FILLED = "FILLED",
  PENDING_CANCEL = "PENDING_CANCEL",
  CANCELLED = "CANCELLED",
  REJECTED = "REJECTED",
  INACTIVE = "INACTIVE",
}
export enum OrderEventType {
  NEW = "NEW",
  SUBMITTED = "SUBMITTED",
  PARTIAL_FILL = "PARTIAL_FILL",
  FILL = "FILL",
  MODIFIED = "MODIFIED",
  CANCELLED = "CANCELLED",
  REJECTED = "REJECTED",
  STATUS = "STATUS",
}
export enum SessionEventType {
  CONNECTED = "CONNECTED",
  DISCONNECTED = "DISCONNECTED",
  AUTHENTICATED = "AUTHENTICATED",
  EXPIRED = "EXPIRED",
  RESTORED = "RESTORED",
  COMPETING = "COMPETING",
  REAUTH_FAILED = "REAUTH_FAILED",
  LOGIN_REQUIRED = "LOGIN_REQUIRED",
  AWAITING_SECOND_FACTOR = "AWAITING_SECOND_FACTOR",
  LOGIN_FAILED = "LOGIN_FAILED",
  /** An automatic login failed for a passing reason (timeout, browser, page); the next one is scheduled. */
  LOGIN_ATTEMPT_FAILED = "LOGIN_ATTEMPT_FAILED",
  /** Another instance of a shared deployment took over the IB sessions (`status.cluster` names it). */
  LEADER_CHANGED = "LEADER_CHANGED",
}

/** Statuses after which IB will never change an order again. */
export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set([
  OrderStatus.FILLED,
  OrderStatus.CANCELLED,
  OrderStatus.REJECTED,
  OrderStatus.INACTIVE,
]);

/** This instance's part in a shared deployment (DATABASE_URL); see ClusterStatus. */
export enum InstanceRole {
  /** No DATABASE_URL: this instance is alone and owns the IB sessions. */
  SINGLE = "SINGLE",
  /** Holds the cluster's lock: the one instance that talks to IB. */
  LEADER = "LEADER",
  /** Serves reads and subscriptions from the shared store and forwards mutations to the leader. */
  STANDBY = "STANDBY",
}

const enums = {
  TradingMode,
  ClientPortalState,
  TwsState,
  AccountType,
  SecType,
  BrokerApi,
  OrderSide,
  OrderType,
  TimeInForce,
  OrderClass,
  OrderStatus,
  OrderEventType,
  SessionEventType,
  InstanceRole,
};
for (const [name, e] of Object.entries(enums)) registerEnumType(e, { name });
