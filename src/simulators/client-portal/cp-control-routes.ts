import type { Brokerage, SimQuote } from "../brokerage";
import { TWS_NOTICE_CODES, type TwsFaultControl } from "../control";
import type { Reply } from "./cp-api-routes";
import type { CpRateLimitSettings } from "./cp-rate-limiter";
import type { CpSimulatorControl } from "./cp-simulator";

export interface ControlRoute {
  methods: readonly string[];
  pattern: string;
  handler: (ctx: { body: unknown; query: URLSearchParams; params: Record<string, string> }) => Reply;
}

const ok = (body: unknown): Reply => ({ status: 200, body });

function clockView(r: ReturnType<Brokerage["advanceClock"]>): Record<string, unknown> {
  return {
    session: r.session,
    now: new Date(r.now).toISOString(),
    settled: r.settled.map((x) => ({
      account: x.account,
      conid: x.instrument.conid,
      localSymbol: x.instrument.localSymbol,
      quantity: x.quantity,
      price: x.price,
      realizedPnl: x.realizedPnl,
    })),
  };
}
const bad = (status: number, error: string): Reply => ({ status, body: { error } });

function record(body: unknown): Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** `/sim/*`: the control API for tests, demos and outside tools. Exempt from rate limits and the request log. */
export function createControlRoutes(deps: {
  brokerage: Brokerage;
  control: CpSimulatorControl;
  twsControl?: TwsFaultControl;
  /** The rate limits in force, shown by `GET /sim` so a user can see what the CLI flags chose. */
  rateLimits?: () => CpRateLimitSettings;
}): ControlRoute[] {
  const { brokerage, control, twsControl } = deps;

  const noTws = (): Reply =>
    bad(
      404,
      "No TWS simulator is attached to this Client Portal simulator, so /sim/tws/* has nothing to control.",
    );

  function setPrices(body: unknown): Reply {
    const b = record(body);
    const items = Array.isArray(body) ? body : Array.isArray(b.prices) ? b.prices : [body];
    const quotes: SimQuote[] = [];
    for (const item of items) {
      const r = record(item);
      const conid = Number(r.conid);
      const price = Number(r.price);
      if (!brokerage.findInstrument({ conid })) return bad(400, `unknown conid ${String(r.conid)}`);
      if (!Number.isFinite(price) || price <= 0)
        return bad(400, `price must be a positive number (got ${String(r.price)})`);
      quotes.push(brokerage.setPrice(conid, price));
    }
    return ok({ quotes });
  }

  const routes: ControlRoute[] = [
    {
      methods: ["GET"],
      pattern: "/sim",
      handler: () =>
        ok({
          endpoints: routes.flatMap((r) => r.methods.map((m) => `${m} ${r.pattern}`)),
          tws: twsControl ? "attached" : "not attached",
          ...(deps.rateLimits ? { rateLimits: deps.rateLimits() } : {}),
        }),
    },
    { methods: ["GET"], pattern: "/sim/session", handler: () => ok(control.session()) },
    { methods: ["POST"], pattern: "/sim/session/expire", handler: () => ok(control.expire()) },
    {
      methods: ["POST"],
      pattern: "/sim/session/login",
      handler: ({ body }) => {
        const mode = record(body).mode;
        if (mode !== undefined && mode !== "paper" && mode !== "live")
          return bad(400, 'mode must be "paper" or "live" (or absent: every account)');
        return ok(control.login(mode));
      },
    },
    { methods: ["POST"], pattern: "/sim/session/logout", handler: () => ok(control.logout()) },
    { methods: ["POST"], pattern: "/sim/session/compete", handler: () => ok(control.compete()) },
    { methods: ["POST"], pattern: "/sim/session/daily-reset", handler: () => ok(control.dailyReset()) },
    {
      methods: ["GET"],
      pattern: "/sim/prices",
      handler: () => ok({ quotes: brokerage.instruments().map((i) => brokerage.quote(i.conid)) }),
    },
    { methods: ["POST"], pattern: "/sim/prices", handler: ({ body }) => setPrices(body) },
    // The simulated trading day: `{ "advanceTo": "close" }` runs the closing auction (MOC/LOC) and ends
    // regular hours; `{ "advanceTo": "open" }` starts them again. Simulated time moves overnight with
    // `{ "advanceTo": "nextOpen" }` (the close, then the clock to the next weekday's 14:30 UTC open) or
    // `{ "advanceDays": n }` (the close, n × 24 h, the open); options whose expiry the clock passed settle at
    // intrinsic value on the way (`settled`).
    {
      methods: ["GET"],
      pattern: "/sim/clock",
      handler: () => ok({ session: brokerage.session(), now: new Date(brokerage.now()).toISOString() }),
    },
    {
      methods: ["POST"],
      pattern: "/sim/clock",
      handler: ({ body }) => {
        const b = record(body);
        const to = b.advanceTo;
        const days = b.advanceDays;
        if (days !== undefined) {
          if (to !== undefined) return bad(400, "give advanceTo or advanceDays, not both");
          if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > 366)
            return bad(400, "advanceDays must be a whole number of days from 1 to 366");
          return ok(clockView(brokerage.advanceClock({ days })));
        }
        if (to === "nextOpen") return ok(clockView(brokerage.advanceClock({})));
        if (to !== "close" && to !== "open")
          return bad(400, 'advanceTo must be "close", "open" or "nextOpen" (or give advanceDays)');
        return ok({ session: brokerage.advanceSession(to), now: new Date(brokerage.now()).toISOString() });
      },
    },
    {
      methods: ["POST"],
      pattern: "/sim/market-data/permissions",
      handler: ({ body }) => {
        const r = record(body);
        const conid = Number(r.conid);
        if (!brokerage.findInstrument({ conid })) return bad(400, `unknown conid ${String(r.conid)}`);
        if (typeof r.allowed !== "boolean") return bad(400, "allowed must be a boolean");
        brokerage.setMarketDataPermission(conid, r.allowed);
        return ok({ conid, allowed: r.allowed });
      },
    },
    {
      methods: ["GET"],
      pattern: "/sim/requests",
      handler: ({ query }) => {
        const limit = query.get("limit");
        return ok({
          requests: control.requests(limit === null ? undefined : Math.max(0, Number(limit) || 0)),
        });
      },
    },
    {
      methods: ["GET"],
      pattern: "/sim/orders",
      handler: () => {
        const stats = brokerage.orderRefStats();
        const submissions = new Map(stats.map((s) => [s.orderRef, s.submissions]));
        const orders = brokerage.listOrders().map((o) => ({
          orderId: o.permId,
          permId: o.permId,
          account: o.account,
          conid: o.instrument.conid,
          symbol: o.instrument.symbol,
          side: o.side,
          orderType: o.orderType,
          quantity: o.quantity,
          limitPrice: o.limitPrice,
          stopPrice: o.stopPrice,
          tif: o.tif,
          status: o.status,
          filled: o.filled,
          remaining: o.remaining,
          avgFillPrice: o.avgFillPrice,
          clientOrderId: o.orderRef,
          cOID: o.orderRef,
          orderRef: o.orderRef,
          api: o.api,
          twsClientId: o.twsClientId,
          twsOrderId: o.twsOrderId,
          timesPlaced: o.orderRef ? (submissions.get(o.orderRef) ?? 1) : 1,
          statusMessage: o.statusMessage,
          createdAt: new Date(o.createdAt).toISOString(),
          updatedAt: new Date(o.updatedAt).toISOString(),
        }));
        return ok({ orders, orderRefs: stats });
      },
    },
    {
      methods: ["POST"],
      pattern: "/sim/faults/lose-answer",
      handler: ({ body }) => {
        const b = record(body);
        const count = b.count ?? 1;
        if (typeof b.method !== "string" || typeof b.path !== "string" || !b.path.startsWith("/")) {
          return bad(
            400,
            'method and path are required, e.g. {"method":"POST","path":"/iserver/account/*/orders"}',
          );
        }
        if (typeof count !== "number" || !Number.isInteger(count) || count < 1) {
          return bad(400, "count must be a positive integer");
        }
        return ok({ armed: control.loseAnswers(b.method, b.path, count) });
      },
    },
    {
      methods: ["POST"],
      pattern: "/sim/reset",
      handler: () => {
        control.reset();
        return ok({ reset: true, session: control.session() });
      },
    },
    {
      methods: ["POST"],
      pattern: "/sim/tws/disconnect",
      handler: ({ body }) => {
        if (!twsControl) return noTws();
        const refuseMs = record(body).refuseMs;
        if (refuseMs !== undefined && (typeof refuseMs !== "number" || !(refuseMs >= 0))) {
          return bad(400, "refuseMs must be a non-negative number of milliseconds");
        }
        twsControl.disconnectAll(refuseMs === undefined ? undefined : { refuseMs });
        return ok({ disconnected: true, refuseMs: refuseMs ?? 0 });
      },
    },
    {
      methods: ["POST"],
      pattern: "/sim/tws/zombie",
      handler: ({ body }) => {
        if (!twsControl) return noTws();
        const enabled = record(body).enabled;
        if (enabled !== undefined && typeof enabled !== "boolean")
          return bad(400, "enabled must be a boolean");
        twsControl.setZombie(enabled ?? true);
        return ok({ zombie: enabled ?? true });
      },
    },
    {
      methods: ["POST"],
      pattern: "/sim/tws/notice",
      handler: ({ body }) => {
        if (!twsControl) return noTws();
        const code = record(body).code;
        if (typeof code !== "number" || !TWS_NOTICE_CODES.includes(code)) {
          return bad(400, `code must be one of ${TWS_NOTICE_CODES.join(", ")}`);
        }
        twsControl.sendNotice(code);
        return ok({ sent: code });
      },
    },
    {
      // For a process that runs the simulators apart (a shared deployment's tests): who opened which lines.
      methods: ["GET"],
      pattern: "/sim/tws/market-data",
      handler: () => (twsControl?.marketData ? ok(twsControl.marketData()) : noTws()),
    },
  ];
  return routes;
}
