import { AccountResolver } from "./account.resolver";
import { ContractResolver } from "./contract.resolver";
import { OrderResolver } from "./order.resolver";
import { PositionResolver } from "./position.resolver";
import { SessionResolver } from "./session.resolver";

export const resolvers = [
  SessionResolver,
  AccountResolver,
  PositionResolver,
  OrderResolver,
  ContractResolver,
] as const;
export type { AppContext } from "./context";
