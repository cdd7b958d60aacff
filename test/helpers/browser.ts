import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { eventually } from "./wait";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Flags for headless Chromium as root on a machine without internet: no sandbox (root), no GPU, and no
 * background traffic of its own (component updates, sync, QUIC probes), so every request a test sees
 * comes from the page. Playwright gives each launch a fresh temporary profile.
 */
const ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Launches Chromium, waiting (bounded) for an apt install still under way to put it in place. */
export async function launchBrowser(waitForInstallMs = 120_000): Promise<Browser> {
  await eventually(`${CHROMIUM} to exist`, () => existsSync(CHROMIUM), waitForInstallMs, 500);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
}

/** Every URL a page requested (HTTP and WebSocket), for the no-external-request assertion. */
export function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (r) => void urls.push(r.url()));
  page.on("websocket", (ws) => void urls.push(ws.url()));
  return urls;
}

/** URLs whose host is not `origin`'s (data: and blob: URLs stay in the page, so they pass). */
export function foreign(urls: string[], origin: string): string[] {
  const host = new URL(origin).host;
  return urls.filter((u) => {
    const url = new URL(u);
    if (url.protocol === "data:" || url.protocol === "blob:") return false;
    return url.host !== host;
  });
}

/** Console errors and uncaught page errors, e.g. a Content-Security-Policy refusal. */
export function recordErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => void errors.push(e.message));
  return errors;
}
