import { fstatSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import pino, { type DestinationStream, type Logger } from "pino";
import { prettyFactory } from "pino-pretty";

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

/** What a stalled log reader may hold in memory before lines are dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface LoggerOptions {
  level: string;
  /** `auto`: human-readable in a terminal, JSON otherwise. */
  format: "auto" | "json" | "pretty";
  /** @default 1 (stdout) */
  fd?: number;
}

/**
 * A log destination that never blocks, never retries and never throws. pino's default destination (sonic-boom)
 * retries a failed write forever in its exit-time flushSync, so a server whose stdout reader has died spins on
 * EPIPE instead of exiting. Here a pipe or socket is written through libuv without blocking (lines past
 * MAX_BUFFERED_BYTES are dropped while the reader is stalled), anything else (file, terminal, /dev/null) is
 * written synchronously, and after the first error the sink drops everything.
 */
export class LogSink implements DestinationStream {
  /** Lines not written because the reader was stalled or gone. */
  dropped = 0;
  private dead = false;
  private readonly socket: Socket | undefined;

  constructor(private readonly fd = 1) {
    let streamLike = false;
    try {
      const st = fstatSync(fd);
      streamLike = st.isFIFO() || st.isSocket();
    } catch {
      this.dead = true;
    }
    if (streamLike) {
      this.socket = new Socket({ fd, readable: false, writable: true });
      // An unhandled 'error' would crash the server over a log line; EPIPE means the reader is gone for good.
      this.socket.on("error", () => this.die());
      // Writes to a live pipe reach the kernel at once; the handle alone must not keep the process alive.
      this.socket.unref();
    }
  }

  write(line: string): void {
    if (this.dead) {
      this.dropped++;
      return;
    }
    if (this.socket) {
      if (this.socket.writableLength > MAX_BUFFERED_BYTES) {
        this.dropped++;
        return;
      }
      this.socket.write(line);
      return;
    }
    try {
      writeSync(this.fd, line);
    } catch {
      this.die();
      this.dropped++;
    }
  }

  private die(): void {
    this.dead = true;
    this.socket?.destroy();
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const fd = options.fd ?? 1;
  const pretty =
    options.format === "pretty" || (options.format === "auto" && fd === 1 && process.stdout.isTTY === true);
  const sink = new LogSink(fd);
  // pino-pretty runs in-process rather than as a transport: a worker thread would bring back its own
  // sonic-boom on the same stdout, with the same endless retry.
  const format = pretty
    ? prettyFactory({
        colorize: true,
        singleLine: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname,service",
      })
    : undefined;
  const destination: DestinationStream = format ? { write: (line) => sink.write(format(line)) } : sink;
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT, censor: "[redacted]" },
      base: { service: "ibkr-graphql" },
    },
    destination,
  );
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
