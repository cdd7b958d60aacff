import { renderPlaygroundPage } from "@apollographql/graphql-playground-html";
import type { ApolloServerPlugin } from "@apollo/server";

/**
 * GraphQL Playground for queries and mutations. Its subscriptions speak the legacy protocol, which
 * graphql-ws does not: subscriptions need GraphiQL (the default) or any graphql-ws client.
 */
export function playgroundLandingPage(endpoint: string): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return {
            html: renderPlaygroundPage({ version: "1.7.42", endpoint, subscriptionEndpoint: endpoint }),
          };
        },
      };
    },
  };
}
