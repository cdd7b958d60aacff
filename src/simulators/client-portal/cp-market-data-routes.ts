/**
 * The simulated gateway's market data: `/iserver/marketdata/snapshot` (pre-flight, then display strings by
 * field id, `6509` availability), `/iserver/marketdata/history` (seeded bars, IB's answer shape) and the
 * unsubscribe calls. Field values are the ones the WebSocket's `smd` topic sends too (`snapshotFields`).
 */
import type { Brokerage, SimInstrument } from "../brokerage";
import type { ApiState, Reply, Route } from "./cp-api-routes";
import { priceString } from "./cp-responses";

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, error: string): Reply => ({ status, body: { error, statusCode: status } });

/** Every field the simulator knows for a contract, as IB formats them (strings). */
export function snapshotFields(b: Brokerage, i: SimInstrument): Record<string, string> | null {
  // An option is re-marked from its underlying when read (brokerage.quote); its market data follows.
  if (i.underlyingConid !== undefined) b.quote(i.conid);
  const d = b.marketData(i.conid);
  if (!d) return null;
  const px = (p: number) => priceString(i, p);
  const mark = d.ask < d.last ? d.ask : d.bid > d.last ? d.bid : d.last;
  // Without a subscription IB falls back to delayed data (6509 "D…"); the simulator's values stay current.
  const availability = b.marketDataPermitted(i.conid) ? "RpB" : "DpB";
  return {
    "31": px(d.last),
    "55": i.symbol,
    "70": px(d.high),
    "71": px(d.low),
    "82": px(d.last - d.close),
    "83": `${(((d.last - d.close) / d.close) * 100).toFixed(2)}%`,
    "84": px(d.bid),
    "85": String(d.askSize),
    "86": px(d.ask),
    "87": formatVolume(d.volume),
    "88": String(d.bidSize),
    "6509": availability,
    "7059": String(d.lastSize),
    "7295": px(d.open),
    "7635": px(mark),
    "7741": px(d.close),
    "7762": String(d.volume),
    ...optionFields(b, i),
  };
}

/**
 * An option's model fields (client-portal-derivatives.md §4.2): its own implied volatility 7633 as a percent,
 * delta 7308, gamma 7309, theta 7310, vega 7311, and the underlying's conid 6457. Empty for anything else.
 */
function optionFields(b: Brokerage, i: SimInstrument): Record<string, string> {
  const g = i.underlyingConid === undefined ? undefined : b.optionQuote(i.conid);
  if (!g) return {};
  return {
    "6457": String(i.underlyingConid),
    "7633": `${(g.impliedVolatility * 100).toFixed(1)}%`,
    "7308": g.delta.toFixed(4),
    "7309": g.gamma.toFixed(4),
    "7310": g.theta.toFixed(4),
    "7311": g.vega.toFixed(4),
  };
}

function formatVolume(v: number): string {
  if (v >= 1_000_000) return `${(v / 1_000_000).toFixed(2)}M`;
  if (v >= 1_000) return `${(v / 1_000).toFixed(2)}K`;
  return String(v);
}

const BAR_SECONDS: Record<string, number> = {
  "1min": 60,
  "2min": 120,
  "3min": 180,
  "5min": 300,
  "10min": 600,
  "15min": 900,
  "30min": 1800,
  "1h": 3600,
  "2h": 7200,
  "3h": 10800,
  "4h": 14400,
  "8h": 28800,
  "1d": 86400,
  "1w": 604800,
  "1m": 2592000,
};

const PERIOD = /^(\d+)(min|h|d|w|m|y)$/;
const PERIOD_SECONDS: Record<string, number> = {
  min: 60,
  h: 3600,
  d: 86400,
  w: 604800,
  m: 2592000,
  y: 31536000,
};

