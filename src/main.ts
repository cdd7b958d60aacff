#!/usr/bin/env node
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { Command, Option } from "commander";
import { printSchema } from "graphql";
import { startApp } from "./app";
import { formatChecks, runDoctor } from "./doctor/doctor";
import { RATE_LIMIT_PROFILES, startSimulators, type CpRateLimitProfile } from "./simulators";
import {
  ConfigError,
  loadConfig,
  redactedConfig,
  redactUrlCredentials,
  type ConfigOverrides,
} from "./config/config";
import { createLogger, type Logger } from "./logger";
import { buildAppSchema } from "./build-schema";
import { migrateSqliteToPg, StoreError } from "./store";

/** Exit codes: 0 ok, 1 runtime failure (or a shutdown past its deadline), 2 bad configuration or usage. */
const EXIT_FAILURE = 1;
const EXIT_BAD_CONFIG = 2;
const SHUTDOWN_DEADLINE_MS = 2000;

function configOrExit(overrides: ConfigOverrides) {
  try {
    return loadConfig(process.env, overrides);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${e.message}\nSee the README's configuration table, or run: ibkr-graphql --help`);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw e;
  }
}

/** Longest value of a client's choosing in a log line; a refused 150 kB clientOrderId stays a short line. */
const LOGGED_VALUE_MAX = 256;

/** The audit lines' fields that carry what a client sent (or an error message quoting it), truncated. */
function boundedAuditValues(logger: Logger): Logger {
  const truncate = (v: unknown) =>
    typeof v === "string" && v.length > LOGGED_VALUE_MAX
      ? `${v.slice(0, LOGGED_VALUE_MAX)}…(${v.length} characters)`
      : v;
  const keys = ["client", "accountId", "clientOrderId", "orderId", "replyId", "reason"];
  return logger.child({}, { serializers: Object.fromEntries(keys.map((k) => [k, truncate])) });
}

/**
 * DATA_DIR can pass the configuration check and still fail when the server creates its files (a read-only
 * mount, a file in the way): that is the setting's fault, so exit 2 naming it, without a stack.
 */
function exitOnStorageError(e: unknown, dataDir: string): never {
  // The store refused (DATA_DIR locked by another server, an unreadable or newer database): its message
  // says what to do, a stack would bury it.
  if (e instanceof StoreError) {
    console.error(`Cannot start: ${e.message}`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const err = e as NodeJS.ErrnoException;
  const fsCodes = ["EACCES", "EPERM", "EROFS", "ENOTDIR", "EISDIR", "EEXIST", "ENOSPC"];
  if (
    typeof err?.code === "string" &&
    fsCodes.includes(err.code) &&
    (err.path ?? "").includes(basename(dataDir))
  ) {
    console.error(
      `Invalid configuration:\n  - DATA_DIR: cannot be written (${err.code} on ${err.path}); example: DATA_DIR=./data`,
    );
    process.exit(EXIT_BAD_CONFIG);
  }
  throw e;
}

async function serve(flags: { host?: string; port?: string; landingPage?: string; fresh?: boolean }) {
  const config = configOrExit({
    host: flags.host,
    port: flags.port,
    landingPage: flags.landingPage,
    simFresh: flags.fresh,
  });
  const logger = boundedAuditValues(createLogger({ level: config.logLevel, format: config.logFormat }));
  logger.debug({ config: redactedConfig(config) }, "configuration");
  const app = await startApp(config, logger).catch((e: unknown) => exitOnStorageError(e, config.dataDir));
  logger.info(
    { url: app.server.httpUrl, ws: app.server.wsUrl },
    `ibkr-graphql listening on ${app.server.httpUrl}`,
  );

  stopOnSignals(logger, () => app.stop());
}

/**
 * SIGTERM/SIGINT run the orderly `stop` and exit 0, or exit 1 if it fails or has not finished within
 * SHUTDOWN_DEADLINE_MS: a supervisor (systemd, Docker, a test) must see the process end whatever hangs, a
 * gateway connection or a log reader that went away. A second signal exits at once.
 */
function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal during shutdown; exiting now");
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    // unref: a stop that finishes early must not be held up by this timer.
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, "shutdown deadline reached; exiting");
      process.exit(EXIT_FAILURE);
    }, SHUTDOWN_DEADLINE_MS).unref();
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, "error during shutdown");
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

