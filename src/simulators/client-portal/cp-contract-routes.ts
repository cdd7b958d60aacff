import type { ApiState, Reply, Route } from "./cp-api-routes";
import {
  contractInfoAndRulesJson,
  contractRulesJson,
  futureJson,
  tradingScheduleJson,
} from "./cp-contract-responses";
import { boolParam } from "./cp-params";

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, error: string): Reply => ({ status, body: { error, statusCode: status } });

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

  return [
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
      handler: ({ query }) => {
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
            .filter((i) => i.secType === "FUT" && i.symbol === s)
            .sort((x, y) => (x.lastTradeDate ?? "").localeCompare(y.lastTradeDate ?? ""))
            .map(futureJson);
        }
        return ok(out);
      },
    },
  ];
}
