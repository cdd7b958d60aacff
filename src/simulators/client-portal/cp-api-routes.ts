import type { Brokerage, SimOrder } from "../brokerage";
import { iserverAccountSummaryJson } from "./cp-contract-responses";
import { noteSearched } from "./cp-contract-routes";
import {
  type CpQuestionOptions,
  type ReplyBook,
  comboInstrumentOf,
  parseCpOrder,
  questionsFor,
  whatIfJson,
  type CpOrderFields,
} from "./cp-orders";
import {
  type CpIdentity,
  authStatusJson,
  contractInfoJson,
  iserverAccountsJson,
  ledgerJson,
  liveOrderJson,
  orderStatusJson,
  portfolioAccountJson,
  positionJson,
  secdefSearchJson,
  ssoValidateJson,
  summaryJson,
  tickleJson,
  tradeJson,
  trsrvSecdefJson,
  trsrvStockJson,
} from "./cp-responses";
import { boolParam, parseBool } from "./cp-params";
import type { CpSession, CpSessionSnapshot } from "./cp-session";

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  now: number;
  snap: CpSessionSnapshot;
}

/**
 * What a route needs before it runs: `sso` a login, `iserver` a brokerage session, `iserver-primed` also a
 * prior `/iserver/accounts`, `portfolio-primed` a prior `/portfolio/accounts`.
 */
export type Tier = "sso" | "iserver" | "iserver-primed" | "portfolio-primed";

export interface Route {
  methods: readonly string[];
  pattern: string;
  tier: Tier;
  /** The reply route must not invalidate the pending reply it answers. */
  keepsPendingReply?: boolean;
  handler: (ctx: RouteContext) => Reply;
}

export interface ApiState {
  brokerage: Brokerage;
  session: CpSession;
  replies: ReplyBook;
  identity: CpIdentity;
  questions: CpQuestionOptions;
  positionsPageSize: number;
  suppressed: Set<string>;
  /** Conids whose market-data snapshot was pre-flighted in this brokerage session. */
  snapshotConids: Set<number>;
  selectedAccount: string;
  createdAt: number;
  /** The accounts this login sees: the paper/live switch of the browser login chooses among the book's. */
  accounts(): string[];
}

const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, headers });
const fail = (status: number, error: string): Reply => ({ status, body: { error, statusCode: status } });
/** Business errors of the order endpoints: HTTP 200 with `error`, as IB does. */
const reject = (error: string): Reply => ({ status: 200, body: { error } });

function record(body: unknown): Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

