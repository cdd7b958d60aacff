import { readFileSync } from "node:fs";
import type { Config } from "../config/config";
import { runBrowserLogin } from "../session/cp-login";
import { loginSelectors } from "../session/login-selectors";
import type { Check } from "./check";

/**
 * `doctor --login`: one real login with the configured credentials, exactly as the server would make it, to
 * learn before the first daily reset whether it works: which page version IB serves, which side (paper or
 * live) was chosen, and whether a second factor was asked. Never part of a plain `doctor` run: a login
 * replaces the gateway's current one, and every failed attempt counts towards IB's lockout.
 */
export async function checkCpAutoLogin(config: Config, options: { caPem?: string } = {}): Promise<Check> {
  const name = "automatic login";
  if (!config.cpUrl) {
    return { api: "CLIENT_PORTAL", name, ok: false, detail: "IB_CP_URL is not set", fix: "Set IB_CP_URL." };
  }
  const loginUrl = `${config.cpUrl.replace(/\/+$/, "")}/`;
  if (!config.cpUsername || !config.cpPassword) {
    return {
      api: "CLIENT_PORTAL",
      name,
      ok: false,
      detail: "no credentials configured",
      fix: "Set IB_CP_USERNAME and IB_CP_PASSWORD (or IB_CP_PASSWORD_FILE), ideally of a secondary read-only IB user without 2FA.",
    };
  }
  const outcome = await runBrowserLogin({
    loginUrl,
    username: config.cpUsername,
    password: config.cpPassword,
    totpSecret: config.cpTotpSecret,
    tradingMode: config.cpTradingMode,
    browserPath: config.cpBrowser,
    selectors: loginSelectors(config.cpLoginSelectors),
    insecureTls: config.cpInsecureTls,
    caPem: options.caPem ?? (config.cpCaFile ? readFileSync(config.cpCaFile, "utf8") : undefined),
    timeoutMs: config.cpLoginTimeoutMs,
  });
  const page = outcome.pageVersion ? `login page ${outcome.pageVersion}` : "login page not recognised";
  switch (outcome.kind) {
    case "success":
      return {
        api: "CLIENT_PORTAL",
        name,
        ok: true,
        detail:
          `${page}, ${outcome.tradingMode} side chosen, second factor: ` +
          (outcome.secondFactor === "totp" ? "asked and answered with a TOTP code" : "not asked") +
          (outcome.ibKeyPromoSkipped ? ", IB Key advertisement skipped" : ""),
      };
    case "second-factor":
      return {
        api: "CLIENT_PORTAL",
        name,
        ok: false,
        detail: `${page}, ${config.cpTradingMode} side chosen, password accepted; then the second-factor step appeared: ${outcome.message}`,
        fix: "Set IB_CP_TOTP_SECRET if the user has an authenticator app, or use a secondary read-only IB user without 2FA; IB Key and SMS need a person (the server then waits in AWAITING_SECOND_FACTOR).",
      };
    case "rejected":
      return {
        api: "CLIENT_PORTAL",
        name,
        ok: false,
        detail: `${page}: IB refused the login: ${outcome.message}`,
        fix: `Check the credentials by logging in once by hand at ${loginUrl}; do not repeat this check in a loop, IB locks the user after a few failures.`,
      };
    case "transient":
      return {
        api: "CLIENT_PORTAL",
        name,
        ok: false,
        detail: `${page}: ${outcome.message}`,
        fix: "Check IB_CP_BROWSER (Chromium), that the login page opens in a browser, and IB_CP_LOGIN_SELECTORS if IB changed the page.",
      };
  }
}
