import { z } from "zod";

/**
 * Every element of the gateway's login page the automatic login touches, in one table. IB has changed this
 * page before (and login robots broke each time), so each entry can be overridden by configuration
 * (IB_CP_LOGIN_SELECTORS, a JSON object with some of these keys) without a new release.
 */
export interface LoginSelectors {
  /** Username input of page v1 (until 2023). */
  usernameV1: string;
  /** Username input of page v2. */
  usernameV2: string;
  /** Where page v1 shows IB's error message. */
  errorV1: string;
  /** Where page v2 shows IB's error message. */
  errorV2: string;
  password: string;
  submit: string;
  /** The label of the paper/live switch; its `for` names the checkbox that says which side is chosen. */
  paperToggle: string;
  /** The container of the second-factor step. */
  twoFactor: string;
  /** IB's notice in that step ("enter the code", "check your phone"). */
  twoFactorNotice: string;
  /** The input of the security code. */
  twoFactorInput: string;
  /** Skip link of the IB Key advertisement IB sometimes shows after the login. */
  ibKeyPromoSkip: string;
  /** Text of the page that says the login worked (searched in the body, not a selector). */
  successText: string;
}

export const DEFAULT_LOGIN_SELECTORS: Readonly<LoginSelectors> = Object.freeze({
  usernameV1: "input[name=user_name]",
  usernameV2: "input[name=username]",
  errorV1: ".alert.alert-danger.margin-top-10",
  errorV2: ".xyz-errormessage",
  password: "input[name=password]",
  submit: ".btn.btn-lg.xyz-button-login",
  paperToggle: "label[for=toggle1]",
  twoFactor: "#twofactbase",
  twoFactorNotice: ".login-step-notification",
  twoFactorInput: "#xyz-field-bronze-response",
  ibKeyPromoSkip: ".ibkey-promo-skip",
  successText: "Client login succeeds",
});

const KEYS = Object.keys(DEFAULT_LOGIN_SELECTORS) as (keyof LoginSelectors)[];

/** IB_CP_LOGIN_SELECTORS: JSON text → the overrides, with unknown keys and empty values refused. */
export const loginSelectorsSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON object" });
      return z.NEVER;
    }
  })
  .pipe(z.object(Object.fromEntries(KEYS.map((k) => [k, z.string().min(1).optional()]))).strict())
  .transform((o) => o as Partial<LoginSelectors>);

export function loginSelectors(overrides?: Partial<LoginSelectors>): LoginSelectors {
  const out: LoginSelectors = { ...DEFAULT_LOGIN_SELECTORS };
  for (const k of KEYS) {
    const v = overrides?.[k];
    if (v) out[k] = v;
  }
  return out;
}
