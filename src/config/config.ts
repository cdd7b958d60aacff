import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";

export type LandingPage = "graphiql" | "sandbox" | "playground" | "none";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().positive().finite();
const list = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * Every setting, its environment variable, an example, and its parser. The example goes into the error
 * message, so a wrong value is fixed without opening the README.
 */
const SETTINGS = {
  host: { env: "HOST", example: "127.0.0.1", schema: z.string().min(1), default: "127.0.0.1" },
  port: { env: "PORT", example: "4000", schema: port, default: "4000" },
  landingPage: {
    env: "LANDING_PAGE",
    example: "graphiql",
    // GraphiQL is built into this package; Sandbox and Playground load from CDNs and are blank offline.
    schema: z.enum(["graphiql", "sandbox", "playground", "none"]),
    default: "graphiql",
  },
  logLevel: {
    env: "LOG_LEVEL",
    example: "info",
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    default: "info",
  },
  logFormat: {
    env: "LOG_FORMAT",
    example: "json",
    schema: z.enum(["auto", "json", "pretty"]),
    default: "auto",
  },
  cpUrl: {
    env: "IB_CP_URL",
    example: "https://localhost:5001",
    schema: z.url({ protocol: /^https?$/ }).optional(),
  },
  cpCaFile: { env: "IB_CP_CA_FILE", example: "/etc/ibkr/gateway.pem", schema: z.string().min(1).optional() },
  cpInsecureTls: { env: "IB_CP_INSECURE_TLS", example: "false", schema: bool, default: "false" },
  cpReadOnly: { env: "IB_CP_READ_ONLY", example: "false", schema: bool, default: "false" },
  cpTickleMs: {
    env: "IB_CP_TICKLE_MS",
    example: "55000",
    schema: z.coerce.number().int().min(200).max(60_000),
    default: "55000",
  },
  cpTakeOverCompeting: { env: "IB_CP_TAKE_OVER_COMPETING", example: "false", schema: bool, default: "false" },
  cpAutoConfirm: { env: "IB_CP_AUTO_CONFIRM", example: "o163,o354", schema: list, default: "" },
  twsHost: { env: "IB_TWS_HOST", example: "127.0.0.1", schema: z.string().min(1), default: "127.0.0.1" },
  twsPort: { env: "IB_TWS_PORT", example: "7497", schema: port.optional() },
  twsClientId: {
    env: "IB_TWS_CLIENT_ID",
    example: "0",
    schema: z.coerce.number().int().min(0).max(999_999_999),
    default: "0",
  },
  twsClientIdRange: {
    env: "IB_TWS_CLIENT_ID_RANGE",
    example: "8",
    schema: z.coerce.number().int().min(1).max(32),
    default: "8",
  },
  accounts: { env: "IB_ACCOUNTS", example: "DU1234567,DU7654321", schema: list, default: "" },
  apiToken: {
    env: "API_TOKEN",
    example: "a-long-random-string",
    schema: z.string().min(16).optional(),
    secret: true,
  },
  apiReadToken: {
    env: "API_READ_TOKEN",
    example: "another-long-random-string",
    schema: z.string().min(16).optional(),
    secret: true,
  },
  readOnly: { env: "READ_ONLY", example: "false", schema: bool, default: "false" },
  allowLiveTrading: { env: "ALLOW_LIVE_TRADING", example: "false", schema: bool, default: "false" },
  maxOrderQuantity: { env: "MAX_ORDER_QUANTITY", example: "1000", schema: positive.optional() },
  maxOrderNotional: { env: "MAX_ORDER_NOTIONAL", example: "50000", schema: positive.optional() },
  dataDir: { env: "DATA_DIR", example: "./data", schema: z.string().min(1), default: "./data" },
  orderEventBuffer: {
    env: "ORDER_EVENT_BUFFER",
    example: "10000",
    schema: z.coerce.number().int().min(10).max(1_000_000),
    default: "10000",
  },
  simCpPort: { env: "SIM_CP_PORT", example: "5001", schema: port, default: "0" },
  simTwsPort: { env: "SIM_TWS_PORT", example: "7497", schema: port, default: "0" },
} as const;