export function createApiRoutes(st: ApiState): Route[] {
  const b = st.brokerage;

  function knownAccount(id: string | undefined): boolean {
    return id !== undefined && st.accounts().includes(id);
  }

  function placementBody(o: SimOrder): unknown[] {
    const status =
      o.status === "PendingSubmit"
        ? /^(STP|TRAIL|MIT|LIT|MOC|LOC)/.test(o.orderType)
          ? "PreSubmitted"
          : "Submitted"
        : o.status;
    return [{ order_id: String(o.permId), order_status: status, encrypt_message: "1" }];
  }

  function place(account: string, f: CpOrderFields): Reply {
    const r = b.placeOrder({
      account,
      contract: { conid: f.conid },
      side: f.side,
      orderType: f.orderType,
      quantity: f.quantity,
      limitPrice: f.limitPrice,
      stopPrice: f.stopPrice,
      tif: f.tif,
      outsideRth: f.outsideRth,
      trailingAmount: f.trailingAmount ?? null,
      trailingPercent: f.trailingPercent ?? null,
      trailStopPrice: f.orderType === "TRAIL" || f.orderType === "TRAIL LIMIT" ? f.stopPrice : null,
      // TRAILLMT's limit sits this far beyond its stop.
      limitOffset:
        f.orderType === "TRAIL LIMIT" && f.limitPrice != null && f.stopPrice != null
          ? Math.abs(f.limitPrice - f.stopPrice)
          : null,
      orderRef: f.cOID,
      api: "CP",
      rejectDuplicateOrderRef: true,
      legs: f.legs ?? null,
    });
    if (r.reject) {
      const prefix = r.reject.code === "DUPLICATE_ORDER_REF" ? "Order couldn't be submitted: " : "";
      return reject(prefix + r.reject.reason);
    }
    return ok(placementBody(r.order));
  }

  /**
   * A bracket in one request, as IB documents it: the parent first with a cOID, each child with `parentId`
   * set to that cOID. The children wait for the parent's fill and are one OCA group. IB's precautionary
   * questions are asked of the parent; the answer lists every order placed.
   */
  function placeGroup(account: string, list: unknown[]): Reply {
    if (!st.accounts().includes(account)) return reject(`Account ${account} is not valid for this session.`);
    const parsed = list.map(parseCpOrder);
    const bad = parsed.find((p) => p.error !== undefined);
    if (bad?.error !== undefined) return bad.status === 200 ? reject(bad.error) : fail(bad.status, bad.error);
    const fields = parsed.flatMap((p) => (p.error === undefined ? [p.fields] : []));
    const parentRef = fields[0]!.cOID;
    const children = list.slice(1).map((raw) => record(raw).parentId);
    if (!parentRef || children.some((ref) => ref !== parentRef)) {
      return reject(
        "Multiple orders in one request must be a bracket: children need parentId = the parent's cOID.",
      );
    }
    const instrument = b.findInstrument({ conid: fields[0]!.conid });
    if (!instrument) return reject(`No security definition has been found for conid ${fields[0]!.conid}.`);
    const execute = (): Reply => {
      const first = place(account, fields[0]!);
      const parent = b.findOrderByRef(parentRef);
      if (first.status !== 200 || !parent || parent.status === "Inactive") return first;
      const bodies: unknown[] = [...(first.body as unknown[])];
      for (const f of fields.slice(1)) {
        const r = b.placeOrder({
          account,
          contract: { conid: f.conid },
          side: f.side,
          orderType: f.orderType,
          quantity: f.quantity,
          limitPrice: f.limitPrice,
          stopPrice: f.stopPrice,
          tif: f.tif,
          outsideRth: f.outsideRth,
          orderRef: f.cOID,
          api: "CP",
          parentPermId: parent.permId,
          rejectDuplicateOrderRef: true,
        });
        if (r.reject) return reject(r.reject.reason);
        bodies.push(...(placementBody(r.order) as unknown[]));
      }
      return ok(bodies);
    };
    if (b.findOrderByRef(parentRef)) return execute();
    const questions = questionsFor(b, instrument, fields[0]!, st.questions, st.suppressed);
    if (questions.length > 0) return ok(st.replies.ask(questions, execute));
    return execute();
  }

  function modify(order: SimOrder, f: CpOrderFields): Reply {
    const r = b.modifyOrder(order.permId, {
      quantity: f.quantity,
      limitPrice: f.limitPrice,
      stopPrice: f.stopPrice,
      tif: f.tif,
    });
    if (r.reject) return reject(r.reject.reason);
    return ok(placementBody(r.order));
  }

  const routes: Route[] = [
    // ---- session ----
    {
      methods: ["GET", "POST"],
      pattern: "/tickle",
      tier: "sso",
      handler: ({ snap }) =>
        ok(tickleJson(snap, st.identity), {
          "set-cookie": `x-sess-uuid=${snap.sessionId ?? ""}; Path=/v1/api; Secure; HttpOnly`,
        }),
    },
    {
      methods: ["GET", "POST"],
      pattern: "/iserver/auth/status",
      tier: "sso",
      handler: ({ snap }) => ok(authStatusJson(snap, st.identity)),
    },
    {
      methods: ["POST"],
      pattern: "/iserver/auth/ssodh/init",
      tier: "sso",
      handler: ({ body, now }) => {
        const b0 = record(body);
        if (parseBool(b0.publish) === false) return fail(500, "publish must be true");
        st.session.reauthenticate(now, { compete: boolParam(b0.compete) });
        return ok(authStatusJson(st.session.snapshot(now), st.identity, false));
      },
    },
    {
      methods: ["GET", "POST"],
      pattern: "/iserver/reauthenticate",
      tier: "sso",
      handler: ({ now }) => {
        st.session.reauthenticate(now, { compete: true });
        return ok({ message: "triggered" });
      },
    },
    {
      methods: ["GET"],
      pattern: "/sso/validate",
      tier: "sso",
      handler: ({ snap, now }) => ok(ssoValidateJson(snap, st.identity, st.accounts(), now)),
    },
    {
      methods: ["POST"],
      pattern: "/logout",
      tier: "sso",
      handler: () => {
        st.session.logout("logout");
        return ok({ status: true });
      },
    },

    // ---- accounts and portfolio ----
    {
      methods: ["GET"],
      pattern: "/iserver/accounts",
      tier: "iserver",
      handler: ({ snap }) => {
        st.session.flags.iserverAccountsQueried = true;
        return ok(iserverAccountsJson(st.accounts(), st.selectedAccount, st.identity, snap.sessionId));
      },
    },
    {
      methods: ["POST"],
      pattern: "/iserver/account",
      tier: "iserver-primed",
      handler: ({ body }) => {
        const acctId = record(body).acctId;
        if (typeof acctId !== "string" || !st.accounts().includes(acctId))
          return fail(400, `Invalid account: ${String(acctId)}`);
        st.selectedAccount = acctId;
        return ok({ set: true, acctId });
      },
    },
    {
      methods: ["GET"],
      pattern: "/portfolio/accounts",
      tier: "sso",
      handler: () => {
        st.session.flags.portfolioAccountsQueried = true;
        return ok(st.accounts().map((a) => portfolioAccountJson(a, b.baseCurrency, st.createdAt)));
      },
    },
    {
      methods: ["GET"],
      pattern: "/portfolio/subaccounts",
      tier: "sso",
      handler: () => {
        st.session.flags.portfolioAccountsQueried = true;
        return ok(st.accounts().map((a) => portfolioAccountJson(a, b.baseCurrency, st.createdAt)));
      },
    },
    {
      methods: ["GET"],
      pattern: "/portfolio/:accountId/meta",
      tier: "portfolio-primed",
      handler: ({ params }) =>
        knownAccount(params.accountId)
          ? ok(portfolioAccountJson(params.accountId!, b.baseCurrency, st.createdAt))
          : fail(400, `Account ${params.accountId} not found`),
    },
    {
      methods: ["GET"],
      pattern: "/portfolio/:accountId/summary",
      tier: "portfolio-primed",
      handler: ({ params, now }) =>
        knownAccount(params.accountId)
          ? ok(summaryJson(b.accountValues(params.accountId!), now))
          : fail(400, `Account ${params.accountId} not found`),
    },
    {
      methods: ["GET"],
      pattern: "/portfolio/:accountId/ledger",
      tier: "portfolio-primed",
      handler: ({ params, now }) =>
        knownAccount(params.accountId)
          ? ok(ledgerJson(b.accountValues(params.accountId!), b.positions(params.accountId), now))
          : fail(400, `Account ${params.accountId} not found`),
    },
    {
      methods: ["GET"],
      pattern: "/portfolio/:accountId/positions/:pageId",
      tier: "portfolio-primed",
      handler: ({ params, query }) => positionsPage(params.accountId, params.pageId, query),
    },
    {
      methods: ["POST"],
      pattern: "/portfolio/:accountId/positions/invalidate",
      tier: "portfolio-primed",
      handler: ({ params, query }) => positionsPage(params.accountId, "0", query),
    },
    {
      methods: ["GET"],
      pattern: "/portfolio/:accountId/position/:conid",
      tier: "portfolio-primed",
      handler: ({ params }) => {
        if (!knownAccount(params.accountId)) return fail(400, `Account ${params.accountId} not found`);
        const p = b.position(params.accountId!, Number(params.conid));
        return ok(p ? [positionJson(p, st.positionsPageSize)] : []);
      },
    },

    {
      methods: ["GET"],
      pattern: "/portfolio/positions/:conid",
      tier: "portfolio-primed",
      // The same position object as /portfolio/{accountId}/position/{conid}, keyed by every account holding it
      // (client-portal-api.md §3.7; cpapi-openapi.json: `{ACCTID: [position]}`).
      handler: ({ params }) => {
        const out: Record<string, unknown[]> = {};
        for (const a of st.accounts()) {
          const p = b.position(a, Number(params.conid));
          if (p) out[a] = [positionJson(p, st.positionsPageSize)];
        }
        return ok(out);
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/account/:accountId/summary",
      tier: "iserver-primed",
      handler: ({ params }) =>
        knownAccount(params.accountId)
          ? ok(iserverAccountSummaryJson(b.accountValues(params.accountId!)))
          : fail(400, `Account ${params.accountId} not found`),
    },

    // ---- orders ----
    {
      methods: ["GET"],
      pattern: "/iserver/account/orders",
      tier: "iserver-primed",
      handler: ({ query }) => {
        const force = boolParam(query.get("force"));
        if (force || !st.session.flags.ordersPrimed) {
          // The live-orders view is a subscription-backed cache: its first answer is empty.
          st.session.flags.ordersPrimed = true;
          return ok({ orders: [], snapshot: false });
        }
        const account = query.get("accountId") ?? undefined;
        const filters = (query.get("filters") ?? query.get("Filters") ?? "")
          .split(",")
          .map((f) => f.trim().toLowerCase())
          .filter((f) => f && f !== "sort_by_time");
        const orders = b
          .listOrders({ account })
          .filter((o) => filters.length === 0 || filters.includes(snakeStatus(o.status)))
          .sort((x, y) => y.updatedAt - x.updatedAt || y.permId - x.permId)
          .slice(0, 1000);
        return ok({ orders: orders.map(liveOrderJson), snapshot: true });
      },
    },
    {
      methods: ["POST"],
      pattern: "/iserver/account/:accountId/orders",
      tier: "iserver-primed",
      handler: ({ params, body }) => {
        const list = Array.isArray(body) ? body : record(body).orders;
        if (!Array.isArray(list) || list.length === 0)
          return fail(500, 'Bad Request: body must be {"orders": [...]}');
        const account = params.accountId!;
        if (list.length > 1) return placeGroup(account, list);
        if (!st.accounts().includes(account))
          return reject(`Account ${account} is not valid for this session.`);
        const parsed = parseCpOrder(list[0]);
        if (parsed.error !== undefined)
          return parsed.status === 200 ? reject(parsed.error) : fail(parsed.status, parsed.error);
        const f = parsed.fields;
        // A combo (conidex with legs) is asked about as its BAG.
        const combo = f.legs ? comboInstrumentOf(b, f) : undefined;
        if (combo && "error" in combo) return reject(combo.error);
        const instrument = combo?.instrument ?? b.findInstrument({ conid: f.conid });
        if (!instrument) return reject(`No security definition has been found for conid ${f.conid}.`);
        // Record the duplicate attempt in the book's counters before refusing it.
        if (f.cOID && b.findOrderByRef(f.cOID)) return place(account, f);
        const questions = questionsFor(b, instrument, f, st.questions, st.suppressed);
        if (questions.length > 0) return ok(st.replies.ask(questions, () => place(account, f)));
        return place(account, f);
      },
    },
    {
      // IB's what-if: the same body as a placement, answered with amounts as strings with thousands
      // separators; nothing is placed and no question is asked.
      methods: ["POST"],
      pattern: "/iserver/account/:accountId/orders/whatif",
      tier: "iserver-primed",
      handler: ({ params, body }) => {
        const list = Array.isArray(body) ? body : record(body).orders;
        if (!Array.isArray(list) || list.length === 0)
          return fail(500, 'Bad Request: body must be {"orders": [...]}');
        const account = params.accountId!;
        if (!st.accounts().includes(account))
          return reject(`Account ${account} is not valid for this session.`);
        const parsed = parseCpOrder(list[0]);
        if (parsed.error !== undefined)
          return parsed.status === 200 ? reject(parsed.error) : fail(parsed.status, parsed.error);
        const f = parsed.fields;
        const instrument = b.findInstrument({ conid: f.conid });
        if (!instrument) return reject(`No security definition has been found for conid ${f.conid}.`);
        return ok(whatIfJson(b, account, instrument, f));
      },
    },
    {
      methods: ["POST"],
      pattern: "/iserver/reply/:replyId",
      tier: "iserver",
      keepsPendingReply: true,
      handler: ({ params, body }) => {
        const c = record(body).confirmed;
        const r = st.replies.answer(params.replyId!, boolParam(c));
        return { status: r.status, body: r.body };
      },
    },
    {
      methods: ["POST"],
      pattern: "/iserver/questions/suppress",
      tier: "iserver",
      handler: ({ body }) => {
        const ids = record(body).messageIds;
        if (!Array.isArray(ids) || ids.some((i) => typeof i !== "string") || ids.length > 51) {
          return fail(400, "messageIds must be an array of at most 51 message ids");
        }
        for (const id of ids as string[]) st.suppressed.add(id);
        return ok({ status: "submitted" });
      },
    },
    {
      methods: ["POST"],
      pattern: "/iserver/questions/suppress/reset",
      tier: "iserver",
      handler: () => {
        st.suppressed.clear();
        return ok({ status: "submitted" });
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/account/order/status/:orderId",
      tier: "iserver-primed",
      handler: ({ params }) => {
        const o = b.getOrder(Number(params.orderId));
        return o
          ? ok(orderStatusJson(o))
          : fail(503, `Order ${params.orderId} is not in this session's cache`);
      },
    },
    {
      methods: ["POST"],
      pattern: "/iserver/account/:accountId/order/:orderId",
      tier: "iserver-primed",
      handler: ({ params, body }) => {
        const order = b.getOrder(Number(params.orderId));
        if (!order || order.account !== params.accountId)
          return reject(`OrderID ${params.orderId} doesn't exist`);
        if (Array.isArray(body)) return fail(500, "Bad Request: modify takes a single order object");
        const parsed = parseCpOrder(body);
        if (parsed.error !== undefined)
          return parsed.status === 200 ? reject(parsed.error) : fail(parsed.status, parsed.error);
        const f = parsed.fields;
        if (f.conid !== order.instrument.conid || f.side !== order.side || f.orderType !== order.orderType) {
          return reject(
            "Contract, side and order type of an order cannot be modified; cancel and place a new order.",
          );
        }
        const questions = questionsFor(b, order.instrument, f, st.questions, st.suppressed);
        if (questions.length > 0) return ok(st.replies.ask(questions, () => modify(order, f)));
        return modify(order, f);
      },
    },
    {
      methods: ["DELETE"],
      pattern: "/iserver/account/:accountId/order/:orderId",
      tier: "iserver-primed",
      handler: ({ params }) => {
        const account = params.accountId!;
        if (params.orderId === "-1") {
          b.cancelAll(account);
          return ok({ msg: "Request was submitted", order_id: -1, conid: -1, account: null });
        }
        const order = b.getOrder(Number(params.orderId));
        if (!order || order.account !== account) return reject(`OrderID ${params.orderId} doesn't exist`);
        const r = b.cancelOrder(order.permId);
        if (r.reject) return reject(r.reject.reason);
        return ok({
          msg: "Request was submitted",
          order_id: order.permId,
          conid: order.instrument.conid,
          account,
        });
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/account/trades",
      tier: "iserver-primed",
      handler: ({ query, now }) => {
        const days = Math.min(7, Math.max(1, Number(query.get("days") ?? "1") || 1));
        const account = query.get("accountId") ?? undefined;
        const execs = b
          .executions({ account, sinceMs: now - days * 86_400_000 })
          .sort((x, y) => y.time - x.time)
          .map((e) => tradeJson(e, st.identity.username));
        return ok(execs);
      },
    },

    {
      methods: ["GET"],
      pattern: "/iserver/account/pnl/partitioned",
      tier: "iserver-primed",
      handler: () => {
        const upnl: Record<string, unknown> = {};
        for (const a of st.accounts()) {
          const v = b.accountValues(a);
          upnl[`${a}.Core`] = {
            rowType: 1,
            dpl: v.unrealizedPnl + v.realizedPnl,
            nl: v.netLiquidation,
            upl: v.unrealizedPnl,
            el: v.excessLiquidity,
            mv: v.stockMarketValue,
          };
        }
        return ok({ upnl });
      },
    },

    // ---- contracts and market data ----
    {
      methods: ["GET", "POST"],
      pattern: "/iserver/secdef/search",
      tier: "iserver",
      handler: ({ query, body, now }) => {
        const bd = record(body);
        const symbol = String(query.get("symbol") ?? bd.symbol ?? "").trim();
        if (!symbol) return fail(500, "symbol is required");
        const byName = boolParam(query.get("name") ?? bd.name);
        const secType = String(query.get("secType") ?? bd.secType ?? "").toUpperCase();
        const upper = symbol.toUpperCase();
        const found = b
          .instruments()
          .filter((i) =>
            byName
              ? i.description.toUpperCase().includes(upper)
              : i.symbol === upper || i.localSymbol === upper || i.symbol.startsWith(upper),
          )
          .filter((i) => !secType || i.secType === secType || (secType === "STK" && i.secType === "STK"))
          // Derivatives are sections of their underlying; a future's months are one entry (its front month).
          .filter((i) => i.secType !== "OPT")
          .filter(
            (i, n, all) =>
              i.secType !== "FUT" || all.findIndex((j) => j.secType === "FUT" && j.symbol === i.symbol) === n,
          );
        if (!byName)
          noteSearched(
            st,
            found.map((i) => i.conid),
          );
        return ok(found.map((i) => secdefSearchJson(i, b.instruments(), now)));
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/contract/:conid/info",
      tier: "iserver",
      handler: ({ params }) => {
        const i = b.findInstrument({ conid: Number(params.conid) });
        return i ? ok(contractInfoJson(i)) : fail(400, `Invalid conid: ${params.conid}`);
      },
    },
    {
      methods: ["GET"],
      pattern: "/trsrv/stocks",
      tier: "sso",
      handler: ({ query }) => {
        const symbols = (query.get("symbols") ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        if (symbols.length === 0) return fail(500, "symbols is required");
        const out: Record<string, unknown> = {};
        for (const s of symbols) {
          // Symbols are case-sensitive upper-case at IB: `aapl` finds nothing.
          out[s] = b
            .instruments()
            .filter((i) => i.secType === "STK" && i.symbol === s)
            .map(trsrvStockJson);
        }
        return ok(out);
      },
    },
    {
      methods: ["GET"],
      pattern: "/trsrv/secdef",
      tier: "sso",
      handler: ({ query, now }) => {
        const conids = (query.get("conids") ?? "")
          .split(",")
          .map((c) => c.trim())
          .filter(Boolean);
        if (conids.length === 0) return fail(500, "conids is required");
        if (conids.length > 200) return fail(400, "at most 200 conids per request");
        const secdef = conids
          .map((c) => b.findInstrument({ conid: Number(c) }))
          .filter((i) => i !== undefined)
          .map((i) => trsrvSecdefJson(i, now));
        return ok({ secdef });
      },
    },
  ];

  function positionsPage(
    accountId: string | undefined,
    pageId: string | undefined,
    query: URLSearchParams,
  ): Reply {
    if (!knownAccount(accountId)) return fail(400, `Account ${accountId} not found`);
    const page = Number(pageId);
    if (!Number.isInteger(page) || page < 0) return fail(400, `Invalid page id: ${pageId}`);
    const size = st.positionsPageSize;
    const sortKey = query.get("sort") ?? "name";
    const dir = query.get("direction") === "d" ? -1 : 1;
    const rows = b.positions(accountId).map((p) => positionJson(p, size));
    const key = sortKey === "name" ? "contractDesc" : sortKey;
    rows.sort((x, y) => {
      const a = x[key];
      const c = y[key];
      const cmp =
        typeof a === "number" && typeof c === "number"
          ? a - c
          : String(a ?? "").localeCompare(String(c ?? ""));
      return dir * (cmp || (x.conid as number) - (y.conid as number));
    });
    return ok(rows.slice(page * size, page * size + size));
  }

  return routes;
}

function snakeStatus(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
