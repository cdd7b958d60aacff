import { createServer, type IncomingMessage, type Server } from "node:http";
import { isIP, type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type NextFunction, type Request, type Response } from "express";
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { checkToken, type AuthOptions } from "./auth";
import type { BrokerService } from "./brokers";
import type { Config, LandingPage } from "./config/config";
import { ErrorCode } from "./errors";
import { formatGraphQLError, withoutSuggestions } from "./graphql-errors";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import { graphiqlLandingPage, mountUi } from "./landing";
import { playgroundLandingPage } from "./landing/playground";
import { checkComplexity, complexityPlugin, DEFAULT_QUERY_LIMITS, depthRule } from "./query-limits";
import { SubscriptionEngine } from "./subscriptions";
import type { AppContext } from "./resolvers";
import { buildAppSchema } from "./build-schema";

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
  /**
   * Browser origins (`https://app.example.com`) whose pages may open the WebSocket and call over HTTP
   * (CORS). The server's own origin is always allowed, and clients that send no `Origin` (not browsers)
   * are not concerned. @default []
   */
  allowedOrigins?: readonly string[];
  /**
   * `Host` names accepted besides the bound address, `localhost`, `127.0.0.1` and `[::1]` (and, when bound
   * to every interface, any IP address): the names clients use to reach this server. `*` accepts any.
   * Anything else is refused with 403, which is what defeats DNS rebinding. @default []
   */
  allowedHosts?: readonly string[];
  /** Introspection and "Did you mean" hints, over both transports. @default NODE_ENV !== "production" */
  introspection?: boolean;
  /** Caps on WebSocket clients. */
  wsLimits?: Partial<WsLimits>;
  /**
   * Runs on each authorized POST /graphql with its parsed body, before Apollo: a standby of a shared
   * deployment answers mutations by forwarding them to the leader (src/cluster/mutation-forwarder.ts).
   */
  forwardMutations?: (req: Request, res: Response, next: NextFunction) => void;
}

export interface WsLimits {
  /** Largest WebSocket message, like the HTTP body limit; larger frames close the socket (1009). @default 262144 */
  maxPayload: number;
  /** All WebSocket connections together. @default 1000 */
  maxConnections: number;
  /** WebSocket connections from one remote address. @default 32 */
  maxConnectionsPerAddress: number;
  /** Operations in flight on one connection (subscriptions and queries alike). @default 100 */
  maxSubscriptionsPerConnection: number;
  /** Bytes queued for a client that does not read; past this its connection is closed (1013). @default 4 MiB */
  maxBufferedBytes: number;
}

export const DEFAULT_WS_LIMITS: WsLimits = {
  maxPayload: 256 * 1024,
  maxConnections: 1000,
  maxConnectionsPerAddress: 32,
  maxSubscriptionsPerConnection: 100,
  maxBufferedBytes: 4 * 1024 * 1024,
};

/** Close code for a client that does not read what it asked for: "Try Again Later". */
export const CLOSE_SLOW_CONSUMER = 1013;

