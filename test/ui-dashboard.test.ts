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
    assert.equal(typeof resubscribe.payload?.variables?.afterSequence, "number", "with its cursor");
    await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 15_000 });
  });

  it("reflects a price moved in the simulator after the next poll", async () => {
    const r = await s.op(PLACE, order("ui-market-1", { type: "MARKET", limitPrice: null, quantity: 3 }));
    assert.equal(r.errors, undefined);
    const price = page.getByTestId("position-AAPL").getByTestId("market-price");
    await price.waitFor({ timeout: 10_000 });
    await s.control("/sim/prices", { conid: AAPL, price: 321.45 });
    await eventually(
      "the new price on the page",
      async () => ((await price.textContent()) ?? "").includes("321.45"),
      15_000,
      100,
    );
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
