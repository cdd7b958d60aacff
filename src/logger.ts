import pino, { type Logger } from "pino";

export type { Logger };

/** Paths that may carry secrets anywhere in a log object. */
const REDACT = [
  "apiToken",
  "apiReadToken",
  "token",
  "password",
  "authorization",
  "cookie",
  "*.apiToken",
  "*.apiReadToken",
  "*.token",
  "*.password",
  "*.authorization",
  "*.cookie",
  "headers.authorization",
  "headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
];

export interface LoggerOptions {
  level: string;
  /** `auto`: human-readable in a terminal, JSON otherwise. */
  format: "auto" | "json" | "pretty";
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === "pretty" || (options.format === "auto" && process.stdout.isTTY === true);
  return pino({
    level: options.level,
    redact: { paths: REDACT, censor: "[redacted]" },
    base: { service: "ibkr-graphql" },
    ...(pretty
      ? {
          transport: {
            target: "pino-pretty",
            options: {
              colorize: true,
              singleLine: true,
              translateTime: "SYS:HH:MM:ss.l",
              ignore: "pid,hostname,service",
            },
          },
        }
      : {}),
  });
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
