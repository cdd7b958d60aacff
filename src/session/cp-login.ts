/**
 * One automatic login at the gateway's page with headless Chromium: detect the page version, fill the form,
 * choose paper or live, submit, answer a TOTP second factor when a secret is configured, skip the IB Key
 * advertisement, and wait for "Client login succeeds". The browser lives only for this one attempt and is
 * closed (its profile deleted) whatever happens. Knows nothing of the supervisor: it only says how it went.
 */
import { createHash, X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret, TOTP } from "otpauth";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { LoginSelectors } from "./login-selectors";

export type LoginPageVersion = "v1" | "v2";
export type LoginTradingMode = "paper" | "live";

export type BrowserLoginOutcome =
  | {
      kind: "success";
      pageVersion: LoginPageVersion;
      tradingMode: LoginTradingMode;
      /** What second factor the page asked for and got. */
      secondFactor: "none" | "totp";
      ibKeyPromoSkipped: boolean;
    }
  /** IB showed an error (wrong password, locked user, wrong code): trying again can only make it worse. */
  | { kind: "rejected"; pageVersion: LoginPageVersion; message: string }
  /** Credentials accepted, but IB asks for a second factor this robot cannot give (no TOTP secret). */
  | { kind: "second-factor"; pageVersion: LoginPageVersion; message: string }
  /** Page unreachable, browser failed, timeout, page structure not recognised: worth a later attempt. */
  | { kind: "transient"; pageVersion: LoginPageVersion | null; message: string };

export interface BrowserLoginOptions {
  /** The gateway's login page (`IB_CP_URL` + `/`). */
  loginUrl: string;
  username: string;
  password: string;
  /** Base32 TOTP secret of the user's authenticator (IB_CP_TOTP_SECRET). */
  totpSecret?: string;
  tradingMode: LoginTradingMode;
  /** IB_CP_BROWSER. @default "/usr/bin/chromium" */
  browserPath?: string;
  selectors: LoginSelectors;
  /** IB_CP_INSECURE_TLS: the browser then accepts any certificate, like the HTTP client. */
  insecureTls?: boolean;
  /**
   * The gateway certificate (or its CA) the HTTP client pins (IB_CP_CA_FILE). The browser trusts exactly its
   * public key (Chromium's SPKI allow-list), so a pinned self-signed gateway works without disabling checks.
   */
  caPem?: string | Buffer;
  /** The whole attempt, browser start included. @default 60000 */
  timeoutMs?: number;
  /** Where the throw-away browser profile is made. @default os.tmpdir() */
  profileRoot?: string;
  /** Ends the attempt at once (the server is stopping): the browser is closed, the outcome is transient. */
  signal?: AbortSignal;
}

