import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createBrokerage, type Brokerage, type BrokerageOptions } from "../brokerage";
import { silentLogger, type Logger } from "../../logger";
import type { TwsFaultControl } from "../control";
import { createApiRoutes, type ApiState, type Reply, type Route } from "./cp-api-routes";
import { createContractRoutes } from "./cp-contract-routes";
import { createControlRoutes, type ControlRoute } from "./cp-control-routes";
import { createMarketDataRoutes } from "./cp-market-data-routes";
import { type CpQuestionOptions, createReplyBook } from "./cp-orders";
import { createRateLimiter, type CpRateLimitOptions } from "./cp-rate-limiter";
import { authStatusJson, type CpIdentity, DEFAULT_IDENTITY } from "./cp-responses";
import { createCpSession, type CpSessionSnapshot, type CpSessionState } from "./cp-session";
import { loadTls, type CpTlsOptions } from "./cp-tls";
import { createCpWebSocketServer } from "./cp-websocket";
import { CpLoginGate, type CpLoginAttempt } from "./cp-login-gate";
import type { LoginPageVersion } from "./login-page";

export interface ClientPortalSimulatorOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** The shared book; when absent the simulator creates (and on stop closes) its own. */
  brokerage?: Brokerage;
  /** Options of the brokerage the simulator creates when none is given. */
  brokerageOptions?: BrokerageOptions;
  /** Certificate and key; by default a fresh self-signed one for localhost + 127.0.0.1. */
  tls?: CpTlsOptions;
  /** `auto` starts logged in; `manual` starts logged out, waiting for a browser login. @default "auto" */
  login?: "auto" | "manual";
  /** The brokerage session dies after this long without a request. @default 300_000 */
  idleTimeoutMs?: number;
  /** The SSO login dies after this long without a request. @default 600_000 */
  ssoTimeoutMs?: number;
  /** Hard limit of one login. @default 86_400_000 */
  maxSessionMs?: number;
  /** Delay from ssodh/init or reauthenticate to a usable brokerage session. @default 1_000 */
  reauthDelayMs?: number;
  /** Local time `HH:MM` of the daily reset that ends every login; null disables it. @default "01:00" */
  dailyResetTime?: string | null;
  /** IB's rate limits by default; `{ profile: "relaxed" }` or `"off"` for standalone use. */
  rateLimits?: CpRateLimitOptions;
  /**
   * How `/iserver/*` answers while the brokerage session is not open. 401 `{"error":"no bridge","statusCode":401}`
   * by default; 400 `{"error":"Bad Request: no bridge","statusCode":400}` is the variant ibind reports. @default 401
   */
  noBridgeStatus?: 401 | 400;
  questions?: CpQuestionOptions;
  /** Page size of `/portfolio/{accountId}/positions/{pageId}`. @default 100 */
  positionsPageSize?: number;
  /** Entries kept by the request log. @default 1_000 */
  requestLogSize?: number;
  /** Username, user id and server info the gateway reports. */
  identity?: Partial<CpIdentity>;
  /**
   * Accept only this user on the login page; by default any non-empty pair. With `totpSecret` (base32) the
   * login asks for the authenticator app's code after the password, as IB does for users with 2FA.
   */
  credentials?: { username: string; password: string; totpSecret?: string };
  /** The structure of the login page: IB's older (`user_name`) or current (`username`) one. @default "v2" */
  loginPage?: LoginPageVersion;
  /** Failed logins of one username before it is locked (until `/sim/reset`). @default 5 */
  loginLockoutAfter?: number;
  /** Show IB's IB Key advertisement (with its skip link) after a successful login. @default false */
  ibKeyPromo?: boolean;
  /** The TWS simulator's fault controls, exposed as `/sim/tws/*`. */
  twsControl?: TwsFaultControl;
  /** Clock, epoch ms; lets tests move time for idle expiry and rate windows. @default Date.now */
  now?: () => number;
  /** The WebSocket's `system` heartbeat period. @default 10_000 */
  wsHeartbeatMs?: number;
  /** @default a silent logger */
  logger?: Logger;
}

export interface CpRequestLogEntry {
  seq: number;
  /** ISO time the request arrived. */
  time: string;
  method: string;
  /** Path without the query string, e.g. `/v1/api/tickle`. */
  path: string;
  query: string;
  status: number;
  /** A POST of the login form: who, paper or live, which step, and how it ended (never a password or code). */
  login?: CpLoginAttempt;
}