/** `YYYYMMDD-HH:mm:ss` (UTC). */
function ibTime(ms: number): string {
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 19)}`;
}

function parseIbTime(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export function createMarketDataRoutes(st: ApiState): Route[] {
  const b = st.brokerage;
  let historyInFlight = 0;

  return [
    {
      methods: ["GET"],
      pattern: "/iserver/marketdata/snapshot",
      tier: "iserver-primed",
      handler: ({ query, now }) => {
        const conids = (query.get("conids") ?? "")
          .split(",")
          .map((c) => Number(c.trim()))
          .filter((c) => Number.isInteger(c) && c > 0);
        if (conids.length === 0) return fail(400, "conids is required");
        const fields = (query.get("fields") ?? "31,84,86").split(",").map((f) => f.trim());
        return ok(
          conids.map((conid, n) => {
            const i = b.findInstrument({ conid });
            const base = { conid, conidEx: String(conid) };
            const all = i ? snapshotFields(b, i) : null;
            if (!all) return base;
            // The first request for a conid only subscribes ("pre-flight"); data comes on later calls.
            if (!st.snapshotConids.has(conid)) {
              st.snapshotConids.add(conid);
              return base;
            }
            const out: Record<string, unknown> = { ...base, _updated: now, server_id: `q${n}` };
            for (const f of fields) if (all[f] !== undefined) out[f] = all[f];
            return out;
          }),
        );
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/marketdata/unsubscribeall",
      tier: "iserver",
      handler: () => {
        st.snapshotConids.clear();
        return ok({ unsubscribed: true });
      },
    },
    {
      methods: ["POST"],
      pattern: "/iserver/marketdata/unsubscribe",
      tier: "iserver",
      handler: ({ body }) => {
        const conid = Number((body as { conid?: unknown } | undefined)?.conid);
        if (!st.snapshotConids.delete(conid)) return fail(500, "unknown");
        return ok({ success: true });
      },
    },
    {
      methods: ["GET"],
      pattern: "/iserver/marketdata/history",
      tier: "iserver-primed",
      handler: ({ query, now }) => {
        const conid = Number(query.get("conid"));
        const i = b.findInstrument({ conid });
        if (!i) return fail(400, `Invalid conid: ${query.get("conid") ?? ""}`);
        const bar = query.get("bar") ?? "";
        const barSeconds = BAR_SECONDS[bar];
        if (!barSeconds) return fail(400, `Invalid bar size: ${bar}`);
        const pm = PERIOD.exec(query.get("period") ?? "1w");
        if (!pm) return fail(400, `Invalid period: ${query.get("period") ?? ""}`);
        const periodSeconds = Number(pm[1]) * PERIOD_SECONDS[pm[2]!]!;
        const count = Math.min(1000, Math.max(1, Math.floor(periodSeconds / barSeconds)));
        const startText = query.get("startTime");
        const start = startText ? parseIbTime(startText) : null;
        if (startText && start === null) return fail(400, `Invalid startTime: ${startText}`);
        const endMs = start !== null ? start + periodSeconds * 1000 : now;
        const source = (query.get("source") ?? "trades").toLowerCase();
        const simSource =
          source === "midpoint" ? "MIDPOINT" : source === "bid" ? "BID" : source === "ask" ? "ASK" : "TRADES";
        if (historyInFlight >= 5) return fail(429, "Too many concurrent history requests");
        historyInFlight++;
        try {
          const bars = b.bars(conid, { barSeconds, count, endMs, source: simSource });
          const data = bars.map((x) => ({
            o: x.open,
            c: x.close,
            h: x.high,
            l: x.low,
            v: x.volume ?? 0,
            t: x.time,
          }));
          const first = bars[0]?.time ?? endMs;
          return ok({
            serverId: "20477",
            symbol: i.symbol,
            text: i.description,
            priceFactor: 100,
            startTime: ibTime(first),
            timePeriod: query.get("period") ?? "1w",
            barLength: barSeconds,
            mdAvailability: b.marketDataPermitted(conid) ? "S" : "D",
            mktDataDelay: 0,
            outsideRth: query.get("outsideRth") === "true",
            volumeFactor: 1,
            priceDisplayRule: 1,
            priceDisplayValue: "2",
            negativeCapable: false,
            messageVersion: 2,
            data,
            points: data.length,
            travelTime: 12,
          });
        } finally {
          historyInFlight--;
        }
      },
    },
  ];
}
