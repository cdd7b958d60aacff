import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";
import { loginSelectorsSchema } from "../session/login-selectors";

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
  // Automatic Client Portal login (session/cp-login.ts); checked together by checkCpLogin below.
  cpLogin: { env: "IB_CP_LOGIN", example: "auto", schema: z.enum(["auto", "manual"]), default: "manual" },
  cpUsername: {
    env: "IB_CP_USERNAME",
    example: "readonly-user",
    schema: z.string().min(1).optional(),
    secret: true,
  },
  cpPassword: { env: "IB_CP_PASSWORD", example: "…", schema: z.string().min(1).optional(), secret: true },
  cpTotpSecret: {
    env: "IB_CP_TOTP_SECRET",
    example: "JBSWY3DPEHPK3PXP",
    schema: z
      .string()
      .transform((v) => v.replace(/\s+/g, "").toUpperCase())
      .pipe(z.string().regex(/^[A-Z2-7]+=*$/, "must be the base32 secret of the authenticator app"))
      .optional(),
    secret: true,
  },
  cpTradingMode: {
    env: "IB_CP_TRADING_MODE",
    example: "paper",
    schema: z.enum(["paper", "live"]),
    default: "paper",
  },
  cpBrowser: {
    env: "IB_CP_BROWSER",
    example: "/usr/bin/chromium",
    schema: z.string().min(1),
    default: "/usr/bin/chromium",
  },
  cpLoginSelectors: {
    env: "IB_CP_LOGIN_SELECTORS",
    example: '{"usernameV2":"input[name=username]"}',
    schema: loginSelectorsSchema.optional(),
  },
  cpLoginTimeoutMs: {
    env: "IB_CP_LOGIN_TIMEOUT_MS",
    example: "60000",
    schema: z.coerce.number().int().min(5_000).max(600_000),
    default: "60000",
  },
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
  journalRetentionDays: {
    env: "JOURNAL_RETENTION_DAYS",
    example: "30",
    schema: z.coerce.number().int().min(1).max(3650),
    default: "30",
  },
  // Shared deployments (src/cluster): unset, the store is SQLite in DATA_DIR and the role is SINGLE.
  // Not `secret`: the host and database are worth logging; the password is cut by redactUrlCredentials.
  databaseUrl: {
    env: "DATABASE_URL",
    example: "postgres://ibkr:secret@db.internal:5432/ibkr",
    schema: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  },
  instanceId: {
    env: "INSTANCE_ID",
    example: "ibkr-1",
    // Empty: one made of the host name, the pid and a random part, unique even for two containers that
    // share a host name and pid 1.
    schema: z
      .string()
      .max(100)
      .transform((v) => v.trim() || `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`),
    default: "",
  },
  advertiseUrl: {
    env: "ADVERTISE_URL",
    example: "http://ibkr-1.internal:4000",
    // Unset: http://HOST:PORT, right only when the other instances reach this one at its bind address.
    schema: z.url({ protocol: /^https?$/ }).optional(),
  },
  leaderLeaseSeconds: {
    env: "LEADER_LEASE_SECONDS",
    example: "10",
    schema: z.coerce.number().int().min(1).max(300),
    default: "10",
  },
  orderEventBuffer: {
    env: "ORDER_EVENT_BUFFER",
    example: "10000",
    schema: z.coerce.number().int().min(10).max(1_000_000),
    default: "10000",
  },
  allowedOrigins: {
    env: "ALLOWED_ORIGINS",
    example: "https://app.example.com",
    schema: list,
    default: "",
  },
  allowedHosts: { env: "ALLOWED_HOSTS", example: "ibkr-graphql.internal", schema: list, default: "" },
  /** Unset: on unless NODE_ENV=production. */
  introspection: { env: "INTROSPECTION", example: "false", schema: bool.optional() },
  wsMaxConnections: {
    env: "WS_MAX_CONNECTIONS",
    example: "1000",
    schema: z.coerce.number().int().min(1).max(100_000),
    default: "1000",
  },
  wsMaxConnectionsPerAddress: {
    env: "WS_MAX_CONNECTIONS_PER_ADDRESS",
    example: "32",
    schema: z.coerce.number().int().min(1).max(100_000),
    default: "32",
  },
  wsMaxOperations: {
    env: "WS_MAX_OPERATIONS_PER_CONNECTION",
    example: "100",
    schema: z.coerce.number().int().min(1).max(10_000),
    default: "100",
  },
  wsMaxBufferedBytes: {
    env: "WS_MAX_BUFFERED_BYTES",
    example: "4194304",
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024),
    default: "4194304",
  },
  simCpPort: { env: "SIM_CP_PORT", example: "5001", schema: port, default: "0" },
  /** SIMULATED mode: forget the simulated brokerage and its journal kept in DATA_DIR/simulated. */
  simFresh: { env: "SIM_FRESH", example: "false", schema: bool, default: "false" },
  simTwsPort: { env: "SIM_TWS_PORT", example: "7497", schema: port, default: "0" },
  marketDataLines: {
    env: "MARKET_DATA_LINES",
    example: "100",
    schema: z.coerce.number().int().min(1).max(10_000),
    default: "100",
  },
  marketDataType: {
    env: "MARKET_DATA_TYPE",
    example: "live",
    schema: z.enum(["live", "frozen", "delayed", "delayed-frozen"]),
    default: "live",
  },
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
    if (raw === "" && secretFile) {
      // An empty value would silently win over the file and leave the server open: fail closed.
      problems.push(
        `${spec.env}: set but empty while ${spec.env}_FILE is set; unset ${spec.env} to use the file ` +
          `(example: ${spec.env}_FILE=/run/secrets/api_token)`,
      );
      continue;
    }
    if (raw === undefined && secretFile) {
      // Docker/systemd secrets arrive as files; the value never passes through the environment.
      const read = readSecretFile(secretFile);
      if (typeof read !== "string") {
        problems.push(
          `${spec.env}_FILE: ${read.problem} (got ${JSON.stringify(secretFile)}); example: ${spec.env}_FILE=/run/secrets/api_token`,
        );
        continue;
      }
      raw = read;
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

function readSecretFile(path: string): string | { problem: string } {
  if (!existsSync(path)) return { problem: "file not found" };
  try {
    if (statSync(path).isDirectory()) return { problem: "is a directory, not a file" };
    const value = readFileSync(path, "utf8").trim();
    return value === "" ? { problem: "file is empty" } : value;
  } catch (e) {
    return { problem: `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
}

/** Why DATA_DIR cannot hold the server's files, or undefined (SIMULATED mode keeps its book there too). */
export function dataDirProblem(dir: string): string | undefined {
  let probe = resolve(dir);
  try {
    if (existsSync(probe)) {
      if (!statSync(probe).isDirectory()) return "exists and is not a directory";
    } else {
      // It will be created: its nearest existing ancestor must be a writable directory.
      while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
      if (!statSync(probe).isDirectory()) return `${probe} is not a directory`;
    }
    accessSync(probe, constants.W_OK);
    return undefined;
  } catch (e) {
    return `not writable (${(e as NodeJS.ErrnoException).code ?? String(e)} on ${probe})`;
  }
}

function crossCheck(c: Config, problems: string[]): void {
  const why = dataDirProblem(c.dataDir);
  if (why) problems.push(`DATA_DIR: ${why} (got ${JSON.stringify(c.dataDir)}); example: DATA_DIR=./data`);
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
  checkCpLogin(c, problems);
  if (c.apiReadToken && c.apiReadToken === c.apiToken) {
    problems.push(
      "API_READ_TOKEN: must differ from API_TOKEN, or the read-only token could trade (got the same value)",
    );
  }
  if (c.allowedOrigins.includes("*") && !c.apiToken) {
    problems.push(
      "ALLOWED_ORIGINS: `*` lets a page on any site use the server, which requires API_TOKEN; " +
        "list the frontends instead (example: ALLOWED_ORIGINS=https://app.example.com)",
    );
  }
  if (c.allowedHosts.includes("*") && !c.apiToken) {
    problems.push(
      "ALLOWED_HOSTS: `*` turns off the DNS-rebinding check, which requires API_TOKEN; " +
        "list the names clients use instead (example: ALLOWED_HOSTS=ibkr-graphql.internal)",
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

/**
 * Text with the credentials of every URL in it (`https://user:pass@host`) replaced: the one place that
 * decides how a URL may be shown, in logs, `doctor` output and error messages.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, "$1[redacted]@");
}

/** The settings as they may be logged: secrets replaced, and credentials inside URLs. */
export function redactedConfig(c: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS)) {
    const v = (c as Record<string, unknown>)[key];
    out[key] =
      "secret" in spec && v !== undefined
        ? "[redacted]"
        : typeof v === "string"
          ? redactUrlCredentials(v)
          : v;
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

/** IB_CP_LOGIN=auto needs a user and a password, and a browser that exists. */
function checkCpLogin(c: Config, problems: string[]): void {
  if (c.cpLogin !== "auto") return;
  if (!c.cpUsername || !c.cpPassword) {
    problems.push(
      "IB_CP_LOGIN=auto needs IB_CP_USERNAME and IB_CP_PASSWORD (or IB_CP_PASSWORD_FILE); example: IB_CP_USERNAME=readonly-user IB_CP_PASSWORD_FILE=/run/secrets/ib_password",
    );
  }
  if (!existsSync(c.cpBrowser)) {
    problems.push(
      `IB_CP_BROWSER: no browser at ${JSON.stringify(c.cpBrowser)} (IB_CP_LOGIN=auto needs Chromium); example: IB_CP_BROWSER=/usr/bin/chromium`,
    );
  }
}