export interface CpSessionInfo {
  state: CpSessionState;
  authenticated: boolean;
  competing: boolean;
  reauthenticating: boolean;
  ssoExpiresMs: number;
  lastLoss: string | null;
  /** ISO time until which every request gets 429, or null. */
  penaltyUntil: string | null;
  loginUrl: string;
  /** The paper/live switch of the current login; null when it did not come through the login page. */
  mode: "paper" | "live" | null;
}

/** The same operations as the `/sim` control API, for in-process callers. */
export interface CpSimulatorControl {
  session(): CpSessionInfo;
  /** The brokerage session idles out; SSO stays, so ssodh/init or reauthenticate restore it. */
  expire(): CpSessionInfo;
  /** A browser login: SSO plus brokerage session; `mode` as the page's paper/live switch (default: all accounts). */
  login(mode?: "paper" | "live"): CpSessionInfo;
  logout(): CpSessionInfo;
  /** Another platform takes the brokerage session (`competing: true`). */
  compete(): CpSessionInfo;
  /** The daily reset: every login ends. */
  dailyReset(): CpSessionInfo;
  requests(limit?: number): CpRequestLogEntry[];
  /**
   * The next `count` API requests matching `method` and `path` (below `/v1/api`, `*` for one segment) are
   * handled as usual (an order reaches the book) and then the connection is cut before the answer: a
   * transport failure after IB acted, as a dropped network or a gateway restart leaves it. Returns how many
   * are armed in all.
   */
  loseAnswers(method: string, path: string, count?: number): number;
  /** Back to the start: book, session, rate limits, suppressed questions, request log. */
  reset(): void;
}

export interface CpSimulator {
  /** `https://localhost:PORT`. */
  url: string;
  /** `url + "/v1/api"`. */
  apiBaseUrl: string;
  /** The browser login page. */
  loginUrl: string;
  port: number;
  /** The server certificate, to pin in clients (`new Agent({ connect: { ca: caPem } })`). */
  caPem: string;
  brokerage: Brokerage;
  control: CpSimulatorControl;
  stop(): Promise<void>;
}

const JSON_TYPE = "application/json; charset=utf-8";
const MAX_BODY = 1 << 20;

interface Compiled<R> {
  route: R;
  regex: RegExp;
  names: string[];
}

function compile<R extends { pattern: string }>(routes: R[]): Compiled<R>[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.pattern
      .split("/")
      .map((seg) => {
        if (seg.startsWith(":")) {
          names.push(seg.slice(1));
          return "([^/]+)";
        }
        return seg.replace(/[.+?^${}()|[\]\\*]/g, "\\$&");
      })
      .join("/");
    return { route, regex: new RegExp(`^${source}/?$`), names };
  });
}

function match<R extends { methods: readonly string[] }>(
  table: Compiled<R>[],
  method: string,
  path: string,
): { route: R; params: Record<string, string> } | "method" | undefined {
  let pathMatched = false;
  for (const c of table) {
    const m = c.regex.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (!c.route.methods.includes(method)) continue;
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return { route: c.route, params };
  }
  return pathMatched ? "method" : undefined;
}

function parseDailyReset(text: string): { hours: number; minutes: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const hours = Number(m?.[1]);
  const minutes = Number(m?.[2]);
  if (!m || hours > 23 || minutes > 59)
    throw new Error(`dailyResetTime must be HH:MM (got ${JSON.stringify(text)})`);
  return { hours, minutes };
}