type Settings = typeof SETTINGS;
type Parsed<K extends keyof Settings> = z.output<Settings[K]["schema"]>;
export type Config = { [K in keyof Settings]: Parsed<K> } & {
  /** Neither IB_CP_URL nor IB_TWS_PORT is set: the server runs on its built-in simulators. */
  simulated: boolean;
};

export type ConfigOverrides = Partial<Record<keyof Settings, string | number | boolean | undefined>>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Reads settings from, in rising priority: defaults, a `.env` file in the working directory, the
 * environment, and `overrides` (CLI flags). Validated once; throws ConfigError listing every problem.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: ConfigOverrides = {},
  dotenvPath: string | null = ".env",
): Config {
  const fromFile = dotenvPath && existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [keyof Settings, Settings[keyof Settings]][]) {
    const flag = overrides[key];
    let raw = flag !== undefined ? String(flag) : (env[spec.env] ?? fromFile[spec.env]);
    const secretFile =
      "secret" in spec ? (env[`${spec.env}_FILE`] ?? fromFile[`${spec.env}_FILE`]) : undefined;
    if (raw === undefined && secretFile) {
      // Docker/systemd secrets arrive as files; the value never passes through the environment.
      if (!existsSync(secretFile)) {
        problems.push(
          `${spec.env}_FILE: file not found (got ${JSON.stringify(secretFile)}); example: ${spec.env}_FILE=/run/secrets/api_token`,
        );
        continue;
      }
      raw = readFileSync(secretFile, "utf8").trim();
    }
    const value =
      raw === undefined || (raw === "" && !("default" in spec))
        ? "default" in spec
          ? spec.default
          : undefined
        : raw;
    const result = (spec.schema as z.ZodType).safeParse(value);
    if (result.success) {
      out[key] = result.data;
    } else {
      const shown = "secret" in spec ? "(hidden)" : JSON.stringify(value);
      const why = result.error.issues[0]?.message ?? "invalid";
      problems.push(`${spec.env}: ${why} (got ${shown}); example: ${spec.env}=${spec.example}`);
    }
  }
  const config = out as Config;
  if (problems.length === 0) crossCheck(config, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  config.simulated = config.cpUrl === undefined && config.twsPort === undefined;
  return config;
}

function crossCheck(c: Config, problems: string[]): void {
  if (c.cpCaFile && !existsSync(c.cpCaFile)) {
    problems.push(
      `IB_CP_CA_FILE: file not found (got ${JSON.stringify(c.cpCaFile)}); example: IB_CP_CA_FILE=/etc/ibkr/gateway.pem`,
    );
  }
  if (c.cpCaFile && c.cpInsecureTls) {
    problems.push(
      "IB_CP_CA_FILE and IB_CP_INSECURE_TLS=true contradict each other: pin the certificate or opt out, not both.",
    );
  }
  if (c.apiReadToken && c.apiReadToken === c.apiToken) {
    problems.push(
      "API_READ_TOKEN: must differ from API_TOKEN, or the read-only token could trade (got the same value)",
    );
  }
  if (!isLoopback(c.host) && !c.apiToken) {
    problems.push(
      `HOST: binding ${c.host} exposes the server beyond this machine, which requires API_TOKEN; ` +
        "example: HOST=0.0.0.0 API_TOKEN=$(openssl rand -hex 24)",
    );
  }
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** The settings as they may be logged: secrets replaced. */
export function redactedConfig(c: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS)) {
    const v = (c as Record<string, unknown>)[key];
    out[key] = "secret" in spec && v !== undefined ? "[redacted]" : v;
  }
  out.simulated = c.simulated;
  return out;
}

/** For the README and `--help`: every variable with its example. */
export function settingsTable(): { env: string; example: string; default?: string }[] {
  return Object.values(SETTINGS).map((s) => ({
    env: s.env,
    example: s.example,
    ...("default" in s ? { default: s.default } : {}),
  }));
}
