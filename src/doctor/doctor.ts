import { redactUrlCredentials, type Config } from "../config/config";
import type { Check } from "./check";
import { checkClientPortal } from "./cp-checks";
import { checkCpAutoLogin } from "./cp-login-check";
import { checkTws } from "./tws-checks";

export interface DoctorOptions {
  /** Per network step. @default 4000 */
  timeoutMs?: number;
  /** The gateway certificate as PEM, when it is not in a file (the built-in simulator's). */
  cpCaPem?: string;
  /** `--login`: also log in once with the configured credentials (never by default). */
  login?: boolean;
}

/** Checks every configured gateway as the server would connect to it; both sides run in parallel. */
export async function runDoctor(config: Config, options: DoctorOptions = {}): Promise<Check[]> {
  if (config.simulated) {
    return [
      {
        api: "CONFIG",
        name: "gateways",
        ok: true,
        detail:
          "neither IB_CP_URL nor IB_TWS_PORT is set: `npm start` runs on the built-in simulators (use `doctor --sim` to check them)",
      },
    ];
  }
  const [cp, tws] = await Promise.all([
    config.cpUrl
      ? checkClientPortal({
          url: config.cpUrl,
          caFile: config.cpCaFile,
          caPem: options.cpCaPem,
          insecureTls: config.cpInsecureTls,
          readOnly: config.cpReadOnly,
          timeoutMs: options.timeoutMs,
        })
      : Promise.resolve([]),
    config.twsPort !== undefined
      ? checkTws({
          host: config.twsHost,
          port: config.twsPort,
          clientId: config.twsClientId,
          timeoutMs: options.timeoutMs,
        })
      : Promise.resolve([]),
  ]);
  // After the other checks, so that a login cannot disturb what they report.
  const login =
    options.login && config.cpUrl ? [await checkCpAutoLogin(config, { caPem: options.cpCaPem })] : [];
  // The checks quote the gateway URL (and errors that contain it): never its user:password part.
  return [...cp, ...login, ...tws].map((c) => ({
    ...c,
    detail: redactUrlCredentials(c.detail),
    ...(c.fix !== undefined ? { fix: redactUrlCredentials(c.fix) } : {}),
  }));
}

export { formatChecks, type Check } from "./check";
