import { AccountResolver } from "./account.resolver";
import { MarketDataResolver } from "./market-data.resolver";
import { ContractResolver } from "./contract.resolver";
import { OrderResolver } from "./order.resolver";
import { PositionResolver } from "./position.resolver";
import { SessionResolver } from "./session.resolver";

export const resolvers = [
  SessionResolver,
  AccountResolver,
  PositionResolver,
  OrderResolver,
  MarketDataResolver,
  ContractResolver,
] as const;
export type { AppContext } from "./context";
