import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { WEB_ROOT } from "../src/landing";
import { foreign, launchBrowser, recordErrors, recordRequests } from "./helpers/browser";
import { eventually, startSimApp, type SimApp } from "./helpers/sim-app";

const ACCT = "DU1234567";
const AAPL = 265598;
/** The first-load budget: compressed JavaScript and CSS of the dashboard. */
const FIRST_LOAD_BUDGET = 300 * 1024;
/** The blotter's size in the performance goal. */
const MANY_ORDERS = 500;
const TRADE_TOKEN = "trade-token-0123456789";
const READ_TOKEN = "read-token-0123456789ab";

const PLACE = `mutation Place($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id status } confirmation { replyId } }
}`;

const order = (clientOrderId: string, extra: Record<string, unknown> = {}) => ({
  i: {
    accountId: ACCT,
    contract: { conid: AAPL },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 100,
    clientOrderId,
    ...extra,
  },
});

function originOf(httpUrl: string): string {
  return new URL(httpUrl).origin;
}

before(() => {
  assert.ok(existsSync(`${WEB_ROOT}/index.html`), "the dashboard is built: run `npm run build:web` first");
});

describe("dashboard on the simulators", () => {
  let s: SimApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let urls: string[];
  let errors: string[];
  const sockets = new Set<Socket>();
  /** graphql-ws messages the page sent, parsed. */
  const sent: { type?: string; payload?: { query?: string; variables?: Record<string, unknown> } }[] = [];
  /** Operations the page sent over HTTP, by their query text. */
  const posted: string[] = [];
  /** Compressed bytes of each script and stylesheet of the first load. */
  const assetBytes: Promise<number>[] = [];

  before(async () => {
    [s, browser] = await Promise.all([startSimApp(), launchBrowser()]);
    s.app.server.httpServer.on("upgrade", (_req, socket: Socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    context = await browser.newContext();
    page = await context.newPage();
    urls = recordRequests(page);
    errors = recordErrors(page);
    page.on("websocket", (ws) =>
      ws.on("framesent", (f) => {
        if (typeof f.payload === "string") sent.push(JSON.parse(f.payload));
      }),
    );
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/graphql")) {
        posted.push((JSON.parse(r.postData() ?? "{}") as { query?: string }).query ?? "");
      }
    });
    page.on("response", (r) => {
      const type = r.request().resourceType();
      if (type === "script" || type === "stylesheet") {
        assetBytes.push(
          r
            .request()
            .sizes()
            .then((x) => x.responseBodySize),
        );
      }
    });
    await page.goto(`${originOf(s.httpUrl)}/`);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await s?.stop();
  });

  it("shows both APIs' state and the mode", async () => {
    await page.getByTestId("cp-state").filter({ hasText: "AUTHENTICATED" }).waitFor({ timeout: 15_000 });
    await page.getByTestId("tws-state").filter({ hasText: "CONNECTED" }).waitFor();
    assert.equal(await page.getByTestId("mode").textContent(), "SIMULATED");
    await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor();
  });

  it(`loads at most ${FIRST_LOAD_BUDGET / 1024} KB of compressed JavaScript and CSS`, async () => {
    await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 15_000 });
    const sizes = await Promise.all(assetBytes);
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(
      `# first load: ${sizes.length} scripts and stylesheets, ${(total / 1024).toFixed(1)} KB compressed`,
    );
    assert.ok(sizes.length > 0 && total > 0, "assets measured");
    assert.ok(total <= FIRST_LOAD_BUDGET, `${total} bytes > ${FIRST_LOAD_BUDGET}`);
  });

  it("shows the accounts with their net liquidation", async () => {
    const cell = page.getByTestId(`account-${ACCT}`).getByTestId("net-liquidation");
    await eventually("a net liquidation figure", async () => /\d/.test((await cell.textContent()) ?? ""));
  });

  it("follows accountUpdates and positionUpdates, with the account's daily P&L", async () => {
    await eventually("the account and position subscriptions", () => {
      const queries = sent.filter((m) => m.type === "subscribe").map((m) => m.payload?.query ?? "");
      return (
        queries.some((q) => q.includes("accountUpdates")) &&
        queries.some((q) => q.includes("positionUpdates"))
      );
    });
    const daily = page.getByTestId(`account-${ACCT}`).getByTestId("daily-pnl");
    await daily.waitFor({ timeout: 10_000 });
    assert.match((await daily.textContent()) ?? "", /\d/);
  });

  it("shows an order placed by another client in the blotter, live", async () => {
    const r = await s.op(PLACE, order("ui-external-1"));
    assert.equal(r.errors, undefined);
    const row = page.getByTestId("order-ui-external-1");
    await row
      .getByTestId("status")
      .filter({ hasText: /SUBMITTED/ })
      .waitFor({ timeout: 10_000 });
  });

  it("cancels an order from the page", async () => {
    const row = page.getByTestId("order-ui-external-1");
    await row.getByRole("button", { name: /Cancel/ }).click();
    await row.getByTestId("status").filter({ hasText: "CANCELLED" }).waitFor({ timeout: 10_000 });
    const book = await s.simOrders();
    assert.equal(book.find((o) => o.clientOrderId === "ui-external-1")?.status, "Cancelled");
  });

  it("places an order from the keyboard", async () => {
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("n");
    await page.keyboard.type("AAPL");
    await page.getByLabel("Limit price").fill("101");
    await page.getByLabel("Limit price").press("Enter");
    await page
      .getByTestId("ticket-result")
      .filter({ hasText: /BUY 1 AAPL/ })
      .waitFor({ timeout: 10_000 });
    await eventually("the page's order in the book", async () =>
      (await s.simOrders()).some((o) => o.clientOrderId?.startsWith("ui-") && o.limitPrice === 101),
    );
  });

  it("asks Client Portal's question in a dialog and transmits on confirmation", async () => {
    await page.getByLabel("Symbol").fill("AAPL");
    await page.getByLabel("Quantity").fill("600");
    await page.getByLabel("Limit price").fill("99");
    await page.getByLabel("Route").selectOption("CLIENT_PORTAL");
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Interactive Brokers asks" });
    await dialog.getByText(/Size Limit/).waitFor({ timeout: 10_000 });
    // The safe answer has the focus: Enter alone never transmits.
    assert.equal(await page.evaluate("document.activeElement?.textContent"), "Don't transmit");
    await dialog.getByRole("button", { name: "Transmit", exact: true }).click();
    await page
      .getByTestId("ticket-result")
      .filter({ hasText: /BUY 600 AAPL/ })
      .waitFor({ timeout: 10_000 });
    assert.equal(await dialog.isVisible(), false);
    await eventually("the confirmed order in the book", async () =>
      (await s.simOrders()).some((o) => o.quantity === 600 && o.api === "CP"),
    );
    await page.getByLabel("Route").selectOption("");
    await page.getByLabel("Quantity").fill("1");
  });

  it("shows the disconnected state and recovers", async () => {
    await context.setOffline(true);
    await page.getByTestId("connection").filter({ hasText: "Disconnected — reconnecting" }).waitFor({
      timeout: 10_000,
    });
    await context.setOffline(false);
    await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 15_000 });
  });

  it("resumes the blotter with its cursor after a dropped socket", async () => {
    const subscribes = () =>
      sent.filter((m) => m.type === "subscribe" && m.payload?.query?.includes("orderUpdates"));
    const before = subscribes().length;
    for (const socket of sockets) socket.destroy();
    const r = await s.op(PLACE, order("ui-after-drop-1"));
    assert.equal(r.errors, undefined);
    await page.getByTestId("order-ui-after-drop-1").waitFor({ timeout: 15_000 });
    const resubscribe = subscribes().at(before);
    assert.ok(resubscribe, "the blotter subscribed again");
    assert.equal(typeof resubscribe.payload?.variables?.after, "string", "with its cursor");
    assert.equal(resubscribe.payload?.variables?.afterSequence, undefined, "not a bare sequence");
    await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 15_000 });
  });

  it("marks a position to its live quote when the price moves, without re-reading positions", async () => {
    const positionReads = () => posted.filter((q) => /\bpositions\s*\(/.test(q)).length;
    const r = await s.op(PLACE, order("ui-market-1", { type: "MARKET", limitPrice: null, quantity: 3 }));
    assert.equal(r.errors, undefined);
    const row = page.getByTestId("position-AAPL");
    await row.waitFor({ timeout: 10_000 });
    // The new position's contract joins the quotes subscription.
    const quote = page.getByTestId("quote-AAPL");
    await quote.getByTestId("last").filter({ hasText: /\d/ }).waitFor({ timeout: 10_000 });
    await eventually("a quotes subscription with AAPL", () =>
      sent.some(
        (m) =>
          m.type === "subscribe" &&
          /\bquotes\s*\(/.test(m.payload?.query ?? "") &&
          JSON.stringify(m.payload?.variables).includes(String(AAPL)),
      ),
    );
    const readsBefore = positionReads();

    await s.control("/sim/prices", { conid: AAPL, price: 321.45 });
    await row.getByTestId("market-price").filter({ hasText: "321.45" }).waitFor({ timeout: 10_000 });
    await row.getByTestId("market-value").filter({ hasText: "964.35" }).waitFor({ timeout: 5_000 });
    await quote.getByTestId("last").filter({ hasText: "321.45" }).waitFor({ timeout: 5_000 });
    assert.match((await quote.getByTestId("bid").textContent()) ?? "", /\d/);
    assert.match((await quote.getByTestId("ask").textContent()) ?? "", /\d/);

    // A second move, to show the panel keeps following (and still reads no positions).
    await s.control("/sim/prices", { conid: AAPL, price: 300 });
    await row.getByTestId("market-value").filter({ hasText: "900.00" }).waitFor({ timeout: 10_000 });
    const pnl = Number(
      ((await row.getByTestId("unrealized-pnl").textContent()) ?? "").replace(/[^\d.]/g, ""),
    );
    assert.ok(pnl > 0, "the P&L moved with the price");
    assert.equal(positionReads(), readsBefore, "no positions query: the quotes stream moved the value");
  });

  it("links to the gateway's login page when a person must log in, and lists the session events", async () => {
    await s.control("/sim/session/logout");
    const cp = page.getByTestId("cp-state");
    await cp.filter({ hasNotText: "AUTHENTICATED" }).waitFor({ timeout: 15_000 });
    const link = page.getByRole("link", { name: "Log in to the Client Portal gateway" });
    await link.waitFor({ timeout: 15_000 });
    assert.match((await link.getAttribute("href")) ?? "", /^https:\/\//);
    await s.control("/sim/session/login");
    await cp.filter({ hasText: /^AUTHENTICATED$/ }).waitFor({ timeout: 15_000 });
    assert.ok((await page.locator(".events li").count()) >= 2, "session events listed");
  });

  it(`lists all of ${MANY_ORDERS} orders in a windowed scroller the keyboard can scroll, still live`, async () => {
    const known = (await s.op(`{ orders { id } }`)).data!.orders.length as number;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < MANY_ORDERS - known) {
          const n = next++;
          const r = await s.op(PLACE, order(`ui-many-${n}`, { limitPrice: 1 + (n % 50) / 100 }));
          assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        }
      }),
    );
    const total = (await s.op(`{ orders { id } }`)).data!.orders.length as number;
    assert.ok(total >= MANY_ORDERS, `${total} orders`);
    await page
      .getByTestId("order-count")
      .filter({ hasText: `${total} orders` })
      .waitFor({ timeout: 20_000 });
    const rendered = await page.locator("tr[data-order-id]").count();
    assert.ok(rendered > 5 && rendered < 100, `windowed: ${rendered} rows in the DOM for ${total}`);
    assert.equal(await page.locator(".blotter table").getAttribute("aria-rowcount"), String(total + 1));

    // The keyboard: focus the list, End reaches the oldest order (the first this page saw).
    const scroller = page.getByTestId("blotter-scroller");
    await scroller.focus();
    await page.keyboard.press("End");
    const oldest = page.getByTestId("order-ui-external-1");
    await oldest.waitFor({ timeout: 5_000 });
    assert.ok(await oldest.isVisible(), "the oldest order in view");
    assert.equal(await oldest.getAttribute("aria-rowindex"), String(total + 1));

    // Still live down there: an old order cancelled elsewhere changes in view.
    const first = page.getByTestId("order-ui-many-0");
    await first.waitFor({ timeout: 5_000 });
    const id = await first.getAttribute("data-order-id");
    const c = await s.op(`mutation C($id: ID!) { cancelOrder(id: $id) { id } }`, { id });
    assert.equal(c.errors, undefined);
    await first.getByTestId("status").filter({ hasText: "CANCELLED" }).waitFor({ timeout: 10_000 });

    // PageUp moves up by a screenful; Home is back at the newest, where a new order appears live.
    const before = await scroller.evaluate((el) => el.scrollTop);
    await page.keyboard.press("PageUp");
    await eventually(
      "PageUp to scroll",
      async () => (await scroller.evaluate((el) => el.scrollTop)) < before,
    );
    await page.keyboard.press("Home");
    await eventually(
      "Home to scroll to the top",
      async () => (await scroller.evaluate((el) => el.scrollTop)) === 0,
    );
    const r = await s.op(PLACE, order("ui-many-newest"));
    assert.equal(r.errors, undefined);
    await page.getByTestId("order-ui-many-newest").waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId("order-ui-many-newest").getAttribute("aria-rowindex"), "2");
  });

  it("broke no Content-Security-Policy rule", () => {
    assert.deepEqual(
      errors.filter((e) => /Content Security Policy|Refused to/i.test(e)),
      [],
    );
  });

  it("made no request to any host but the server", () => {
    assert.ok(urls.length > 3, `requests recorded: ${urls.length}`);
    assert.deepEqual(foreign(urls, originOf(s.httpUrl)), []);
  });
});