function msUntilNext(at: { hours: number; minutes: number }, now: Date): number {
  const next = new Date(now);
  next.setHours(at.hours, at.minutes, 0, 0);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next.getTime() - now.getTime();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(
  text: string,
  contentType: string | undefined,
): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") return { ok: true, value: undefined };
  if (contentType?.includes("application/x-www-form-urlencoded")) {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Starts the simulated Client Portal Gateway: real HTTPS, the `/v1/api` endpoints with IB's shapes and quirks,
 * the session tiers and their expiry, IB's rate limits with the penalty box, a browser login page, and the
 * `/sim` control API.
 */
export async function startClientPortalSimulator(
  options: ClientPortalSimulatorOptions = {},
): Promise<CpSimulator> {
  const clock = options.now ?? Date.now;
  const log = options.logger ?? silentLogger();
  const ownsBrokerage = !options.brokerage;
  const brokerage = options.brokerage ?? createBrokerage(options.brokerageOptions);
  const identity: CpIdentity = { ...DEFAULT_IDENTITY, ...options.identity };
  const tls = await loadTls(options.tls);
  const dailyReset = options.dailyResetTime === undefined ? "01:00" : options.dailyResetTime;
  const dailyResetAt = dailyReset === null ? null : parseDailyReset(dailyReset);

  const session = createCpSession(
    {
      login: options.login,
      idleTimeoutMs: options.idleTimeoutMs,
      ssoTimeoutMs: options.ssoTimeoutMs,
      maxSessionMs: options.maxSessionMs,
      reauthDelayMs: options.reauthDelayMs,
    },
    clock,
  );
  const limiter = createRateLimiter(options.rateLimits);
  // The "no bridge" answer (SSO login present, brokerage session not open). Live gateways are seen answering
  // either 401 {"error":"no bridge","statusCode":401} (client-portal-api.md §2.3 and its state list, what IBeam's
  // and this project's session checks key on) or 400 with "Bad Request: no bridge" (ibind's IbkrClient._request
  // matches that text with status 400 and tells the user to call initialize_brokerage_session). The default is the
  // reference's 401, the same {error, statusCode} body IB uses for its other gateway errors; the 400 variant is an
  // option so that clients written against it can be exercised too.
  const noBridge: Reply =
    options.noBridgeStatus === 400
      ? { status: 400, body: { error: "Bad Request: no bridge", statusCode: 400 } }
      : { status: 401, body: { error: "no bridge", statusCode: 401 } };
  const replies = createReplyBook();
  const state: ApiState = {
    brokerage,
    session,
    replies,
    identity,
    questions: options.questions ?? {},
    positionsPageSize: options.positionsPageSize ?? 100,
    suppressed: new Set(),
    snapshotConids: new Set(),
    selectedAccount: brokerage.accounts()[0]!,
    createdAt: clock(),
    accounts: () => visibleAccounts(),
  };
  // A paper login sees the book's paper accounts (DU…, DF…), a live login the others: as at IB, where the
  // switch on the login page picks the user's paper or live side.
  function visibleAccounts(): string[] {
    const mode = session.snapshot(clock()).mode;
    const all = brokerage.accounts();
    if (mode === null) return all;
    return all.filter((a) => /^D/.test(a) === (mode === "paper"));
  }
  const gate = new CpLoginGate({
    version: options.loginPage,
    user: options.credentials,
    lockoutAfter: options.loginLockoutAfter,
    ibKeyPromo: options.ibKeyPromo,
  });
  // Suppressed questions, pre-flighted snapshots and the selected account live as long as one brokerage session.
  session.onBrokerageSession(() => {
    state.suppressed.clear();
    state.snapshotConids.clear();
    state.selectedAccount = visibleAccounts()[0] ?? brokerage.accounts()[0]!;
    replies.invalidate();
  });

  const apiRoutes = compile<Route>([
    ...createApiRoutes(state),
    ...createContractRoutes(state),
    ...createMarketDataRoutes(state),
  ]);
  const logSize = options.requestLogSize ?? 1_000;
  let requestLog: CpRequestLogEntry[] = [];
  let seq = 0;
  let url = "";

  function sessionInfo(): CpSessionInfo {
    const s = session.snapshot(clock());
    const penalty = limiter.penaltyUntil();
    return {
      state: s.state,
      authenticated: s.state === "AUTHENTICATED",
      competing: s.competing,
      reauthenticating: s.reauthenticating,
      ssoExpiresMs: s.ssoExpiresMs,
      lastLoss: s.lastLoss,
      penaltyUntil: penalty !== null && penalty > clock() ? new Date(penalty).toISOString() : null,
      loginUrl: `${url}/`,
      mode: s.mode,
    };
  }

  let lostAnswers: { method: string; pattern: RegExp; remaining: number }[] = [];
  const takeLostAnswer = (method: string, apiPath: string): boolean => {
    const armed = lostAnswers.find((l) => l.remaining > 0 && l.method === method && l.pattern.test(apiPath));
    if (!armed) return false;
    armed.remaining--;
    lostAnswers = lostAnswers.filter((l) => l.remaining > 0);
    return true;
  };
  const control: CpSimulatorControl = {
    session: sessionInfo,
    expire() {
      session.expire(clock());
      return sessionInfo();
    },
    login(mode) {
      session.login(clock(), mode ?? null);
      return sessionInfo();
    },
    logout() {
      session.logout("logout (simulator control)");
      return sessionInfo();
    },
    compete() {
      session.compete(clock());
      return sessionInfo();
    },
    dailyReset() {
      session.logout("daily reset");
      return sessionInfo();
    },
    requests(limit) {
      if (limit === undefined) return [...requestLog];
      return limit <= 0 ? [] : requestLog.slice(-limit);
    },
    loseAnswers(method, path, count = 1) {
      const pattern = new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]+")}/?$`);
      lostAnswers.push({ method: method.toUpperCase(), pattern, remaining: count });
      return lostAnswers.reduce((sum, l) => sum + l.remaining, 0);
    },
    reset() {
      lostAnswers = [];
      brokerage.reset();
      limiter.reset();
      replies.invalidate();
      state.suppressed.clear();
      state.snapshotConids.clear();
      state.selectedAccount = visibleAccounts()[0] ?? brokerage.accounts()[0]!;
      session.reset(clock());
      gate.reset();
      requestLog = [];
    },
  };

  const controlRoutes = compile<ControlRoute>(
    createControlRoutes({
      brokerage,
      control,
      twsControl: options.twsControl,
      rateLimits: () => limiter.settings(),
    }),
  );

  function send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string;
    if (typeof reply.body === "string") {
      payload = reply.body;
      headers["content-type"] ??= "text/html; charset=utf-8";
    } else {
      payload = reply.body === undefined ? "" : JSON.stringify(reply.body);
      headers["content-type"] ??= JSON_TYPE;
    }
    headers["content-length"] = String(Buffer.byteLength(payload));
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  function handleApi(
    method: string,
    apiPath: string,
    query: URLSearchParams,
    body: unknown,
    hasLength: boolean,
    badJson: boolean,
  ): Reply {
    const now = clock();
    // IB (and Akamai in front of it) refuse POSTs without a length before anything else.
    if (method === "POST" && !hasLength) return { status: 411, body: "Length Required" };
    const verdict = limiter.check(method, apiPath, now);
    if (!verdict.ok) {
      log.debug({ apiPath, reason: verdict.reason }, "simulated gateway: rate limited");
      return { status: 429, body: { error: "Too Many Requests", statusCode: 429 } };
    }
    const found = match(apiRoutes, method, apiPath);
    if (!(typeof found === "object" && found.route.keepsPendingReply)) replies.invalidate();
    const snap: CpSessionSnapshot = session.onRequest(now);
    if (found === undefined) return { status: 404, body: { error: "Not Found", statusCode: 404 } };
    if (found === "method") return { status: 405, body: { error: "Method Not Allowed", statusCode: 405 } };
    const { route, params } = found;
    if (snap.state === "NO_SSO")
      return { status: 401, body: { error: "not authenticated", statusCode: 401 } };
    if (route.tier !== "sso" && route.tier !== "portfolio-primed" && snap.state !== "AUTHENTICATED") {
      return noBridge;
    }
    if (route.tier === "iserver-primed" && !session.flags.iserverAccountsQueried) {
      return { status: 500, body: { error: "Please query /accounts first" } };
    }
    if (route.tier === "portfolio-primed" && !session.flags.portfolioAccountsQueried) {
      return { status: 500, body: { error: "Please query /portfolio/accounts first" } };
    }
    // Rate limits and authentication come first, as at IB; only then does the body matter.
    if (badJson) return { status: 400, body: { error: "Bad Request: invalid JSON", statusCode: 400 } };
    return route.handler({ method, params, query, body, now, snap });
  }

  function handleLogin(method: string, path: string, body: unknown, entry?: CpRequestLogEntry): Reply {
    const loggedIn = session.snapshot(clock()).state !== "NO_SSO";
    if (method === "GET") {
      // Where the gateway sends a logged-in browser (and the IB Key advertisement's skip link leads).
      if (path === "/sso/Dispatcher" && loggedIn)
        return { status: 200, body: "<!doctype html><pre>Client login succeeds</pre>" };
      return gate.page(loggedIn);
    }
    const form = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const result = gate.submit(form, clock());
    if (entry) entry.login = result.attempt;
    if (result.login) {
      session.login(clock(), result.login);
      log.info({ mode: result.login, page: gate.version }, "simulated gateway: browser login");
    } else {
      log.info({ outcome: result.attempt.outcome, page: gate.version }, "simulated gateway: login refused");
    }
    return result.reply;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const parsedUrl = new URL(req.url ?? "/", "https://localhost");
    const path = parsedUrl.pathname;
    const isControl = path === "/sim" || path.startsWith("/sim/");
    let entry: CpRequestLogEntry | undefined;
    if (!isControl) {
      entry = {
        seq: ++seq,
        time: new Date(clock()).toISOString(),
        method,
        path,
        query: parsedUrl.search,
        status: 0,
      };
      requestLog.push(entry);
      if (requestLog.length > logSize) requestLog.splice(0, requestLog.length - logSize);
      const logged = entry;
      res.on("finish", () => (logged.status = res.statusCode));
    }

    let text: string;
    try {
      text = await readBody(req);
    } catch {
      send(res, { status: 413, body: { error: "Payload Too Large", statusCode: 413 } });
      return;
    }
    const parsed = parseBody(text, req.headers["content-type"]);

    if (isControl) {
      if (!parsed.ok) return send(res, { status: 400, body: { error: "invalid JSON body" } });
      const found = match(controlRoutes, method, path);
      if (found === undefined)
        return send(res, { status: 404, body: { error: `unknown control endpoint ${path}` } });
      if (found === "method")
        return send(res, { status: 405, body: { error: `${method} not allowed on ${path}` } });
      return send(
        res,
        found.route.handler({ body: parsed.value, query: parsedUrl.searchParams, params: found.params }),
      );
    }

    const apiPrefix = /^\/v1\/(api|portal)(?=\/|$)/.exec(path);
    if (apiPrefix) {
      const apiPath = path.slice(apiPrefix[0].length) || "/";
      const hasLength = req.headers["content-length"] !== undefined;
      const body = parsed.ok ? parsed.value : undefined;
      const reply = handleApi(method, apiPath, parsedUrl.searchParams, body, hasLength, !parsed.ok);
      if (takeLostAnswer(method, apiPath)) {
        // Handled (the book has the order), answer lost: the connection drops before a byte of it.
        log.info({ method, apiPath }, "simulated gateway: answer lost (fault)");
        req.socket.destroy();
        return;
      }
      return send(res, reply);
    }

    if (
      (path === "/" || path === "/sso/Login" || path === "/sso/Dispatcher") &&
      (method === "GET" || method === "POST")
    ) {
      return send(res, handleLogin(method, path, parsed.ok ? parsed.value : undefined, entry));
    }
    if (path === "/favicon.ico") return send(res, { status: 404, body: "" });
    send(res, { status: 404, body: { error: "Not Found", statusCode: 404 } });
  }

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, "simulated gateway: request failed");
      if (!res.headersSent)
        send(res, { status: 500, body: { error: "Internal Server Error", statusCode: 500 } });
      else res.destroy();
    });
  });
  const wsServer = createCpWebSocketServer({
    brokerage,
    session,
    identity,
    clock,
    logger: log,
    heartbeatMs: options.wsHeartbeatMs,
    log(e) {
      requestLog.push({ seq: ++seq, time: new Date(clock()).toISOString(), ...e });
      if (requestLog.length > logSize) requestLog.splice(0, requestLog.length - logSize);
    },
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = new URL(req.url ?? "/", "https://localhost").pathname;
    if (/^\/v1\/(api|portal)\/ws\/?$/.test(path)) wsServer.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  const sockets = new Set<Socket>();
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost =
    host === "127.0.0.1" || host === "localhost" || host === "0.0.0.0" || host === "::" ? "localhost" : host;
  url = `https://${urlHost}:${port}`;

  let resetTimer: NodeJS.Timeout | undefined;
  function scheduleDailyReset(): void {
    if (!dailyResetAt) return;
    resetTimer = setTimeout(
      () => {
        control.dailyReset();
        log.info("simulated gateway: daily reset, every login ended");
        scheduleDailyReset();
      },
      msUntilNext(dailyResetAt, new Date()),
    );
    resetTimer.unref();
  }
  scheduleDailyReset();
  log.info(
    { url, state: authStatusJson(session.snapshot(clock()), identity).authenticated },
    "simulated gateway up",
  );

  let stopped: Promise<void> | undefined;
  return {
    url,
    apiBaseUrl: `${url}/v1/api`,
    loginUrl: `${url}/`,
    port,
    caPem: tls.cert,
    brokerage,
    control,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (resetTimer) clearTimeout(resetTimer);
        session.close();
        wsServer.close();
        if (ownsBrokerage) brokerage.close();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
