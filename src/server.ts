import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type NextFunction, type Request, type Response } from "express";
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { checkToken, type AuthOptions } from "./auth";
import type { BrokerService } from "./brokers";
import type { LandingPage } from "./config/config";
import { ErrorCode } from "./errors";
import { formatGraphQLError } from "./graphql-errors";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import { graphiqlLandingPage, mountUi } from "./landing";
import { playgroundLandingPage } from "./playground";
import { checkComplexity, complexityPlugin, depthRule } from "./query-limits";
import { SubscriptionEngine } from "./subscriptions";
import type { AppContext } from "./resolvers";
import { buildAppSchema } from "./schema/build-schema";

export interface ServerOptions {
  broker: BrokerService;
  logger: Logger;
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 4000 */
  port?: number;
  /** @default "graphiql" */
  landingPage?: LandingPage;
  auth?: AuthOptions;
  /** How long in-flight HTTP requests may take to finish on stop. @default 1000 */
  stopGraceMs?: number;
  /** Serves GET /metrics and counts operations and errors. */
  metrics?: Metrics;
  /** Test hook: called when a graphql-ws operation starts. */
  onSubscribe?: () => void;
}

export interface RunningServer {
  httpUrl: string;
  wsUrl: string;
  httpServer: Server;
  /** Finishes in-flight requests, closes subscribers with 1001, then closes the broker connections. */
  stop(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";

let cachedSchema: GraphQLSchema | undefined;
function schema(): GraphQLSchema {
  cachedSchema ??= buildAppSchema();
  return cachedSchema;
}

function clientOf(req: IncomingMessage): string {
  const name = req.headers["apollographql-client-name"] ?? req.headers["user-agent"] ?? "unknown";
  return `${req.socket.remoteAddress ?? "?"} ${String(name).slice(0, 80)}`;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { broker, logger } = options;
  const auth = options.auth ?? {};
  const app = express();
  app.disable("x-powered-by");
  const httpServer = createServer(app);
  // Upgraded (WebSocket) and half-open sockets are invisible to the HTTP server's own drain; track them all
  // so a stop can't hang on a client that never completes its close handshake.
  const sockets = new Set<Socket>();
  httpServer.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });

  const limitRules = [depthRule()];
  const engine = new SubscriptionEngine(schema(), limitRules);
  const wsContext = (ctx: { extra: { request: IncomingMessage } }): AppContext => {
    const grant = (ctx.extra as { grant?: { canTrade: boolean; principal: string } }).grant;
    return {
      broker,
      caller: { client: `ws ${clientOf(ctx.extra.request)}`, canTrade: grant?.canTrade ?? false },
    };
  };
  const wsCleanup = useServer<
    Record<string, unknown> | undefined,
    { grant?: { canTrade: boolean; principal: string } }
  >(
    {
      schema: schema(),
      onConnect: (ctx) => {
        const params = ctx.connectionParams ?? {};
        const grant = checkToken(auth, params.authorization ?? params.Authorization ?? params.token);
        if (!grant.ok) {
          ctx.extra.socket.close(
            CloseCode.Unauthorized,
            "Unauthorized: send the API token in connection params",
          );
          return false;
        }
        (ctx.extra as { grant?: unknown }).grant = grant;
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        options.metrics?.recordOperation("subscription", "ws");
        const document = engine.prepare(payload.query);
        if (!("kind" in document)) return document;
        try {
          checkComplexity(
            schema(),
            document,
            payload.variables ?? undefined,
            payload.operationName ?? undefined,
          );
        } catch (e) {
          return [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
        }
        options.onSubscribe?.();
        return {
          schema: schema(),
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: wsContext(ctx),
        };
      },
      subscribe: (args) => engine.subscribe(args),
      // Errors before execution (validation, variables) skip onNext; they need the same codes.
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => {
          const formatted = formatGraphQLError(e.toJSON(), e);
          options.metrics?.recordError(String(formatted.extensions?.code));
          return formatted;
        }),
      onNext: (_ctx, _id, _payload, _args, result) => {
        const formatted = formatResult(result as ExecutionResult);
        for (const e of formatted.errors ?? []) options.metrics?.recordError(String(e.extensions?.code));
        return formatted;
      },
    },
    wsServer,
  );

