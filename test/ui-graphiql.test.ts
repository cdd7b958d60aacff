import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { WEB_ROOT } from "../src/landing";
import { foreign, launchBrowser, recordErrors, recordRequests } from "./helpers/browser";
import { eventually, startSimApp, type SimApp } from "./helpers/sim-app";

const SUBSCRIPTION = `subscription {
  orderUpdates(accountId: "DU1234567") { sequence type order { clientOrderId status } }
}`;

describe("self-hosted GraphiQL at /graphql", () => {
  let s: SimApp;
  let browser: Browser;
  let page: Page;
  let urls: string[];
  let errors: string[];

  before(async () => {
    assert.ok(existsSync(`${WEB_ROOT}/graphiql.html`), "GraphiQL is built: run `npm run build:web` first");
    [s, browser] = await Promise.all([startSimApp(), launchBrowser()]);
    page = await browser.newPage();
    urls = recordRequests(page);
    errors = recordErrors(page);
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await s?.stop();
  });

  it("is the default landing page and loads offline", async () => {
    await page.goto(`${s.httpUrl}#query=${encodeURIComponent(SUBSCRIPTION)}`);
    await page.locator(".graphiql-execute-button").waitFor({ timeout: 20_000 });
    await page.getByText("orderUpdates").first().waitFor({ timeout: 20_000 });
  });

  it("runs a subscription over graphql-ws", async () => {
    await page.locator(".graphiql-execute-button").click();
    await eventually("the subscription on the server", async () => {
      const counts = s.app.broker.subscriberCounts();
      return counts.orderUpdates > 0;
    });
    const r = await s.op(
      `mutation { placeOrder(input: { accountId: "DU1234567", contract: { conid: 265598 }, side: BUY,
        type: LIMIT, quantity: 1, limitPrice: 100, clientOrderId: "graphiql-sub-1" }) { order { id } } }`,
    );
    assert.equal(r.errors, undefined);
    await page.locator(".result-window").getByText("graphiql-sub-1").first().waitFor({ timeout: 15_000 });
  });

  it("broke no Content-Security-Policy rule", () => {
    assert.deepEqual(
      errors.filter((e) => /Content Security Policy|Refused to/i.test(e)),
      [],
    );
  });

  it("made no request to any host but the server", () => {
    assert.ok(
      urls.some((u) => u.startsWith("ws://")),
      "a graphql-ws socket was opened",
    );
    assert.deepEqual(foreign(urls, s.httpUrl), []);
  });
});
