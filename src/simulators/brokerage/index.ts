export {
  createBrokerage,
  type Brokerage,
  type BrokerageOptions,
  type SimCommissionSchedule,
  type SimOrderFilter,
} from "./brokerage";
export {
  TERMINAL_SIM_STATUSES,
  type SimAccountValues,
  type SimApi,
  type SimBrokerageEvents,
  type SimChangeResult,
  type SimComboLeg,
  type SimComboLegRequest,
  type SimCommissionReport,
  type SimEventName,
  type SimExecution,
  type SimModifyRequest,
  type SimOrder,
  type SimOrderChange,
  type SimOrderRefStats,
  type SimOrderStatus,
  type SimOrderType,
  type SimPlaceOrderRequest,
  type SimPlaceResult,
  type SimPnl,
  type SimPosition,
  type SimPositionPnl,
  type SimQuote,
  type SimReject,
  type SimRejectCode,
  type SimSettlement,
  type SimSide,
  type SimTimeInForce,
} from "./brokerage.types";
export {
  blackScholes,
  impliedVolatility,
  smileVolatility,
  valueOption,
  type OptionValuation,
} from "./option-pricing";
export { netMid } from "./combos";
export { nextOpenAfter } from "./expiry";
export { occSymbol, optionExpiries, strikesAround } from "./options-universe";
export {
  DEFAULT_INSTRUMENTS,
  rightCode,
  type InstrumentQuery,
  type SimInstrument,
  type SimSecType,
} from "./instruments";
export type { SimBar, SimBarRequest, SimBarSource, SimMarketData, SimOptionComputation } from "./market-data";