  const plugins: ApolloServerPlugin<AppContext>[] = [
    ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: options.stopGraceMs ?? 1000 }),
    {
      async serverWillStart() {
        return {
          async drainServer() {
            await wsCleanup.dispose();
          },
        };
      },
    },
  ];
  plugins.push(complexityPlugin(schema()));
  if (options.metrics) plugins.push(options.metrics.apolloPlugin());
  const landing = options.landingPage ?? "graphiql";
  if (landing === "graphiql") plugins.push(graphiqlLandingPage());
  else if (landing === "sandbox") plugins.push(ApolloServerPluginLandingPageLocalDefault({ embed: true }));
  else if (landing === "playground") plugins.push(playgroundLandingPage(GRAPHQL_PATH));
  else plugins.push(ApolloServerPluginLandingPageDisabled());

  const apollo = new ApolloServer<AppContext>({
    schema: schema(),
    plugins,
    formatError: formatGraphQLError,
    // main.ts owns SIGINT/SIGTERM: one orderly stop, then exit. Apollo's own handler would start a second.
    stopOnTerminationSignals: false,
    validationRules: limitRules,
    includeStacktraceInErrorResponses: process.env.NODE_ENV !== "production",
  });
  await apollo.start();

  const requireToken = (req: Request, res: Response, next: NextFunction) => {
    const grant = checkToken(auth, req.headers.authorization);
    if (!grant.ok) {
      res
        .status(401)
        .set("WWW-Authenticate", 'Bearer realm="ibkr-graphql"')
        .json({
          errors: [
            {
              message: "Unauthorized: send Authorization: Bearer <API_TOKEN>.",
              extensions: { code: ErrorCode.UNAUTHENTICATED },
            },
          ],
        });
      return;
    }
    res.locals.grant = grant;
    next();
  };

  app.get("/livez", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", (_req, res) => {
    const r = broker.readiness();
    res.status(r.ready ? 200 : 503).json(r);
  });
  const metrics = options.metrics;
  if (metrics) {
    app.get("/metrics", requireToken, async (_req, res) => {
      res.set("content-type", metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  // The landing page is static HTML a browser loads without headers; operations still need the token.
  const landingPageOrToken = (req: Request, res: Response, next: NextFunction) => {
    // Only an explicit browser page load; `*/*` or no Accept header would let operations slip through.
    // A GET with no parameters at all can only get the page (or a 400): `query`, and a persisted query's
    // `extensions` (Apollo runs those by hash alone), need the token.
    const wantsPage = req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
    if (wantsPage && Object.keys(req.query).length === 0) return next();
    requireToken(req, res, next);
  };

  mountUi(app, { graphiql: landing === "graphiql", graphqlPath: GRAPHQL_PATH });
  app.use(
    GRAPHQL_PATH,
    landingPageOrToken,
    express.json({ limit: "256kb" }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<AppContext> => ({
        broker,
        caller: {
          client: `http ${clientOf(req)}`,
          canTrade: (res.locals.grant as { canTrade?: boolean })?.canTrade ?? false,
        },
      }),
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 4000, options.host ?? "127.0.0.1", () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const addr = httpServer.address() as AddressInfo;
  const hostForUrl = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const httpUrl = `http://${hostForUrl}:${addr.port}${GRAPHQL_PATH}`;
  const wsUrl = `ws://${hostForUrl}:${addr.port}${GRAPHQL_PATH}`;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("stopping: finishing requests, closing subscribers and broker connections");
      const force = setTimeout(
        () => {
          for (const client of wsServer.clients) client.terminate();
          for (const socket of sockets) socket.destroy();
        },
        (options.stopGraceMs ?? 1000) + 200,
      );
      force.unref();
      await apollo.stop();
      clearTimeout(force);
      logger.debug("HTTP drained and subscribers closed");
      await broker.close();
      logger.debug("broker connections closed");
    })();
    return stopping;
  };
  return { httpUrl, wsUrl, httpServer, stop };
}

function formatResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((e) =>
      formatGraphQLError(e.toJSON(), e),
    ) as unknown as ExecutionResult["errors"],
  };
}