async function sim(flags: {
  host: string;
  cpPort: string;
  twsPort: string;
  accounts: string;
  cpLogin: "auto" | "manual";
  certFile?: string;
  rateLimits: CpRateLimitProfile;
  penaltySeconds?: string;
  cpLoginPage: "v1" | "v2";
  cpUser?: string;
  cpPassword?: string;
  cpTotpSecret?: string;
  ibkeyPromo?: boolean;
}) {
  const penaltySeconds = flags.penaltySeconds === undefined ? undefined : Number(flags.penaltySeconds);
  if (penaltySeconds !== undefined && !(Number.isFinite(penaltySeconds) && penaltySeconds >= 0)) {
    console.error(`--penalty-seconds must be a number of seconds ≥ 0 (got ${flags.penaltySeconds})`);
    process.exit(2);
  }
  if (
    (flags.cpUser === undefined) !== (flags.cpPassword === undefined) ||
    (flags.cpTotpSecret && !flags.cpUser)
  ) {
    console.error("--cp-user and --cp-password go together (and --cp-totp-secret needs both)");
    process.exit(2);
  }
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info", format: "auto" });
  const sims = await startSimulators({
    host: flags.host,
    cpPort: Number(flags.cpPort),
    twsPort: Number(flags.twsPort),
    accounts: flags.accounts.split(",").map((a) => a.trim()),
    cpLogin: flags.cpLogin,
    brokerage: { tickIntervalMs: 1000, fillDelayMs: 50, partialFills: 2, partialFillIntervalMs: 250 },
    cp: {
      rateLimits: {
        profile: flags.rateLimits,
        penaltyMs: penaltySeconds === undefined ? undefined : penaltySeconds * 1000,
      },
      loginPage: flags.cpLoginPage,
      ibKeyPromo: flags.ibkeyPromo,
      credentials:
        flags.cpUser !== undefined && flags.cpPassword !== undefined
          ? { username: flags.cpUser, password: flags.cpPassword, totpSecret: flags.cpTotpSecret }
          : undefined,
    },
    logger,
  });
  if (flags.certFile) writeFileSync(flags.certFile, sims.cp.caPem);
  console.log(
    [
      `Client Portal gateway simulator: ${sims.cp.apiBaseUrl}  (login page ${sims.cp.url}/, control API ${sims.cp.url}/sim)`,
      `TWS / IB Gateway simulator:      ${sims.tws.host}:${sims.tws.port}`,
      `Client Portal login page:        ${flags.cpLoginPage}, ${flags.cpUser === undefined ? "any non-empty username and password" : `only the --cp-user${flags.cpTotpSecret ? ", with a TOTP code" : ""}`}; DU… accounts on the paper side, others live`,
      `Client Portal rate limits:       ${flags.rateLimits} (penalty ${penaltySeconds ?? 600} s; see GET ${sims.cp.url}/sim)`,
      `Point the server at them:  IB_CP_URL=${sims.cp.url} IB_CP_CA_FILE=${flags.certFile ?? "<--cert-file>"} IB_TWS_PORT=${sims.tws.port} npm start`,
    ].join("\n"),
  );
  stopOnSignals(logger, () => sims.stop());
}

async function doctor(flags: { json?: boolean; sim?: boolean; login?: boolean; timeout: string }) {
  let config = configOrExit({});
  const sims = flags.sim ? await startSimulators({}) : undefined;
  if (sims) {
    config = {
      ...config,
      simulated: false,
      cpUrl: sims.cp.url,
      twsHost: sims.tws.host,
      twsPort: sims.tws.port,
      // The simulator takes any non-empty pair: `doctor --sim --login` then shows the login as it works.
      cpUsername: config.cpUsername ?? "doctor",
      cpPassword: config.cpPassword ?? "doctor",
    };
  }
  try {
    const checks = await runDoctor(config, {
      timeoutMs: Number(flags.timeout),
      cpCaPem: sims?.cp.caPem,
      login: flags.login,
    });
    console.log(
      flags.json ? JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2) : formatChecks(checks),
    );
    process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await sims?.stop();
  }
}