/** The arguments Chromium needs to run as root in a container, without talking to Google. */
const CHROMIUM_ARGS = [
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

/** Base64 SHA-256 of the certificate's public key: the form Chromium's SPKI allow-list takes. */
export function spkiHash(pem: string | Buffer): string {
  const der = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64");
}

class AttemptTimeout extends Error {}

/** Runs one login attempt; never throws. */
export async function runBrowserLogin(o: BrowserLoginOptions): Promise<BrowserLoginOutcome> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  const remaining = (): number => {
    if (o.signal?.aborted) throw new AttemptTimeout("the login was cancelled (the server is stopping)");
    const ms = deadline - Date.now();
    if (ms <= 0) throw new AttemptTimeout("the login did not finish in time");
    return ms;
  };
  const secrets = [o.password, o.username, o.totpSecret].filter((s): s is string => !!s && s.length >= 3);
  const clean = (text: string): string =>
    secrets.reduce((t, s) => t.split(s).join("[redacted]"), text.replace(/\s+/g, " ").trim()).slice(0, 300);

  let pageVersion: LoginPageVersion | null = null;
  let profile: string | undefined;
  let context: BrowserContext | undefined;
  // Closing the browser makes whatever step is running fail at once; the catch below reports it.
  const onAbort = () => void context?.close().catch(() => undefined);
  o.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    profile = await mkdtemp(join(o.profileRoot ?? tmpdir(), "ibkr-graphql-login-"));
    const args = [...CHROMIUM_ARGS];
    if (!o.insecureTls && o.caPem) args.push(`--ignore-certificate-errors-spki-list=${spkiHash(o.caPem)}`);
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath: o.browserPath ?? "/usr/bin/chromium",
        headless: true,
        args,
        ignoreHTTPSErrors: o.insecureTls === true,
        timeout: remaining(),
        // No state may leak between attempts or into the logs.
        acceptDownloads: false,
        serviceWorkers: "block",
      });
    } catch (e) {
      if (e instanceof AttemptTimeout) throw e;
      return {
        kind: "transient",
        pageVersion,
        message: `cannot start the browser at ${o.browserPath ?? "/usr/bin/chromium"} (IB_CP_BROWSER): ${clean(firstLine(e))}`,
      };
    }
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    await page.goto(o.loginUrl, { waitUntil: "domcontentloaded", timeout: remaining() });

    pageVersion = await detectVersion(page, o.selectors, remaining);
    if (pageVersion === null) {
      return {
        kind: "transient",
        pageVersion,
        message: `the login page has neither ${o.selectors.usernameV1} nor ${o.selectors.usernameV2}; if IB changed it, set IB_CP_LOGIN_SELECTORS`,
      };
    }
    const sel = o.selectors;
    await page.fill(pageVersion === "v1" ? sel.usernameV1 : sel.usernameV2, o.username, {
      timeout: remaining(),
    });
    await page.fill(sel.password, o.password, { timeout: remaining() });
    const toggled = await choose(page, sel.paperToggle, o.tradingMode);
    if (!toggled) {
      return {
        kind: "transient",
        pageVersion,
        message: `the paper/live switch (${sel.paperToggle}) is missing or unreadable; if IB changed the page, set IB_CP_LOGIN_SELECTORS`,
      };
    }
    await page.click(sel.submit, { timeout: remaining() });

    const errorSel = pageVersion === "v1" ? sel.errorV1 : sel.errorV2;
    let seen = await waitForOutcome(page, sel, errorSel, remaining);
    let secondFactor: "none" | "totp" = "none";
    let promoSkipped = false;
    if (seen.what === "second-factor") {
      if (!o.totpSecret) {
        return {
          kind: "second-factor",
          pageVersion,
          message: clean(seen.text) || "IB asks for a second factor",
        };
      }
      await page.fill(sel.twoFactorInput, await totpCode(o.totpSecret, remaining), { timeout: remaining() });
      await page.press(sel.twoFactorInput, "Enter", { timeout: remaining() });
      secondFactor = "totp";
      seen = await waitForOutcome(page, sel, errorSel, remaining, true);
    }
    if (seen.what === "promo") {
      await page.click(sel.ibKeyPromoSkip, { timeout: remaining() });
      promoSkipped = true;
      seen = await waitForOutcome(page, sel, errorSel, remaining, true);
    }
    switch (seen.what) {
      case "success":
        return {
          kind: "success",
          pageVersion,
          tradingMode: o.tradingMode,
          secondFactor,
          ibKeyPromoSkipped: promoSkipped,
        };
      case "error":
        return { kind: "rejected", pageVersion, message: clean(seen.text) || "IB refused the login" };
      default:
        // A second prompt after the code was given means the code was not taken.
        return {
          kind: "rejected",
          pageVersion,
          message: clean(seen.text) || "IB asked for the second factor again",
        };
    }
  } catch (e) {
    const message =
      e instanceof AttemptTimeout
        ? e.message
        : o.signal?.aborted
          ? "the login was cancelled (the server is stopping)"
          : clean(firstLine(e));
    return { kind: "transient", pageVersion, message: message || "the login failed" };
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    await context?.close().catch(() => undefined);
    if (profile) await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The bits of the DOM the page probes use (the project compiles without the DOM library). */
interface ProbeElement {
  textContent: string | null;
  getClientRects(): { length: number };
}
interface ProbeDocument {
  querySelector(selector: string): ProbeElement | null;
  body: { innerText: string } | null;
}

/** Runs in the page: which of the elements a step can end with is there now. */
function probePage(s: {
  error: string;
  successText: string;
  promo: string;
  twoFactor: string;
  twoFactorNotice: string;
  twoFactorInput: string;
  usernameV1: string;
  usernameV2: string;
}): { what: string; text: string } | null {
  const doc = (globalThis as unknown as { document: ProbeDocument }).document;
  const visible = (selector: string): ProbeElement | null => {
    const el = doc.querySelector(selector);
    return el && el.getClientRects().length > 0 ? el : null;
  };
  const error = visible(s.error);
  if (error && (error.textContent ?? "").trim() !== "")
    return { what: "error", text: error.textContent ?? "" };
  if ((doc.body?.innerText ?? "").includes(s.successText)) return { what: "success", text: "" };
  if (visible(s.promo)) return { what: "promo", text: "" };
  const twoFactor = visible(s.twoFactor) ?? visible(s.twoFactorInput);
  if (twoFactor) {
    const notice = doc.querySelector(s.twoFactorNotice);
    return { what: "second-factor", text: (notice ?? twoFactor).textContent ?? "" };
  }
  if (doc.querySelector(s.usernameV1)) return { what: "v1", text: "" };
  if (doc.querySelector(s.usernameV2)) return { what: "v2", text: "" };
  return null;
}

type Seen = { what: "success" | "error" | "promo" | "second-factor"; text: string };

function probeArgs(sel: LoginSelectors, errorSel: string) {
  return {
    error: errorSel,
    successText: sel.successText,
    promo: sel.ibKeyPromoSkip,
    twoFactor: sel.twoFactor,
    twoFactorNotice: sel.twoFactorNotice,
    twoFactorInput: sel.twoFactorInput,
    usernameV1: sel.usernameV1,
    usernameV2: sel.usernameV2,
  };
}

/**
 * Polls the page rather than waiting on one selector: the real page swaps steps by script, the simulator's
 * by navigation, and a poll survives both (an evaluation torn by a navigation is just tried again).
 */
async function poll(page: Page, sel: LoginSelectors, errorSel: string, remaining: () => number) {
  const args = probeArgs(sel, errorSel);
  for (;;) {
    remaining();
    const found = await page.evaluate(probePage, args).catch(() => null);
    if (found) return found;
    await sleep(150);
  }
}

async function detectVersion(
  page: Page,
  sel: LoginSelectors,
  remaining: () => number,
): Promise<LoginPageVersion | null> {
  const limit = Date.now() + Math.min(15_000, remaining());
  const args = probeArgs(sel, sel.errorV2);
  for (;;) {
    const found = await page.evaluate(probePage, args).catch(() => null);
    if (found?.what === "v1" || found?.what === "v2") return found.what;
    if (Date.now() >= limit) return null;
    remaining();
    await sleep(150);
  }
}

async function waitForOutcome(
  page: Page,
  sel: LoginSelectors,
  errorSel: string,
  remaining: () => number,
  afterSecondStep = false,
): Promise<Seen> {
  for (;;) {
    const found = await poll(page, sel, errorSel, remaining);
    if (found.what === "v1" || found.what === "v2") {
      // Still (or again) the credentials form without an error: the submit is under way.
      await sleep(150);
      continue;
    }
    if (afterSecondStep && found.what === "second-factor") {
      // The code is being checked; IB keeps the step up until it answers. Only an error ends this wait early.
      await sleep(150);
      continue;
    }
    return found as Seen;
  }
}

/** Sets the paper/live switch to the wanted side; false when the page has no such switch. */
async function choose(page: Page, toggleSel: string, mode: LoginTradingMode): Promise<boolean> {
  const label = await page.$(toggleSel);
  if (!label) return false;
  const id = await label.getAttribute("for");
  if (!id) return false;
  const box = await page.$(`[id="${id.replace(/"/g, "")}"]`);
  if (!box) return false;
  const isChecked = async () => box.evaluate((el) => (el as unknown as { checked: boolean }).checked);
  if ((await isChecked()) !== (mode === "paper")) await label.click();
  return (await isChecked()) === (mode === "paper");
}

/** A code with a few seconds of life left, so that it is still valid when IB checks it. */
async function totpCode(secret: string, remaining: () => number): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(secret.replace(/\s+/g, "").toUpperCase()) });
  const left = totp.period * 1000 - (Date.now() % (totp.period * 1000));
  if (left < 4_000 && left < remaining()) await sleep(left + 100);
  return totp.generate();
}
