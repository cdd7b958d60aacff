/**
 * `npm run screenshots`: the dashboard and GraphiQL on the simulators, saved to docs/screenshots/*.png
 * for the README. Not a test (no assertions beyond "it rendered"); run it after changing the pages.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "./helpers/browser";
import { repoRoot } from "./helpers/paths";
import { eventually, startSimApp, type SimApp } from "./helpers/sim-app";

const OUT = join(repoRoot(), "docs/screenshots");
const ACCT = "DU1234567";
const VIEWPORT = { width: 1280, height: 860 };

const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } } }`;

async function place(s: SimApp, clientOrderId: string, input: Record<string, unknown>): Promise<string> {
  const r = await s.op(PLACE, {
    i: { accountId: ACCT, quantity: 1, side: "BUY", type: "LIMIT", clientOrderId, ...input },
  });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data!.placeOrder.order.id as string;
}

async function seed(s: SimApp): Promise<void> {
  await place(s, "shot-1", { contract: { symbol: "AAPL" }, type: "MARKET", quantity: 50 });
  await place(s, "shot-2", { contract: { symbol: "MSFT" }, type: "MARKET", quantity: 20 });
  await place(s, "shot-3", { contract: { symbol: "SPY" }, type: "MARKET", quantity: 10, side: "SELL" });
  await place(s, "shot-4", { contract: { symbol: "AAPL" }, limitPrice: 150, quantity: 25 });
  const cancelled = await place(s, "shot-5", { contract: { symbol: "MSFT" }, limitPrice: 200, quantity: 5 });
  await s.op(`mutation C($id: ID!) { cancelOrder(id: $id) { id } }`, { id: cancelled });
  await place(s, "shot-6", { contract: { symbol: "SPY" }, limitPrice: 900, quantity: 3, side: "SELL" });
  const quotes = (await s.cp.get<{ quotes: { conid: number; last: number }[] }>("/sim/prices")).body.quotes;
  // Move prices after the fills so the P&L column has both colours.
  await s.control("/sim/prices", {
    prices: quotes
      .slice(0, 3)
      .map((q, i) => ({ conid: q.conid, price: +(q.last * [1.04, 0.97, 1.02][i]!).toFixed(2) })),
  });
}

async function dashboard(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByTestId("cp-state").waitFor();
  await page.getByTestId("position-AAPL").waitFor();
  await page.getByTestId("order-shot-6").waitFor();
  // The held contracts' quotes (the moved prices) on screen, and the positions marked to them.
  for (const symbol of ["AAPL", "MSFT", "SPY"]) {
    await page.getByTestId(`quote-${symbol}`).locator('[data-last]:not([data-last=""])').waitFor();
  }
  await page.waitForTimeout(500); // the last re-render after the quotes settle, for a steady picture
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  let s: SimApp | undefined;
  let t: SimApp | undefined;
  let browser: Browser | undefined;
  try {
    [s, browser] = await Promise.all([startSimApp(), launchBrowser()]);
    await seed(s);
    const origin = new URL(s.httpUrl).origin;
    const page = await browser.newPage({ viewport: VIEWPORT });

    await dashboard(page, origin);
    await page.screenshot({ path: join(OUT, "dashboard.png"), fullPage: true });

    await page.getByLabel("Symbol").fill("AAPL");
    await page.getByLabel("Quantity").fill("800");
    await page.getByLabel("Limit price").fill("150");
    await page.getByLabel("Route").selectOption("CLIENT_PORTAL");
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await page.getByRole("dialog").waitFor();
    await page.screenshot({ path: join(OUT, "dashboard-confirmation.png") });
    await page.getByRole("button", { name: "Don't transmit" }).click();

    // What a LIVE session looks like: the same page with the server's mode answered as LIVE.
    const live = await browser.newPage({ viewport: VIEWPORT });
    await live.route("**/graphql", async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replaceAll('"SIMULATED"', '"LIVE"');
      await route.fulfill({ response, body });
    });
    await dashboard(live, origin);
    await live.screenshot({ path: join(OUT, "dashboard-live.png") });

    const gql = await browser.newPage({ viewport: VIEWPORT });
    const query =
      "subscription {\n  orderUpdates { sequence type order { clientOrderId status filledQuantity } }\n}\n";
    await gql.goto(`${s.httpUrl}#query=${encodeURIComponent(query)}`);
    await gql.getByText("filledQuantity").first().waitFor();
    const before = s.app.broker.subscriberCounts().orderUpdates;
    await gql.locator(".graphiql-execute-button").click();
    await eventually("the subscription", () => s!.app.broker.subscriberCounts().orderUpdates > before);
    await place(s, "shot-7", { contract: { symbol: "AAPL" }, type: "MARKET", quantity: 2 });
    await gql.locator(".result-window").getByText("shot-7").first().waitFor();
    await gql.screenshot({ path: join(OUT, "graphiql.png") });

    t = await startSimApp({ env: { API_TOKEN: "screenshot-token-0123456789" } });
    const prompt = await browser.newPage({ viewport: { width: 900, height: 520 } });
    await prompt.goto(`${new URL(t.httpUrl).origin}/`);
    await prompt.getByRole("textbox", { name: "API token" }).waitFor();
    await prompt.screenshot({ path: join(OUT, "dashboard-token.png") });
    console.log(`screenshots written to ${OUT}`);
  } finally {
    await browser?.close();
    await t?.stop();
    await s?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
