import { registerEnumType } from "type-graphql";

/** The bar sizes IB serves (TWS `barSizeSetting`, Client Portal `bar`). */
export enum BarSize {
  SECONDS_5 = "SECONDS_5",
  MINUTE_1 = "MINUTE_1",
  MINUTE_5 = "MINUTE_5",
  MINUTE_15 = "MINUTE_15",
  MINUTE_30 = "MINUTE_30",
  HOUR_1 = "HOUR_1",
  DAY_1 = "DAY_1",
  WEEK_1 = "WEEK_1",
  MONTH_1 = "MONTH_1",
}

/** What a bar is made of (TWS `whatToShow`). */
export enum BarSource {
  TRADES = "TRADES",
  MIDPOINT = "MIDPOINT",
  BID = "BID",
  ASK = "ASK",
}

registerEnumType(BarSize, { name: "BarSize" });
registerEnumType(BarSource, { name: "BarSource" });
