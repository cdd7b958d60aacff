import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { request } from "undici";
import { PLAYGROUND_PREFIX } from "../src/landing/playground";
import { foreign, launchBrowser, recordErrors, recordRequests } from "./helpers/browser";
import { startSimApp, type SimApp } from "./helpers/sim-app";

/** `--landing-page playground`: GraphQL Playground from the installed package's own build, no CDN. */
describe("GraphQL Playground offline (--landing-page playground)", () => {
  let s: SimApp;
  let browser: Browser;
  let page: Page;
  let urls: string[];
  let errors: string[];

  before(async () => {
    [s, browser] = await Promise.all([startSimApp({ env: { LANDING_PAGE: "playground" } }), launchBrowser()]);
    page = await browser.newPage();
    urls = recordRequests(page);
    errors = recordErrors(page);
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await s?.stop();
  });

  it("serves a page that names no CDN and no Google Fonts, with its own Content-Security-Policy", async () => {
    const r = await request(s.httpUrl, { headers: { accept: "text/html" } });
    const html = await r.body.text();
    assert.equal(r.statusCode, 200);
    assert.match(html, /GraphQL Playground/);
    // SVG namespaces (www.w3.org) are names, not requests.
    assert.doesNotMatch(html, /jsdelivr|googleapis|https?:\/\/(?!www\.w3\.org\/)/);
    assert.match(
      html,
      new RegExp(`src="${PLAYGROUND_PREFIX}/@apollographql/graphql-playground-react/build/`),
    );
    const csp = String(r.headers["content-security-policy"]);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, "the inline init script is allowed by hash");
    assert.match(csp, /script-src 'self' 'sha256-/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    // The bundle it names is served from the installed package.
    const js = await request(
      `${new URL(s.httpUrl).origin}${PLAYGROUND_PREFIX}/@apollographql/graphql-playground-react/build/static/js/middleware.js`,
    );
    assert.equal(js.statusCode, 200);
    assert.ok((await js.body.text()).includes("GraphQLPlayground"));
  });

  it("loads and runs { session { mode } } through its editor and run button", async () => {
    const expected = await s.op("{ session { mode } }");
    const mode = (expected.data as { session: { mode: string } }).session.mode;
    await page.goto(s.httpUrl);
    const editor = page.locator(".CodeMirror").first();
    await editor.waitFor({ timeout: 30_000 });
    await editor.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText("{ session { mode } }");
    await page.locator('[title^="Execute"], .execute-button, button:has(svg)').first().click();
    await page.waitForFunction(
      `document.body.innerText.includes(${JSON.stringify(`"mode": "${mode}"`)})`,
      null,
      {
        timeout: 20_000,
      },
    );
  });

  it("broke no Content-Security-Policy rule and logged no error", () => {
    assert.deepEqual(errors, []);
  });

  it("made no request to any host but the server", () => {
    assert.ok(urls.some((u) => u.includes("/static/js/middleware.js")));
    assert.deepEqual(foreign(urls, s.httpUrl), []);
  });
});