export interface RunningServer {
  httpUrl: string;
  wsUrl: string;
  httpServer: Server;
  /** WebSocket connections open now, upgrades in progress included. */
  readonly wsConnections: number;
  /** Finishes in-flight requests, closes subscribers with 1001, then closes the broker connections. */
  stop(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";

/** The server's share of the configuration: what `startApp` passes on besides the broker and auth. */
export function serverOptionsOf(
  config: Pick<
    Config,
    | "allowedOrigins"
    | "allowedHosts"
    | "introspection"
    | "wsMaxConnections"
    | "wsMaxConnectionsPerAddress"
    | "wsMaxOperations"
    | "wsMaxBufferedBytes"
  >,
): Pick<ServerOptions, "allowedOrigins" | "allowedHosts" | "introspection" | "wsLimits"> {
  return {
    allowedOrigins: config.allowedOrigins,
    allowedHosts: config.allowedHosts,
    introspection: config.introspection,
    wsLimits: {
      maxConnections: config.wsMaxConnections,
      maxConnectionsPerAddress: config.wsMaxConnectionsPerAddress,
      maxSubscriptionsPerConnection: config.wsMaxOperations,
      maxBufferedBytes: config.wsMaxBufferedBytes,
    },
  };
}

let cachedSchema: GraphQLSchema | undefined;
function schema(): GraphQLSchema {
  cachedSchema ??= buildAppSchema();
  return cachedSchema;
}

/** The host name of a `Host` header, lower case, without port or IPv6 brackets. */
function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.indexOf(":");
  const name = colon >= 0 && colon === h.lastIndexOf(":") ? h.slice(0, colon) : h;
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

function hostCheck(
  boundHost: string,
  allowedHosts: readonly string[],
): (host: string | undefined) => boolean {
  const bound = hostnameOf(boundHost);
  const wildcard = bound === "0.0.0.0" || bound === "::" || bound === "";
  const allowed = new Set(["localhost", "127.0.0.1", "::1", bound, ...allowedHosts.map(hostnameOf)]);
  return (host) => {
    // HTTP/1.0 clients may send none, and a browser always sends one: nothing to rebind.
    if (host === undefined) return true;
    const name = hostnameOf(host);
    if (allowed.has("*") || allowed.has(name)) return true;
    // DNS rebinding needs a name the attacker controls; an address literal names this machine itself.
    return wildcard && isIP(name) !== 0;
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, "");
}

function refusal(code: ErrorCode, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** Answers an upgrade request on its raw socket with an HTTP error and closes it. */
function refuseUpgrade(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  const body = JSON.stringify(refusal(code, message));
  const reason = status === 403 ? "Forbidden" : status === 429 ? "Too Many Requests" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
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
  const wsLimits: WsLimits = { ...DEFAULT_WS_LIMITS, ...options.wsLimits };
  const introspection = options.introspection ?? process.env.NODE_ENV !== "production";
  const hostAllowed = hostCheck(options.host ?? "127.0.0.1", options.allowedHosts ?? []);
  const allowedOrigins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const originAllowed = (origin: string | undefined, host: string | undefined): boolean => {
    if (origin === undefined) return true; // Not a browser: it could send any header anyway.
    const o = normalizeOrigin(origin);
    if (allowedOrigins.has("*") || allowedOrigins.has(o)) return true;
    try {
      const url = new URL(o);
      return (url.protocol === "http:" || url.protocol === "https:") && url.host === host?.toLowerCase();
    } catch {
      return false; // "null" (sandboxed frames, files) and garbage
    }
  };
  const format = introspection
    ? formatGraphQLError
    : (f: Parameters<typeof formatGraphQLError>[0], e: unknown) =>
        withoutSuggestions(formatGraphQLError(f, e));

  // `noServer`: every upgrade passes the Host, Origin and connection checks below before ws sees it, and
  // frames larger than the HTTP body limit are refused from their header, before they are buffered.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: wsLimits.maxPayload });
  const perAddress = new Map<string, number>();
  let connections = 0; // upgrades in progress included, unlike wsServer.clients
  httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "").split("?")[0];
    if (path !== GRAPHQL_PATH)
      return refuseUpgrade(socket, 400, ErrorCode.BAD_USER_INPUT, "No WebSocket here.");
    if (!hostAllowed(req.headers.host)) {
      return refuseUpgrade(socket, 403, ErrorCode.HOST_NOT_ALLOWED, "Host not allowed; see ALLOWED_HOSTS.");
    }
    if (!originAllowed(req.headers.origin, req.headers.host)) {
      return refuseUpgrade(
        socket,
        403,
        ErrorCode.ORIGIN_NOT_ALLOWED,
        "Origin not allowed; see ALLOWED_ORIGINS.",
      );
    }
    const address = req.socket.remoteAddress ?? "?";
    const fromAddress = perAddress.get(address) ?? 0;
    if (connections >= wsLimits.maxConnections || fromAddress >= wsLimits.maxConnectionsPerAddress) {
      return refuseUpgrade(
        socket,
        429,
        ErrorCode.TOO_MANY_CONNECTIONS,
        `Too many WebSocket connections (at most ${wsLimits.maxConnectionsPerAddress} per address, ` +
          `${wsLimits.maxConnections} in all); close some or use one connection for several subscriptions.`,
      );
    }
    perAddress.set(address, fromAddress + 1);
    connections++;
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      connections--;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    };
    socket.once("close", release);
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      ws.once("close", release);
      wsServer.emit("connection", ws, req);
      // graphql-ws prints every socket error with its stack on stderr; most are the client's doing (a frame
      // over maxPayload, a protocol violation), which ws has already answered with a close code.
      ws.removeAllListeners("error");
      ws.on("error", (err: Error & { code?: string }) => {
        if (err.code?.startsWith("WS_ERR_")) {
          logger.debug({ code: err.code, client: clientOf(req) }, "WebSocket protocol error");
          return;
        }
        logger.warn({ err, client: clientOf(req) }, "WebSocket error");
        if (ws.readyState === ws.OPEN) ws.close(CloseCode.InternalServerError, "Internal server error");
      });
    });
  });

  const limitRules = [depthRule()];
  const engine = new SubscriptionEngine(schema(), { extraRules: limitRules, introspection });
  // One shared refusal: a flood of subscribe messages must not cost a stack capture each.
  const tooManySubscriptions = [
    new GraphQLError(
      `Too many operations on this connection (at most ${wsLimits.maxSubscriptionsPerConnection}); ` +
        "complete some first.",
      { extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS } },
    ),
  ];
  const closeSlowConsumer = (socket: WebSocket) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.close(CLOSE_SLOW_CONSUMER, "Send buffer full: the client does not read its messages");
    // The close frame queues behind what the client does not read: do not wait for its handshake.
    setTimeout(() => socket.terminate(), 1000).unref();
  };
  const wsContext = (ctx: { extra: { request: IncomingMessage } }): AppContext => {
    const extra = ctx.extra as {
      grant?: { canTrade: boolean; principal: string };
      credential?: string;
      relayedBy?: string;
    };
    return {
      broker,
      caller: {
        client: `ws ${clientOf(ctx.extra.request)}`,
        canTrade: extra.grant?.canTrade ?? false,
        credential: extra.credential,
        relayedBy: extra.relayedBy,
      },
    };
  };
  const wsCleanup = useServer<
    Record<string, unknown> | undefined,
    { grant?: { canTrade: boolean; principal: string }; ops?: Set<string> }
  >(
    {
      schema: schema(),
      onConnect: (ctx) => {
        const params = ctx.connectionParams ?? {};
        const presented = params.authorization ?? params.Authorization ?? params.token;
        const grant = checkToken(auth, presented);
        if (!grant.ok) {
          ctx.extra.socket.close(
            CloseCode.Unauthorized,
            "Unauthorized: send the API token in connection params",
          );
          return false;
        }
        // Kept for a standby that relays this connection's market data to the leader as the caller's own.
        Object.assign(ctx.extra, {
          grant,
          credential: typeof presented === "string" ? presented : undefined,
          relayedBy: typeof params.relayedBy === "string" ? params.relayedBy : undefined,
        });
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        options.metrics?.recordOperation("subscription", "ws");
        // The ids accepted here, a superset of those still running: graphql-ws forgets finished ones in
        // `ctx.subscriptions`, so the set is pruned against it when full. Cheap for every message of a flood
        // (counting the keys of `ctx.subscriptions` each time is quadratic).
        const ops = (ctx.extra.ops ??= new Set<string>());
        if (ops.size >= wsLimits.maxSubscriptionsPerConnection) {
          for (const op of ops) if (!(op in ctx.subscriptions)) ops.delete(op);
          if (ops.size >= wsLimits.maxSubscriptionsPerConnection) {
            // Refusals take turns too: each costs a message to send.
            await engine.pacer.turn();
            return tooManySubscriptions;
          }
        }
        ops.add(id);
        if (ctx.extra.socket.bufferedAmount > wsLimits.maxBufferedBytes) {
          closeSlowConsumer(ctx.extra.socket);
          return [new GraphQLError("Send buffer full", { extensions: { code: ErrorCode.RATE_LIMITED } })];
        }
        // A burst of subscribe messages arrives in one read: take turns like deliveries do.
        await engine.pacer.turn();
        const document = engine.prepare(payload.query);
        if (!("kind" in document)) return document;
        try {
          checkComplexity(document, payload.operationName ?? undefined);
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
          const formatted = format(e.toJSON(), e);
          options.metrics?.recordError(String(formatted.extensions?.code));
          return formatted;
        }),
      onNext: (ctx, _id, _payload, _args, result) => {
        if (ctx.extra.socket.bufferedAmount > wsLimits.maxBufferedBytes) closeSlowConsumer(ctx.extra.socket);
        const formatted = formatResult(result as ExecutionResult, format);
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
  plugins.push(complexityPlugin());
  if (options.metrics) plugins.push(options.metrics.apolloPlugin());
  const landing = options.landingPage ?? "graphiql";
  if (landing === "graphiql") plugins.push(graphiqlLandingPage());
  else if (landing === "sandbox") plugins.push(ApolloServerPluginLandingPageLocalDefault({ embed: true }));
  else if (landing === "playground") plugins.push(playgroundLandingPage(GRAPHQL_PATH));
  else plugins.push(ApolloServerPluginLandingPageDisabled());

  const apollo = new ApolloServer<AppContext>({
    schema: schema(),
    plugins,
    formatError: format,
    introspection,
    hideSchemaDetailsFromClientErrors: !introspection,
    parseOptions: { maxTokens: DEFAULT_QUERY_LIMITS.maxTokens },
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

  app.use((req, res, next) => {
    if (hostAllowed(req.headers.host)) return next();
    res.status(403).json(refusal(ErrorCode.HOST_NOT_ALLOWED, "Host not allowed; see ALLOWED_HOSTS."));
  });
  // A frontend on another origin needs CORS, for the origins listed only; the WebSocket checks the same list.
  if (allowedOrigins.size > 0) {
    app.use((req, res, next) => {
      const origin = req.headers.origin;
      if (origin === undefined || !(allowedOrigins.has("*") || allowedOrigins.has(normalizeOrigin(origin)))) {
        return next();
      }
      res.vary("Origin");
      res.set("Access-Control-Allow-Origin", origin);
      if (req.method !== "OPTIONS") return next();
      res
        .set("Access-Control-Allow-Methods", "GET, POST")
        .set(
          "Access-Control-Allow-Headers",
          "content-type, authorization, apollo-require-preflight, x-apollo-operation-name, apollographql-client-name",
        )
        .set("Access-Control-Max-Age", "600")
        .status(204)
        .end();
    });
  }

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

  mountUi(app, {
    graphiql: landing === "graphiql",
    playground: landing === "playground",
    graphqlPath: GRAPHQL_PATH,
  });
  app.use(
    GRAPHQL_PATH,
    landingPageOrToken,
    express.json({ limit: "256kb" }),
    options.forwardMutations ?? ((_req: Request, _res: Response, next: NextFunction) => next()),
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

  // Malformed or oversized bodies are the client's doing: a coded 4xx, never express's default stack on stderr.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) {
      logger.error({ err }, "request failed");
      res.status(500).json(refusal(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error"));
      return;
    }
    const message =
      (err as { type?: string }).type === "entity.too.large" ? "Body too large" : "Malformed request body";
    res.status(status).json(refusal(ErrorCode.BAD_USER_INPUT, message));
  });

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
  return {
    httpUrl,
    wsUrl,
    httpServer,
    stop,
    get wsConnections() {
      return connections;
    },
  };
}

function formatResult(result: ExecutionResult, format: typeof formatGraphQLError): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((e) => format(e.toJSON(), e)) as unknown as ExecutionResult["errors"],
  };
}