async function migrateStore(flags: { from: string; to: string }) {
  if (!/^postgres(ql)?:\/\//.test(flags.to)) {
    console.error(
      "--to must be a PostgreSQL URL; example: --to postgres://ibkr:secret@db.internal:5432/ibkr",
    );
    process.exit(EXIT_BAD_CONFIG);
  }
  try {
    const r = await migrateSqliteToPg(flags.from, flags.to);
    console.log(
      `Copied ${flags.from} into ${redactUrlCredentials(flags.to)}: ${r.journalEvents} journal events ` +
        `(last sequence ${r.lastSequence}, journal ${r.journalId}: cursors stay valid), ${r.orders} orders, ` +
        `${r.fills} fills, ${r.idempotencyKeys} idempotency keys. Start the instances with DATABASE_URL set.`,
    );
  } catch (e) {
    if (e instanceof StoreError) {
      console.error(`Cannot migrate: ${e.message}`);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw e;
  }
}

export function buildCli(): Command {
  const program = new Command();
  program
    .name("ibkr-graphql")
    .description("One typed GraphQL API in front of the IB Client Portal Web API and the TWS API.")
    .showHelpAfterError();

  program
    .command("serve", { isDefault: true })
    .description("run the GraphQL server (on the built-in simulators when no gateway is configured)")
    .option("--host <host>", "interface to bind (env HOST)")
    .option("--port <port>", "port to listen on (env PORT)")
    .addOption(
      new Option("--landing-page <page>", "page at GET /graphql (env LANDING_PAGE)").choices([
        "graphiql",
        "sandbox",
        "playground",
        "none",
      ]),
    )
    .option(
      "--fresh",
      "SIMULATED mode: start from an empty simulated brokerage and a new journal (env SIM_FRESH=true)",
    )
    .action(serve);

  program
    .command("sim")
    .description("run the Client Portal and TWS gateway simulators standalone (one simulated brokerage)")
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--cp-port <port>", "Client Portal simulator HTTPS port (IB's gateway: 5000)", "5001")
    .option("--tws-port <port>", "TWS simulator port (TWS paper: 7497, IB Gateway paper: 4002)", "7497")
    .option(
      "--accounts <ids>",
      "comma-separated accounts: DU… paper, U… live (the login page switch picks)",
      "DU1234567",
    )
    .addOption(
      new Option("--cp-login <mode>", "start logged in, or wait for a browser login")
        .choices(["auto", "manual"])
        .default("auto"),
    )
    .option("--cert-file <file>", "write the Client Portal simulator's certificate here (for IB_CP_CA_FILE)")
    .addOption(
      new Option(
        "--rate-limits <profile>",
        "Client Portal rate limits: IB's documented ones, five times IB's allowance, or none",
      )
        .choices([...RATE_LIMIT_PROFILES])
        .default("ib"),
    )
    .option(
      "--penalty-seconds <n>",
      "how long the Client Portal simulator answers 429 after a rate-limit violation (IB: 600)",
    )
    .addOption(
      new Option(
        "--cp-login-page <version>",
        "structure of the login page: IB's older (v1) or current (v2) one",
      )
        .choices(["v1", "v2"])
        .default("v2"),
    )
    .option("--cp-user <name>", "accept only this user on the login page (default: any non-empty pair)")
    .option("--cp-password <password>", "the password of --cp-user")
    .option("--cp-totp-secret <base32>", "ask --cp-user for an authenticator (TOTP) code after the password")
    .option("--ibkey-promo", "show IB's IB Key advertisement after a successful login")
    .action(sim);

  program
    .command("doctor")
    .description("check each configured gateway as the server would, with the fix for every failure")
    .option("--json", "print the checks as JSON")
    .option("--sim", "start the built-in simulators and check them")
    .option(
      "--login",
      "also log in once at the Client Portal login page with IB_CP_USERNAME/IB_CP_PASSWORD (replaces the current login)",
    )
    .option("--timeout <ms>", "per-step timeout", "4000")
    .action(doctor);

  program
    .command("migrate-store")
    .description(
      "copy a single instance's store (DATA_DIR) into an empty PostgreSQL database, for a shared deployment",
    )
    .requiredOption("--from <dir>", "the DATA_DIR holding store.sqlite (stop the server using it first)")
    .requiredOption("--to <url>", "the new deployment's DATABASE_URL (postgres://…), an empty database")
    .action(migrateStore);

  program
    .command("schema")
    .description("print the GraphQL SDL")
    .action(() => {
      process.stdout.write(`${printSchema(buildAppSchema())}\n`);
    });

  return program;
}

if (require.main === module) {
  buildCli()
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_BAD_CONFIG);
    })
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    });
}
