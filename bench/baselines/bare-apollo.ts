import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { DateTimeResolver } from "graphql-scalars";

/** The Position and account-summary parts of the product schema, as plain SDL. */
const TYPE_DEFS = `#graphql
  scalar DateTime
  enum SecType { STK OPT FUT FOP CASH IND BOND CFD CRYPTO FUND WAR BAG }
  enum BrokerApi { TWS CLIENT_PORTAL }
  type Contract { conid: Int! symbol: String! secType: SecType! exchange: String currency: String! }
  type Position {
    accountId: ID!
    contract: Contract!
    quantity: Float!
    averageCost: Float
    marketPrice: Float
    marketValue: Float
    unrealizedPnl: Float
    realizedPnl: Float
    source: BrokerApi!
    asOf: DateTime!
  }
  type AccountSummary { netLiquidation: Float }
  type Account { id: ID! summary: AccountSummary }
  type Query { positions: [Position!]! accounts: [Account!]! }
`;

export interface BareApollo {
  url: string;
  stop(): Promise<void>;
}

/**
 * Baseline of the cached-read figure: Apollo Server 5 on express 5, as its documentation sets it up, answering
 * queries with constants (the rows the real server returned), so it does the GraphQL and HTTP work and
 * nothing else.
 */
export async function startBareApollo(constants: {
  positions?: unknown[];
  accounts?: unknown[];
}): Promise<BareApollo> {
  const app = express();
  const httpServer = createServer(app);
  const apollo = new ApolloServer({
    typeDefs: TYPE_DEFS,
    resolvers: {
      DateTime: DateTimeResolver,
      Query: { positions: () => constants.positions ?? [], accounts: () => constants.accounts ?? [] },
    },
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  app.use("/graphql", express.json(), expressMiddleware(apollo));
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/graphql`, stop: () => apollo.stop() };
}
