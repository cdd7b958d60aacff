import { rightCode, type SimInstrument } from "../brokerage";
import type { ApiState, Reply, Route } from "./cp-api-routes";
import { monthCode } from "./cp-responses";
import {
  secdefInfoJson,
  contractInfoAndRulesJson,
  contractRulesJson,
  futureJson,
  tradingScheduleJson,
} from "./cp-contract-responses";
import { boolParam } from "./cp-params";

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, error: string): Reply => ({ status, body: { error, statusCode: status } });

/**
 * Underlyings whose `secdef/search` this simulator answered: IB answers `secdef/strikes` with empty lists until the
 * underlying was searched (client-portal-derivatives.md §2.3), so a client that skips the chain sees what IB shows.
 */
const searched = new WeakMap<ApiState, Set<number>>();

export function noteSearched(st: ApiState, conids: readonly number[]): void {
  const set = searched.get(st) ?? new Set<number>();
  for (const c of conids) set.add(c);
  searched.set(st, set);
}

/** IB index conids futures hang off (client-portal-api.md §5: ES → 11004968); secdef requests may name them. */
const FUTURE_INDEX: Record<string, number> = { ES: 11004968 };

function record(body: unknown): Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** Contract rules, trading schedules and futures chains: what clients ask before they build an order. */
export function createContractRoutes(st: ApiState): Route[] {
  const b = st.brokerage;

  function rulesFor(conidText: unknown, isBuy: boolean, withInfo: boolean): Reply {
    const conid = Number(conidText);
    const i = Number.isInteger(conid) && conid > 0 ? b.findInstrument({ conid }) : undefined;
    const q = i ? b.quote(i.conid) : undefined;
    if (!i || !q) return fail(400, `Invalid conid: ${String(conidText)}`);
    return ok(
      withInfo
        ? contractInfoAndRulesJson(i, q, isBuy, st.accounts())
        : contractRulesJson(i, q, isBuy, st.accounts()),
    );
  }

  /** The underlying a secdef request names: a stock, or (for futures) any month of the future or its index. */
  function underlyingOf(conidText: unknown): SimInstrument | undefined {
    const conid = Number(conidText);
    if (!Number.isInteger(conid) || conid <= 0) return undefined;
    return b.findInstrument({ conid }) ?? b.instruments().find((i) => FUTURE_INDEX[i.symbol] === conid);
  }

  const today = (now: number): string => new Date(now).toISOString().slice(0, 10).replace(/-/g, "");

  /** Non-expired derivatives of `u` of a type and `MMMYY` month. */
  function derivativesOf(u: SimInstrument, secType: string, month: string, now: number): SimInstrument[] {
    const t = today(now);
    return b
      .instruments()
      .filter((i) =>
        secType === "FUT"
          ? i.secType === "FUT" && i.symbol === u.symbol
          : i.secType === secType && i.underlyingConid === u.conid,
      )
      .filter((i) => (i.lastTradeDate ?? "") >= t && (!month || monthCode(i.lastTradeDate ?? "") === month));
  }

  return [
    {
      methods: ["GET"],
      pattern: "/iserver/secdef/strikes",
      tier: "iserver",
      handler: ({ query, now }) => {
        const u = underlyingOf(query.get("conid"));
        const secType = (query.get("sectype") ?? query.get("secType") ?? "").trim().toUpperCase();
        const month = (query.get("month") ?? "").trim().toUpperCase();
        if (!u) return fail(400, `Invalid conid: ${query.get("conid") ?? ""}`);
        if (!secType || !month) return fail(400, "conid, sectype and month are required");
        if (!searched.get(st)?.has(u.conid)) return ok({ call: [], put: [] });
        const strikes = (right: "C" | "P"): number[] =>
          [
            ...new Set(
              derivativesOf(u, secType, month, now)
                .filter((i) => i.right === right)
                .map((i) => i.strike ?? 0),
            ),
          ].sort((x, y) => x - y);
        return ok({ call: strikes("C"), put: strikes("P") });
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/secdef/info",
      tier: "iserver",
      handler: ({ query, now }) => {
        const u = underlyingOf(query.get("conid"));
        const secType = (query.get("sectype") ?? query.get("secType") ?? "").trim().toUpperCase();
        const month = (query.get("month") ?? "").trim().toUpperCase();
        if (!u) return fail(400, `Invalid conid: ${query.get("conid") ?? ""}`);
        if (!secType) return fail(400, "sectype is required");
        // The final derivative's own conid is answered as itself.
        if (u.secType === secType && (secType === "OPT" || (secType === "FUT" && !month)))
          return ok([secdefInfoJson(u)]);
        if (!month) return fail(400, "month is required for derivatives");
        const strikeText = query.get("strike");
        const right = rightCode(query.get("right"));
        if (secType === "OPT" && (!strikeText || !right))
          return fail(400, "strike and right are required for options");
        const strike = Number(strikeText);
        const found = derivativesOf(u, secType, month, now).filter(
          (i) => secType !== "OPT" || (i.strike === strike && i.right === right),
        );
        if (found.length === 0) return fail(400, "No contracts found for the given parameters");
        return ok(found.map(secdefInfoJson));
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/contract/:conid/info-and-rules",
      tier: "iserver",
      // `isBuy` is required by the spec; clients that leave it out get the buy side, as most tickets open.
      handler: ({ params, query }) => rulesFor(params.conid, boolParam(query.get("isBuy"), true), true),
    },
    {
      methods: ["POST"],
      pattern: "/iserver/contract/rules",
      tier: "iserver",
      handler: ({ body }) => {
        const bd = record(body);
        if (bd.conid === undefined) return fail(400, "conid is required");
        return rulesFor(bd.conid, boolParam(bd.isBuy, true), false);
      },
    },
    {
      methods: ["GET"],
      pattern: "/trsrv/secdef/schedule",
      tier: "sso",
      handler: ({ query }) => {
        const assetClass = (query.get("assetClass") ?? "").trim().toUpperCase();
        const symbol = (query.get("symbol") ?? "").trim();
        if (!assetClass || !symbol) return fail(400, "assetClass and symbol are required");
        const exchange = (query.get("exchangeFilter") ?? query.get("exchange") ?? "").trim().toUpperCase();
        const found = b
          .instruments()
          .filter((i) => i.secType === assetClass && i.symbol === symbol.toUpperCase())
          .filter((i) => !exchange || exchange === "SMART" || i.exchange === exchange);
        return ok(found.map(tradingScheduleJson));
      },
    },
    {
      methods: ["GET"],
      pattern: "/trsrv/futures",
      tier: "sso",
      handler: ({ query, now }) => {
        const symbols = (query.get("symbols") ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        if (symbols.length === 0) return fail(500, "symbols is required");
        const out: Record<string, unknown[]> = {};
        for (const s of symbols) {
          // Case-sensitive like /trsrv/stocks (client-portal-derivatives.md §2.5); ordered by expiry.
          out[s] = b
            .instruments()
            .filter((i) => i.secType === "FUT" && i.symbol === s && (i.lastTradeDate ?? "") >= today(now))
            .sort((x, y) => (x.lastTradeDate ?? "").localeCompare(y.lastTradeDate ?? ""))
            .map(futureJson);
        }
        return ok(out);
      },
    },
  ];
}
