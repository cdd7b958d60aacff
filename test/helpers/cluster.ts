import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { reservedClosedPort } from "./ports";
import { eventually, within } from "./wait";

/** Compiled next to this helper: dist/test/helpers → dist/src/main.js. */
const MAIN = join(__dirname, "..", "..", "src", "main.js");

export const CLUSTER_TOKEN = "cluster-test-token-0123456789";
export const ACCOUNT = "DU1234567";

/** One TCP hop in front of a simulator, per instance: its connections are that instance's, and only its. */
export interface CountingProxy {
  readonly port: number;
  /** Epoch ms of each connection accepted. */
  readonly connections: number[];
  close(): Promise<void>;
}

async function countingProxy(targetPort: number): Promise<CountingProxy> {
  const sockets = new Set<Socket>();
  const connections: number[] = [];
  const server: Server = createServer((client) => {
    connections.push(Date.now());
    const upstream = createConnection(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      // Either side ending ends the other: a killed instance's socket closes its simulator session too.
      s.on("error", () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Instance {
  readonly id: string;
  readonly port: number;
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly tws: CountingProxy;
  readonly cp: CountingProxy;
  process: ChildProcess;
  /** Whether the process has not exited. */
  alive(): boolean;
  /** Its stderr and stdout (JSON logs), for a failure message. */
  log(): string;
}

export interface SimProcess {
  cpUrl: string;
  twsPort: number;
  caFile: string;
  process: ChildProcess;
}

export interface ClusterHarness {
  databaseUrl: string;
  sim: SimProcess;
  instances: Instance[];
  /** Starts the i-th instance again (same id, port and proxies) after it was killed. */
  restart(i: number): Promise<Instance>;
  stop(): Promise<void>;
}

export interface ClusterHarnessOptions {
  databaseUrl: string;
  count: number;
  leaseSeconds?: number;
  /** Extra environment for every instance. */
  env?: Record<string, string>;
}

/**
 * A shared deployment as a team would run it, but small: ONE simulator process (TWS and Client Portal
 * gateways over one book), and `count` instances of the real server (dist/src/main.js serve) sharing one
 * PostgreSQL database, each in a process of its own so it can be killed with SIGKILL or paused with
 * SIGSTOP. Each instance reaches the simulators through its own counting proxies, so the test can tell
 * exactly which instance ever connected to TWS or Client Portal.
 */
export async function startClusterHarness(options: ClusterHarnessOptions): Promise<ClusterHarness> {
  const dir = mkdtempSync(join(tmpdir(), "w-cluster-harness-"));
  const children: ChildProcess[] = [];
  const proxies: CountingProxy[] = [];
  const stopAll = async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill("SIGCONT");
        c.kill("SIGKILL");
      }
    }
    await Promise.all(
      children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, "exit") : null)),
    );
    await Promise.all(proxies.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const caFile = join(dir, "cp-sim.pem");
    const [cpPort, twsPort] = [await reservedClosedPort(), await reservedClosedPort()];
    const simProc = spawn(
      process.execPath,
      [MAIN, "sim", "--cp-port", String(cpPort), "--tws-port", String(twsPort), "--cert-file", caFile],
      { cwd: dir, env: { ...process.env, LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "inherit"] },
    );
    children.push(simProc);
    await eventually("the simulators to start", () => existsSync(caFile), 30_000, 50);
    const sim: SimProcess = { cpUrl: `https://127.0.0.1:${cpPort}`, twsPort, caFile, process: simProc };

    const specs: { id: string; port: number; tws: CountingProxy; cp: CountingProxy; dataDir: string }[] = [];
    for (let i = 0; i < options.count; i++) {
      const tws = await countingProxy(twsPort);
      const cp = await countingProxy(cpPort);
      proxies.push(tws, cp);
      const dataDir = join(dir, `i${i + 1}`);
      mkdirSync(dataDir);
      specs.push({ id: `i${i + 1}`, port: await reservedClosedPort(), tws, cp, dataDir });
    }

    const launch = (spec: (typeof specs)[number]): Instance => {
      const url = `http://127.0.0.1:${spec.port}`;
      const child = spawn(process.execPath, ["--enable-source-maps", MAIN, "serve"], {
        cwd: spec.dataDir,
        env: {
          PATH: process.env.PATH ?? "",
          DATABASE_URL: options.databaseUrl,
          INSTANCE_ID: spec.id,
          HOST: "127.0.0.1",
          PORT: String(spec.port),
          ADVERTISE_URL: url,
          LEADER_LEASE_SECONDS: String(options.leaseSeconds ?? 2),
          IB_CP_URL: `https://127.0.0.1:${spec.cp.port}`,
          IB_CP_CA_FILE: caFile,
          IB_TWS_HOST: "127.0.0.1",
          IB_TWS_PORT: String(spec.tws.port),
          API_TOKEN: CLUSTER_TOKEN,
          DATA_DIR: spec.dataDir,
          LOG_LEVEL: "warn",
          LOG_FORMAT: "json",
          ...options.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let log = "";
      const keep = (c: Buffer) => (log = (log + c.toString("utf8")).slice(-20_000));
      child.stdout?.on("data", keep);
      child.stderr?.on("data", keep);
      return {
        id: spec.id,
        port: spec.port,
        url,
        graphqlUrl: `${url}/graphql`,
        wsUrl: `ws://127.0.0.1:${spec.port}/graphql`,
        tws: spec.tws,
        cp: spec.cp,
        process: child,
        alive: () => child.exitCode === null && child.signalCode === null,
        log: () => log,
      };
    };
    const instances = specs.map(launch);
    // Each listens (its /livez answers) before the test uses it.
    await Promise.all(
      instances.map((inst) =>
        eventually(
          `instance ${inst.id} to listen`,
          async () => {
            if (!inst.alive()) throw new Error(`instance ${inst.id} exited:\n${inst.log()}`);
            return (await fetch(`${inst.url}/livez`).catch(() => undefined))?.ok;
          },
          60_000,
          50,
        ),
      ),
    );
    return {
      databaseUrl: options.databaseUrl,
      sim,
      instances,
      async restart(i: number) {
        const spec = specs[i];
        if (!spec) throw new Error(`no instance ${i}`);
        const inst = launch(spec);
        instances[i] = inst;
        await eventually(
          `instance ${inst.id} to listen again`,
          async () => {
            return (await fetch(`${inst.url}/livez`).catch(() => undefined))?.ok;
          },
          60_000,
        );
        return inst;
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** One GraphQL operation over HTTP with the cluster's token; never throws for an HTTP or GraphQL error. */
export async function post(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  timeoutMs = 15_000,
): Promise<{ status: number; body: { data?: Record<string, unknown> | null; errors?: GqlError[] } }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${CLUSTER_TOKEN}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: Record<string, unknown>; errors?: GqlError[] },
  };
}

export interface GqlError {
  message: string;
  extensions?: { code?: string; retryable?: boolean };
}

export interface ClusterView {
  instanceId: string;
  role: "SINGLE" | "LEADER" | "STANDBY";
  leaderId: string | null;
  leaderUrl: string | null;
  epoch: number | null;
}

/** What an instance says of the cluster (`session { cluster }`), or undefined if it does not answer. */
export async function clusterOf(inst: Instance): Promise<ClusterView | undefined> {
  if (!inst.alive()) return undefined;
  try {
    const r = await post(
      inst.graphqlUrl,
      "{ session { cluster { instanceId role leaderId leaderUrl epoch } } }",
      {},
      2_000,
    );
    return (r.body.data?.session as { cluster: ClusterView } | undefined)?.cluster;
  } catch {
    return undefined;
  }
}

/** GET /readyz answered 200. */
export async function isReady(inst: Instance): Promise<boolean> {
  if (!inst.alive()) return false;
  const r = await fetch(`${inst.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
  return r?.status === 200;
}

/** The instance that leads and can trade (its /readyz says so), within `timeoutMs`. */
export async function readyLeader(instances: Instance[], timeoutMs = 30_000): Promise<Instance> {
  const last = new Map<string, string>();
  try {
    return await eventually(
      "a leader that can trade",
      async () => {
        for (const inst of instances) {
          const c = await clusterOf(inst);
          last.set(inst.id, c ? `${c.role} (leader ${c.leaderId}, epoch ${c.epoch})` : "no answer");
          if (c?.role !== "LEADER") continue;
          const r = await fetch(`${inst.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(
            () => undefined,
          );
          if (r?.status === 200) return inst;
          last.set(inst.id, `LEADER, /readyz ${r?.status ?? "no answer"}: ${r ? await r.text() : ""}`);
        }
        return undefined;
      },
      timeoutMs,
      50,
    );
  } catch (e) {
    const seen = [...last].map(([id, what]) => `${id}: ${what}`).join("; ");
    throw new Error(`${(e as Error).message}; last seen: ${seen}`, { cause: e });
  }
}

export interface SimOrder {
  clientOrderId: string | null;
  timesPlaced: number;
  status: string;
  twsClientId: number | null;
  createdAt: string;
}

/** The simulated book, straight from the simulator (not through any instance). */
export async function simOrders(sim: SimProcess): Promise<SimOrder[]> {
  // The simulator's own certificate, pinned as the instances pin it.
  const dispatcher = new Agent({ connect: { ca: readFileSync(sim.caFile, "utf8") } });
  try {
    const res = await request(`${sim.cpUrl}/sim/orders`, { dispatcher });
    return ((await res.body.json()) as { orders: SimOrder[] }).orders;
  } finally {
    await dispatcher.close();
  }
}

/** SIGKILL, and wait for the exit. */
export async function killHard(inst: Instance): Promise<void> {
  if (!inst.alive()) return;
  const exited = once(inst.process, "exit");
  inst.process.kill("SIGKILL");
  await within(`instance ${inst.id} to die`, exited, 10_000);
}

/** A buy of 1 AAPL at 1, far below the market: it stays working, so it is one NEW and one SUBMITTED event. */
export function restingOrderInput(clientOrderId: string) {
  return {
    accountId: ACCOUNT,
    contract: { symbol: "AAPL" },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 1,
    clientOrderId,
  };
}

/**
 * Kills the ready leader with SIGKILL and waits (up to `timeoutMs`) for another instance to lead and be
 * ready: the failover time is from the kill to that. `index` is where the killed one stands, to restart it.
 */
export async function killLeaderAndTime(
  instances: Instance[],
  timeoutMs = 60_000,
): Promise<{ killed: Instance; index: number; failoverMs: number }> {
  const killed = await readyLeader(instances, timeoutMs);
  const index = instances.indexOf(killed);
  const t0 = performance.now();
  await killHard(killed);
  await readyLeader(
    instances.filter((i) => i !== killed),
    timeoutMs,
  );
  return { killed, index, failoverMs: performance.now() - t0 };
}
