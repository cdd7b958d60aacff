import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** Where Debian's `postgresql-15` puts its binaries; `PG_BIN` overrides it. */
const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface TestPostgres {
  readonly port: number;
  /** A new, empty database; returns its connection URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** An admin connection URL (database `postgres`), e.g. to terminate backends. */
  readonly adminUrl: string;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A throw-away PostgreSQL for one test file: `initdb` in a temp dir, the server on a free port of 127.0.0.1
 * with its socket in the same dir, fsync off (nothing here must survive a power cut). Stopped and removed by
 * `stop()`, and on process exit as a backstop if a test crashed before its `after` hook ran.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const initdb = join(PG_BIN, "initdb");
  if (!existsSync(initdb)) {
    throw new Error(
      `PostgreSQL is not installed: ${initdb} is missing. These tests need a PostgreSQL 15 server binary ` +
        "(Debian/Ubuntu: apt-get install postgresql-15; or set PG_BIN to the directory holding initdb and postgres).",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "pg-test-"));
  const owner = runAs();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  let server: ChildProcess | undefined;
  const backstop = () => {
    server?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", backstop);
  try {
    const data = join(dir, "data");
    const init = spawnSync(
      initdb,
      ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      { ...owner, encoding: "utf8", timeout: 120_000 },
    );
    if (init.status !== 0) {
      throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr || init.stdout}`);
    }
    // A port found free can be taken before the server binds it: retry a few times on a fresh one.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      server = spawnServer(data, dir, port, owner);
      try {
        await waitReady(server, port);
      } catch (e) {
        server.kill("SIGKILL");
        if (attempt >= 3) throw e;
        continue;
      }
      const started = server;
      const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
      let stopped: Promise<void> | undefined;
      return {
        port,
        adminUrl,
        async createDatabase(prefix = "t") {
          const name = `${prefix.replace(/[^a-z0-9_]/g, "_")}_${randomBytes(4).toString("hex")}`;
          const admin = new pg.Client({ connectionString: adminUrl });
          await admin.connect();
          try {
            await admin.query(`CREATE DATABASE "${name}"`);
          } finally {
            await admin.end();
          }
          return `postgresql://postgres@127.0.0.1:${port}/${name}`;
        },
        stop() {
          stopped ??= stopServer(started).finally(() => {
            process.off("exit", backstop);
            rmSync(dir, { recursive: true, force: true });
          });
          return stopped;
        },
      };
    }
  } catch (e) {
    backstop();
    process.off("exit", backstop);
    throw e;
  }
}

/** PostgreSQL refuses to run as root: when we are root, its commands run as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("Running as root, but there is no `postgres` user to run the test server as.");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function spawnServer(
  data: string,
  socketDir: string,
  port: number,
  owner: { uid: number; gid: number } | undefined,
): ChildProcess {
  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: socketDir,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    shared_buffers: "16MB",
    max_connections: "60",
    logging_collector: "off",
  };
  const args = ["-D", data, "-p", String(port)];
  for (const [k, v] of Object.entries(settings)) args.push("-c", `${k}=${v}`);
  const child = spawn(join(PG_BIN, "postgres"), args, { ...owner, stdio: ["ignore", "ignore", "pipe"] });
  // The server's log stays in memory: only a failed start shows it.
  let log = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (c: string) => (log = (log + c).slice(-4_000)));
  logs.set(child, () => log);
  return child;
}

const logs = new WeakMap<ChildProcess, () => string>();

function logOf(child: ChildProcess): string {
  return logs.get(child)?.() ?? "";
}

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `exited (${code ?? signal})`));
  for (;;) {
    if (exited) throw new Error(`postgres ${exited} before accepting connections:\n${logOf(child)}`);
    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline)
      throw new Error(`postgres did not accept connections in 60 s:\n${logOf(child)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Fast shutdown (SIGINT: disconnect clients, no checkpoint wait), SIGKILL if it has not exited in 10 s. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGINT");
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
