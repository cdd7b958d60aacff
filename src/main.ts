#!/usr/bin/env node
import "reflect-metadata";
import { Command, Option } from "commander";
import { printSchema } from "graphql";
import { startApp } from "./app";
import { ConfigError, loadConfig, redactedConfig, type ConfigOverrides } from "./config/config";
import { createLogger } from "./logger";
import { buildAppSchema } from "./schema/build-schema";

/** Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage. */
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

async function serve(flags: { host?: string; port?: string; landingPage?: string }) {
  const config = configOrExit({ host: flags.host, port: flags.port, landingPage: flags.landingPage });
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  logger.debug({ config: redactedConfig(config) }, "configuration");
  const app = await startApp(config, logger);
  logger.info(
    { url: app.server.httpUrl, ws: app.server.wsUrl },
    `ibkr-graphql listening on ${app.server.httpUrl}`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      logger.warn("shutdown deadline reached; exiting");
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    app.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
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
        "sandbox",
        "playground",
        "none",
      ]),
    )
    .action(serve);

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
