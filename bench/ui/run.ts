/**
 * `npm run bench:ui`: does the dashboard keep up? The issue's load: 500 orders in the blotter and 20 quotes
 * ticking at 10/s each, over the real sockets. The page holds a position in each of 20 stocks, so its quotes
 * panel and its positions (marked to market from `quotes`) follow all 20; meanwhile new orders arrive at the
 * top of the blotter and are cancelled a few rows later (`orderUpdates`).
 *
 * Measured in Chromium: time from the graphql-ws message arriving on the page's WebSocket to the DOM showing
 * it (a MutationObserver), both stamped with `performance.now()` in the page: an order's status cell, and a
 * quote's last price (`data-last` of the quotes panel's cell). Baseline, same page, same messages: the same
 * message → a bare `textContent` write in a detached-from-React element.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { distribution, ms, percentile, seededRandom } from "../lib/stats";
import { launchBrowser } from "../../test/helpers/browser";
import { startSimApp, type SimApp } from "../../test/helpers/sim-app";
import { UI_BENCH_INSTRUMENTS, UI_BENCH_STOCKS } from "./instruments";

const ACCT = "DU1234567";
const AAPL = 265598;
const ORDERS = Number(process.env.UI_BENCH_ORDERS ?? 500);
/** Quote changes per contract per second. */
const QUOTE_RATE = Number(process.env.UI_BENCH_QUOTE_RATE ?? 10);
/** New orders per second; each is cancelled CANCEL_LAG orders later, so both changes land in view. */
const ORDER_RATE = Number(process.env.UI_BENCH_ORDER_RATE ?? 20);
const CANCEL_LAG = 5;
const SECONDS = Number(process.env.UI_BENCH_SECONDS ?? 15);
const GOAL_MS = 100;
const RESULTS = join(__dirname, "..", "..", "..", "bench", "RESULTS-ui.md");

const PLACE = `mutation P($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id status } } }`;
const CANCEL = `mutation C($id: ID!) { cancelOrder(id: $id) { id status } }`;

/**
 * Runs in the page before its own scripts: taps every WebSocket (our listener is registered before
 * graphql-ws sets `onmessage`, so it runs first), stamps each `orderUpdates` event by order id + status and
 * each `quotes` event by conid + last, writes the baseline element, and watches the DOM.
 */
const INSTRUMENT = `(() => {
  const orders = new Map();
  /** conid -> { last, t }: only the newest unrendered last per contract (an older one is superseded). */
  const quotes = new Map();
  const b = { orderSamples: [], quoteSamples: [], baseline: [], messages: 0, superseded: 0, quoteMessages: 0, orderMessages: 0 };
  window.__uiBench = b;
  window.__uiBenchReset = () => {
    b.orderSamples.length = 0; b.quoteSamples.length = 0; b.baseline.length = 0;
    b.messages = 0; b.superseded = 0; b.quoteMessages = 0; b.orderMessages = 0;
  };
  const bare = document.createElement("div");
  let bareStamp = 0;
  new MutationObserver(() => b.baseline.push(performance.now() - bareStamp)).observe(bare, { childList: true, characterData: true, subtree: true });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (ev) => {
        const t = performance.now();
        b.messages++;
        if (typeof ev.data !== "string") return;
        const isOrder = ev.data.includes('"orderUpdates"');
        const isQuote = !isOrder && ev.data.includes('"quotes"');
        if (!isOrder && !isQuote) return;
        const m = JSON.parse(ev.data);
        const data = m.payload && m.payload.data;
        if (!data) return;
        if (isOrder) b.orderMessages++; else b.quoteMessages++;
        if (isOrder && data.orderUpdates) {
          const o = data.orderUpdates.order;
          const key = o.id + "|" + o.status;
          if (!orders.has(key)) orders.set(key, t);
        } else if (isQuote && data.quotes && data.quotes.last != null) {
          const conid = String(data.quotes.contract.conid);
          const last = String(data.quotes.last);
          const pending = quotes.get(conid);
          if (!pending || pending.last !== last) {
            if (pending) b.superseded++;
            quotes.set(conid, { last, t });
          }
        } else return;
        bareStamp = performance.now();
        bare.textContent = String(t);
      });
    }
  };
  const statusCell = (cell, now) => {
    const row = cell.closest("tr");
    const key = row && row.dataset.orderId + "|" + cell.textContent;
    const t = orders.get(key);
    if (t === undefined) return;
    orders.delete(key);
    b.orderSamples.push(now - t);
  };
  const lastCell = (cell, now) => {
    const row = cell.closest("tr");
    const pending = row && quotes.get(row.dataset.conid);
    if (!pending || pending.last !== cell.dataset.last) return;
    quotes.delete(row.dataset.conid);
    b.quoteSamples.push(now - pending.t);
  };
  const watch = () => {
    new MutationObserver((records) => {
      const now = performance.now();
      for (const r of records) {
        if (r.type === "attributes") {
          lastCell(r.target, now);
          continue;
        }
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        if (!el) continue;
        const cell = el.closest('[data-testid="status"]');
        if (cell) statusCell(cell, now);
        for (const n of r.addedNodes) {
          if (n.nodeType !== 1) continue;
          for (const c of n.querySelectorAll('[data-testid="status"]')) statusCell(c, now);
          for (const c of n.querySelectorAll("[data-last]")) lastCell(c, now);
        }
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["data-last"] });
  };
  if (document.body) watch(); else document.addEventListener("DOMContentLoaded", watch);
})();`;