describe("dashboard with API_TOKEN", () => {
  let s: SimApp;
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    [s, browser] = await Promise.all([
      startSimApp({ env: { API_TOKEN: TRADE_TOKEN, API_READ_TOKEN: READ_TOKEN } }),
      launchBrowser(),
    ]);
    context = await browser.newContext();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await s?.stop();
  });

  it("asks for the token and shows no data without it", async () => {
    const page = await context.newPage();
    const graphql: number[] = [];
    page.on("response", (r) => {
      if (r.url().endsWith("/graphql")) graphql.push(r.status());
    });
    await page.goto(`${originOf(s.httpUrl)}/`);
    await page.getByRole("textbox", { name: "API token" }).waitFor();
    assert.equal(await page.locator("table").count(), 0);
    assert.equal(await page.getByTestId("cp-state").count(), 0);
    assert.ok(graphql.length > 0 && graphql.every((status) => status === 401), `statuses ${graphql}`);

    await page.getByRole("textbox", { name: "API token" }).fill("wrong-token-0123456789");
    await page.getByRole("textbox", { name: "API token" }).press("Enter");
    await page.getByText("The server refused that token.").waitFor();

    await page.getByRole("textbox", { name: "API token" }).fill(TRADE_TOKEN);
    await page.getByRole("textbox", { name: "API token" }).press("Enter");
    await page.getByTestId("cp-state").waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("ibkr-graphql:token")'), TRADE_TOKEN);
    assert.equal(await page.evaluate("localStorage.length"), 0);
    await page.getByRole("form", { name: "Order ticket" }).waitFor();
    await page.close();
  });

  it("hides trading controls once the server refuses a read token", async () => {
    const r = await s.op(PLACE, order("ui-read-1"), { authorization: `Bearer ${TRADE_TOKEN}` });
    assert.equal(r.errors, undefined);
    const page = await context.newPage();
    await page.goto(`${originOf(s.httpUrl)}/`);
    await page.getByRole("textbox", { name: "API token" }).fill(READ_TOKEN);
    await page.getByRole("textbox", { name: "API token" }).press("Enter");
    const row = page.getByTestId("order-ui-read-1");
    await row.getByRole("button", { name: /Cancel/ }).click();
    await page.getByText("Read-only token: trading controls hidden").waitFor();
    assert.equal(await page.getByRole("form", { name: "Order ticket" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: /Cancel/ }).count(), 0);
    const book = await s.simOrders();
    assert.notEqual(book.find((o) => o.clientOrderId === "ui-read-1")?.status, "Cancelled");
    await page.close();
  });
});