interface PageStats {
  orderSamples: number[];
  quoteSamples: number[];
  baseline: number[];
  messages: number;
  superseded: number;
  quoteMessages: number;
  orderMessages: number;
}

async function place(s: SimApp, input: Record<string, unknown>): Promise<string> {
  const r = await s.op(PLACE, { i: { accountId: ACCT, side: "BUY", quantity: 1, ...input } });
  const id = (r.data as { placeOrder?: { order: { id: string } } } | undefined)?.placeOrder?.order.id;
  if (!id) throw new Error(`placeOrder ${JSON.stringify(input)}: ${JSON.stringify(r.errors)}`);
  return id;
}

const restingAapl = (clientOrderId: string, n: number) => ({
  contract: { conid: AAPL },
  type: "LIMIT",
  // Far below the market, so they stay SUBMITTED until cancelled.
  limitPrice: 1 + (n % 50) / 100,
  clientOrderId,
});

async function main(): Promise<void> {
  const started = Date.now();
  const [s, browser] = await Promise.all([
    startSimApp({ simulators: { brokerage: { instruments: UI_BENCH_INSTRUMENTS } } }),
    launchBrowser(),
  ]);
  try {
    // A position in each of the 20 stocks, then the blotter's 500 resting orders (8 placements at a time).
    for (const i of UI_BENCH_STOCKS) {
      await place(s, {
        contract: { conid: i.conid },
        type: "MARKET",
        clientOrderId: `ui-bench-hold-${i.symbol}`,
      });
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ORDERS) {
          const n = next++;
          await place(s, restingAapl(`ui-bench-${n}`, n));
        }
      }),
    );
    const seededMs = Date.now() - started;

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(INSTRUMENT);
    await page.goto(new URL(s.httpUrl).origin + "/");
    await page.locator('tr[data-order-id] [data-testid="status"]').first().waitFor({ timeout: 30_000 });
    // Every held stock quoted on the page before the load starts.
    const deadline = Date.now() + 30_000;
    while ((await page.locator('[data-last]:not([data-last=""])').count()) < UI_BENCH_STOCKS.length) {
      if (Date.now() > deadline) throw new Error("the quotes panel never showed all 20 quotes");
      await page.waitForTimeout(200);
    }
    const total = await page.getByTestId("order-count").textContent();
    const rendered = await page.locator("tr[data-order-id]").count();
    await page.evaluate("window.__uiBenchReset()");

    // Load: prices of all 20 stocks every 1/QUOTE_RATE s (each moves by at least a cent), and ORDER_RATE new
    // orders per second, each cancelled CANCEL_LAG orders later; both for SECONDS.
    const random = seededRandom(19);
    const prices = new Map(UI_BENCH_STOCKS.map((i) => [i.conid, i.initialPrice]));
    const t0 = Date.now();
    const end = t0 + SECONDS * 1000;
    // Prices move in the brokerage itself (this process hosts the simulators), as the quotes fan-out figure
    // does: an HTTPS control request per round would measure the control route, not the dashboard.
    const brokerage = s.app.simulators!.brokerage;
    let priceRounds = 0;
    let priceLate = 0;
    const quoteLoop = (async () => {
      for (let due = t0; due < end; due += 1000 / QUOTE_RATE) {
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else if (wait < -1000 / QUOTE_RATE) priceLate++;
        for (const [conid, p] of prices) {
          let np = Math.round(p * (1 + (random() - 0.5) * 0.004) * 100) / 100;
          if (np === p) np = Math.round((p + 0.01) * 100) / 100;
          prices.set(conid, np);
          brokerage.setPrice(conid, np);
        }
        priceRounds++;
      }
    })();
    let placed = 0;
    let refused = 0;
    let firstRefusal: string | undefined;
    const refuse = (why: unknown) => {
      refused++;
      firstRefusal ??= why instanceof Error ? why.message : JSON.stringify(why);
    };
    const inflight: Promise<unknown>[] = [];
    const recent: Promise<string>[] = [];
    for (let due = t0; due < end; due += 1000 / ORDER_RATE) {
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = placed++;
      const id = place(s, restingAapl(`ui-bench-live-${n}`, n));
      recent.push(id);
      inflight.push(id.catch(refuse));
      if (recent.length > CANCEL_LAG) {
        const old = recent.shift()!;
        inflight.push(
          // A placement that failed was counted already; there is nothing to cancel.
          old.then(
            (oldId) => s.op(CANCEL, { id: oldId }).then((r) => r.errors && refuse(r.errors), refuse),
            () => undefined,
          ),
        );
      }
    }
    await Promise.all([...inflight, quoteLoop]);
    const loadSeconds = (Date.now() - t0) / 1000;
    await page.waitForTimeout(2_000);
    const stats = (await page.evaluate("window.__uiBench")) as PageStats;
    await page.close();

    const row = (name: string, values: number[], goal: boolean) => {
      const d = distribution(values);
      const p95 = percentile(
        [...values].sort((x, y) => x - y),
        95,
      );
      const verdict = goal ? (d.count > 0 && p95 <= GOAL_MS ? "PASS" : "MISS") : "INFO";
      return {
        pass: verdict !== "MISS",
        line: `| ${name} | ${d.count} | ${ms(d.p50)} | ${ms(p95)} | ${ms(d.max)} | ${goal ? `p95 ≤ ${GOAL_MS} ms` : "—"} | ${verdict} |`,
      };
    };
    const orders = row("order event → blotter status cell", stats.orderSamples, true);
    const quotes = row("quote event → quotes panel last price", stats.quoteSamples, true);
    const base = row("baseline: same messages → bare textContent write", stats.baseline, false);
    const pass = orders.pass && quotes.pass;
    const lines = [
      `# Dashboard performance (npm run bench:ui)`,
      ``,
      `${new Date().toISOString()}, Chromium headless (${process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"}), 2 shared cores.`,
      ``,
      `Blotter: ${ORDERS} resting orders and ${UI_BENCH_STOCKS.length} filled ones (${total}; ${rendered} rows in the DOM, the`,
      `list is windowed). Quotes: a position in each of ${UI_BENCH_STOCKS.length} stocks, so the quotes panel and the`,
      `positions (marked to market from \`quotes\`) follow ${UI_BENCH_STOCKS.length} contracts.`,
      ``,
      `Load for ${loadSeconds.toFixed(1)} s: every stock's price moved ${QUOTE_RATE} times a second (${priceRounds} rounds of`,
      `${UI_BENCH_STOCKS.length} prices, ${priceLate} more than a period late: ${(priceRounds / loadSeconds).toFixed(1)} rounds/s achieved), and ${ORDER_RATE} new orders a second, each cancelled ${CANCEL_LAG} orders later`,
      `(${placed} placements and ${placed - CANCEL_LAG} cancels sent, ${refused} refused${firstRefusal ? `, the first: ${firstRefusal.slice(0, 200)}` : ""}). ${stats.messages} socket messages reached the page: ${stats.quoteMessages} quote events`,
      `(${(stats.quoteMessages / loadSeconds).toFixed(0)}/s) and ${stats.orderMessages} order events`,
      `(${(stats.orderMessages / loadSeconds).toFixed(0)}/s). ${stats.superseded} quote`,
      `events were superseded by a newer price of the same contract before React rendered them (not sampled).`,
      ``,
      `| measure | samples | p50 | p95 | max | goal | verdict |`,
      `|---|---:|---:|---:|---:|---:|---|`,
      orders.line,
      quotes.line,
      base.line,
      ``,
      `Stamps: \`performance.now()\` in a WebSocket \`message\` listener that runs before graphql-ws's, and in a`,
      `MutationObserver callback on the page (so the time includes React's render and commit, not paint).`,
      `Seeding took ${(seededMs / 1000).toFixed(1)} s.`,
      ``,
    ];
    // Formatted as `prettier --check .` expects it, so a run leaves the tree lint-clean.
    const prettier = await import("prettier");
    const options = (await prettier.resolveConfig(RESULTS)) ?? {};
    const report = await prettier.format(lines.join("\n"), { ...options, parser: "markdown" });
    writeFileSync(RESULTS, report);
    console.log(report);
    if (!pass) process.exitCode = 1;
  } finally {
    await browser.close();
    await s.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
