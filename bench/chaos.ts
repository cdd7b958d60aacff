/**
 * `npm run chaos`: the reliability suite. For a few minutes (CHAOS_SECONDS, default 180) the simulators drop
 * TWS connections, go zombie, expire and steal the Client Portal session, while orders are placed through
 * GraphQL and prices move so that they fill. A graphql-ws subscriber of `orderUpdates` resumes with
 * its last cursor (`after`) whenever it is dropped, including across restarts of the server on the same DATA_DIR
 * (CHAOS_RESTARTS, default 3). At the end the subscriber's view is checked against the book:
 * every fill seen exactly once, every order placed exactly once.
 *
 * Seeded (CHAOS_SEED, printed). Exit codes: 0 all promises kept, 2 a promise was broken (a fill or event lost
 * or duplicated, an order left unresolved or not placed, the subscriber's view differing from the book; see
 * bench/lib/verdicts.ts), 1 the run crashed.
 */
import "reflect-metadata";
import { statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { startApp, type App } from "../src/app";
import { loadConfig } from "../src/config/config";
import { silentLogger } from "../src/logger";
import { startSimulators } from "../src/simulators";
import type { SimExecution } from "../src/simulators/brokerage";
import { GraphQLHttpClient, RawSubscriber } from "./lib/graphql-client";
import {
  CONFIRM_ORDER_MUTATION,
  ORDER_UPDATES_SUBSCRIPTION,
  PLACE_ORDER_MUTATION,
  type OrderEventData,
  type PlaceOrderData,
} from "./lib/operations";
import { machineLine, writeChaosSection } from "./lib/report";
import { envNumber, mb, memorySample, seededRandom, sleep, waitUntil } from "./lib/stats";
import { chaosVerdict } from "./lib/verdicts";
import { AAPL, ACCOUNT, MSFT, seedPositions } from "./lib/system";
import { runClusterChaosSync } from "./chaos-cluster";

// `npm run chaos -- --instances N`: the shared deployment's kill series (bench/chaos-cluster.ts), run to
// the end in a process of its own before anything of this file starts.
if (process.argv.includes("--instances")) process.exit(runClusterChaosSync(process.argv));

const CONIDS = [AAPL, MSFT] as const;
const ORDER_PREFIX = "chaos-";

interface Intent {
  clientOrderId: string;
  input: Record<string, unknown>;
  attempts: number;
  /** placed: IB has it; rejected: IB refused it; open: not known to be at IB yet. */
  state: "open" | "placed" | "rejected";
  orderId?: string;
  lastError?: string;
}

/** Codes after which nothing reached IB, or the outcome will be known later: retry with the same key. */
const RETRY_CODES = new Set(["SESSION_NOT_READY", "BROKER_UNAVAILABLE", "RATE_LIMITED", "OUTCOME_UNKNOWN"]);

class ResumingSubscriber {
  lastSequence = 0;
  lastCursor: string | null = null;
  /** Every sequence delivered, for the audit against the journal (sequences are not consecutive). */
  readonly seen = new Set<number>();
  events = 0;
  duplicateEvents = 0;
  gaps = 0;
  reconnects = 0;
  drops = 0;
  readonly errors: string[] = [];
  /** executionId → how many events carried it. */
  readonly fills = new Map<string, number>();
  /** order id → last seen filled quantity and status. */
  readonly orders = new Map<string, { filled: number; status: string; clientOrderId: string | null }>();
  private current: RawSubscriber | undefined;
  private stopped = false;
  private reconnecting = false;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    const sub = new RawSubscriber(this.url, {
      onNext: (payload) => this.onNext(payload),
      onClose: () => {
        // A failed attempt of the reconnect loop closes too: the loop itself goes on, one at a time (two
        // loops would hold two subscriptions and count the second one's replay as duplicates).
        if (this.stopped || sub !== this.current || this.reconnecting) return;
        this.drops++;
        void this.reconnect();
      },
    });
    this.current = sub;
    // From the start of the journal on the first connection, from the last event's cursor afterwards.
    await sub.start(
      ORDER_UPDATES_SUBSCRIPTION,
      this.lastCursor ? { after: this.lastCursor } : { afterSequence: this.lastSequence },
    );
  }

  /** A network failure between client and server. */
  kill(): void {
    this.current?.kill();
  }

  stop(): void {
    this.stopped = true;
    this.current?.close();
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      for (let attempt = 0; !this.stopped; attempt++) {
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
        try {
          this.reconnects++;
          await this.start();
          return;
        } catch (e) {
          // The server being restarted refuses connections for a moment: expected, not worth a line each.
          const message = e instanceof Error ? e.message : String(e);
          if (!/ECONNREFUSED/.test(message)) this.errors.push(`reconnect: ${message}`);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private onNext(payload: { data?: unknown; errors?: unknown[] }): void {
    const ev = (payload.data as { orderUpdates?: OrderEventData } | undefined)?.orderUpdates;
    if (!ev) {
      this.errors.push(JSON.stringify(payload.errors ?? payload).slice(0, 300));
      return;
    }
    this.events++;
    if (ev.sequence <= this.lastSequence) {
      this.duplicateEvents++;
      return;
    }
    // Sequences are shared with session events, so a jump is no gap: `auditAgainstJournal` finds real ones.
    this.lastSequence = ev.sequence;
    this.lastCursor = ev.cursor;
    this.seen.add(ev.sequence);
    if (ev.fill) this.fills.set(ev.fill.executionId, (this.fills.get(ev.fill.executionId) ?? 0) + 1);
    this.orders.set(ev.order.id, {
      filled: ev.order.filledQuantity,
      status: ev.order.status,
      clientOrderId: ev.order.clientOrderId,
    });
  }
}

/**
 * Gaps: order events the journal holds (up to the subscriber's last one) that the subscriber never got. One
 * fresh replay from the start of the journal is the reference.
 */
async function auditAgainstJournal(url: string, subscriber: ResumingSubscriber): Promise<number> {
  const journaled: number[] = [];
  let done = false;
  const sub = new RawSubscriber(url, {
    onNext: (payload) => {
      const ev = (payload.data as { orderUpdates?: OrderEventData } | undefined)?.orderUpdates;
      if (!ev || done) return;
      if (ev.sequence > subscriber.lastSequence) done = true;
      else journaled.push(ev.sequence);
    },
    onClose: () => undefined,
  });
  await sub.start(ORDER_UPDATES_SUBSCRIPTION, { afterSequence: 0 });
  await waitUntil(
    "the audit replay",
    () => done || journaled.at(-1) === subscriber.lastSequence,
    30_000,
    100,
  ).catch(() => undefined);
  sub.close();
  return journaled.filter((s) => !subscriber.seen.has(s)).length;
}

async function main(): Promise<void> {
  const seconds = envNumber("CHAOS_SECONDS", 180);
  const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Date.now() % 1_000_000_007;
  // One stream per loop: the loops interleave by timing, so a shared stream would not repeat from the seed.
  const streams = [0, 1, 2].map((i) => seededRandom(seed * 3 + i));
  const pickFrom =
    (random: () => number) =>
    <T>(list: readonly T[]): T =>
      list[Math.floor(random() * list.length)]!;
  const betweenFrom = (random: () => number) => (lo: number, hi: number) => lo + random() * (hi - lo);
  console.log(`ibkr-graphql chaos: ${machineLine()}`);
  console.log(`seed ${seed} (CHAOS_SEED=${seed} repeats this run), ${seconds} s of faults`);

  // Fills in two steps with a little delay, as SIMULATED mode's demo book does; prices move by our hand only.
  // The gateways outlive the server: it is restarted on the same DATA_DIR (and port) a few times during the
  // run, as deploys and crashes do, while the book carries on.
  const sims = await startSimulators({
    brokerage: { fillDelayMs: 50, partialFills: 2, partialFillIntervalMs: 250 },
    cp: { dailyResetTime: null, requestLogSize: 200_000 },
  });
  await seedPositions(sims.brokerage);
  const dataDir = await mkdtemp(join(tmpdir(), "ibkr-graphql-chaos-"));
  const caFile = join(dataDir, "gateway.pem");
  await writeFile(caFile, sims.cp.caPem);
  let port = 0;
  const startServerOnce = async (): Promise<App> => {
    const config = loadConfig(
      {},
      {
        // Every client here connects from 127.0.0.1 and the killed connections linger: lift the WebSocket
        // caps as every bench server does (startSimSystem).
        wsMaxConnections: 10_000,
        wsMaxConnectionsPerAddress: 10_000,
        port,
        landingPage: "none",
        dataDir,
        cpUrl: sims.cp.url,
        cpCaFile: caFile,
        twsHost: sims.tws.host,
        twsPort: sims.tws.port,
      },
      null,
    );
    // The previous process's port may take a moment to be free again.
    for (let tries = 0; ; tries++) {
      try {
        const started = await startApp(config, silentLogger());
        port = Number(new URL(started.server.httpUrl).port);
        return started;
      } catch (e) {
        if (tries >= 20 || (e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
        await sleep(250);
      }
    }
  };
  let app = await startServerOnce();
  await waitUntil("the server to be ready on the simulators", () => app.broker.readiness().ready, 30_000);
  const system = {
    brokerage: sims.brokerage,
    cpSim: sims.cp,
    get broker() {
      return app.broker;
    },
    get server() {
      return app.server;
    },
    async stop() {
      await app.stop();
      await sims.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  const restarts: number[] = [];
  const agent = new Agent({ connect: { ca: system.cpSim.caPem } });
  const control = async (path: string, body: unknown = {}) => {
    const res = await request(`${system.cpSim.url}${path}`, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode} ${text}`);
    return JSON.parse(text) as unknown;
  };
  const simGet = async <T>(path: string): Promise<T> => {
    const res = await request(`${system.cpSim.url}${path}`, { dispatcher: agent });
    return (await res.body.json()) as T;
  };
  const gql = new GraphQLHttpClient(system.server.httpUrl, 4);
  const subscriber = new ResumingSubscriber(system.server.wsUrl);
  const faults: Record<string, number> = {};
  const intents: Intent[] = [];
  const log = (line: string) =>
    console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  let t0 = Date.now();

  try {
    await subscriber.start();
    await waitUntil("the subscriber", () => system.broker.subscriberCounts().orderUpdates >= 1);
    const memStart = await memorySample();
    t0 = Date.now();
    const end = t0 + seconds * 1000;
    let running = true;

    // ---- orders ----
    let n = 0;
    const attempt = async (intent: Intent): Promise<void> => {
      intent.attempts++;
      const r = await gql.post<PlaceOrderData>(PLACE_ORDER_MUTATION, { input: intent.input });
      let payload = r.data?.placeOrder;
      for (let round = 0; payload?.confirmation && round < 5; round++) {
        const c = await gql.post<{ confirmOrder: PlaceOrderData["placeOrder"] }>(CONFIRM_ORDER_MUTATION, {
          replyId: payload.confirmation.replyId,
        });
        if (c.errors?.length) {
          intent.lastError = c.errors[0]?.extensions?.code ?? c.errors[0]?.message;
          return;
        }
        payload = c.data?.confirmOrder;
      }
      if (payload?.order) {
        intent.state = "placed";
        intent.orderId = payload.order.id;
        return;
      }
      const code = r.errors?.[0]?.extensions?.code ?? "UNKNOWN";
      intent.lastError = `${code}: ${r.errors?.[0]?.message ?? ""}`.slice(0, 200);
      if (!RETRY_CODES.has(code)) intent.state = "rejected";
    };
    const placer = (async () => {
      const random = streams[0]!;
      const pick = pickFrom(random);
      const between = betweenFrom(random);
      while (running) {
        const conid = pick(CONIDS);
        const quote = system.brokerage.quote(conid)!;
        const market = random() < 0.5;
        const side = pick(["BUY", "SELL"] as const);
        // Limits a few ticks either side of the market: some fill at once, some wait for the price to move.
        const offset = Math.round(quote.last * between(-0.004, 0.004) * 100) / 100;
        const input: Record<string, unknown> = {
          accountId: ACCOUNT,
          contract: { conid },
          side,
          type: market ? "MARKET" : "LIMIT",
          quantity: 1 + Math.floor(random() * 10),
          clientOrderId: `${ORDER_PREFIX}${seed}-${n++}`,
          ...(market ? {} : { limitPrice: Math.round((quote.last + offset) * 100) / 100 }),
          ...(random() < 0.3 ? { via: "CLIENT_PORTAL" } : {}),
        };
        const intent: Intent = {
          clientOrderId: input.clientOrderId as string,
          input,
          attempts: 0,
          state: "open",
        };
        intents.push(intent);
        await attempt(intent).catch((e: unknown) => (intent.lastError = String(e)));
        // Earlier attempts whose outcome was not known: same clientOrderId, never a second order.
        for (const open of intents.filter((i) => i.state === "open" && i !== intent && i.attempts < 50)) {
          await attempt(open).catch((e: unknown) => (open.lastError = String(e)));
        }
        await sleep(between(250, 900));
      }
    })();

    // ---- prices ----
    const mover = (async () => {
      const pick = pickFrom(streams[1]!);
      const between = betweenFrom(streams[1]!);
      while (running) {
        await sleep(between(700, 2_000));
        const conid = pick(CONIDS);
        const last = system.brokerage.quote(conid)!.last;
        const price = Math.round(last * (1 + between(-0.005, 0.005)) * 100) / 100;
        await control("/sim/prices", { conid, price }).catch((e: unknown) =>
          log(`price move failed: ${String(e)}`),
        );
      }
    })();

    // ---- faults ----
    const injector = (async () => {
      const pick = pickFrom(streams[2]!);
      const between = betweenFrom(streams[2]!);
      while (running) {
        await sleep(between(4_000, 12_000));
        if (!running) break;
        const fault = pick(["tws-drop", "tws-zombie", "cp-expire", "cp-compete", "subscriber-drop"] as const);
        faults[fault] = (faults[fault] ?? 0) + 1;
        try {
          switch (fault) {
            case "tws-drop": {
              const refuseMs = Math.round(between(0, 4_000));
              await control("/sim/tws/disconnect", { refuseMs });
              log(`fault: TWS connections dropped, reconnects refused for ${refuseMs} ms`);
              break;
            }
            case "tws-zombie": {
              const ms = Math.round(between(2_000, 12_000));
              await control("/sim/tws/zombie", { enabled: true });
              log(`fault: TWS zombie for ${ms} ms`);
              await sleep(ms);
              await control("/sim/tws/zombie", { enabled: false });
              break;
            }
            case "cp-expire":
              await control("/sim/session/expire");
              log("fault: Client Portal brokerage session expired");
              break;
            case "cp-compete": {
              await control("/sim/session/compete");
              const ms = Math.round(between(2_000, 8_000));
              log(`fault: competing Client Portal login; reauthenticate in ${ms} ms (as an operator would)`);
              await sleep(ms);
              const r = await gql.post("mutation { reauthenticate { ready } }");
              if (r.errors?.length) log(`reauthenticate answered ${r.errors[0]?.extensions?.code}`);
              break;
            }
            case "subscriber-drop":
              subscriber.kill();
              log("fault: subscriber connection killed (it resumes with its cursor)");
              break;
          }
        } catch (e) {
          log(`fault ${fault} failed: ${String(e)}`);
        }
      }
    })();

    // ---- server restarts on the same DATA_DIR: the subscriber resumes with its cursor across them ----
    const restartCount = envNumber("CHAOS_RESTARTS", 3);
    const restarter = (async () => {
      for (let k = 1; k <= restartCount; k++) {
        const at = t0 + (seconds * 1000 * k) / (restartCount + 1);
        while (running && Date.now() < at) await sleep(250);
        if (!running) break;
        const t = Date.now();
        await app.stop();
        app = await startServerOnce();
        restarts.push(Date.now() - t);
        const bounds = await app.store.bounds();
        log(
          `fault: server restarted on the same DATA_DIR in ${Date.now() - t} ms (journal last sequence ` +
            `${bounds.last}, the subscriber's ${subscriber.lastSequence})`,
        );
      }
    })();

    while (Date.now() < end) await sleep(250);
    running = false;
    log("faults stop; settling");
    await Promise.all([placer, mover, injector, restarter]);

    // ---- settle: everything healthy again, every open intent answered, the subscriber caught up ----
    await control("/sim/tws/zombie", { enabled: false });
    // As an operator would: reauthenticate while the Client Portal session is lost (the server allows a few
    // per minute, so some attempts answer RATE_LIMITED).
    await waitUntil(
      "both APIs ready",
      async () => {
        if (system.broker.readiness().ready) return true;
        const session = await simGet<{ authenticated: boolean; competing: boolean }>("/sim/session");
        if (!session.authenticated || session.competing) {
          const r = await gql.post("mutation { reauthenticate { ready } }");
          if (r.errors?.length) log(`reauthenticate answered ${r.errors[0]?.extensions?.code}`);
        }
        return false;
      },
      180_000,
      10_000,
    ).catch((e: unknown) => log(String(e)));
    let reconnected = false;
    for (let round = 0; round < 30 && intents.some((i) => i.state === "open"); round++) {
      for (const open of intents.filter((i) => i.state === "open")) {
        await attempt(open).catch((e: unknown) => (open.lastError = String(e)));
      }
      // An order sent into a hang the TWS connection survived stays OUTCOME_UNKNOWN on that connection (TWS may
      // still hold it, e.g. behind an order dialog); the README's remedy is a reconnect, whose lists settle it.
      // Do once what the operator would, after the retries above had their chance on the surviving connection.
      const stuckOnTws = intents.some(
        (i) => i.state === "open" && /on the current connection/.test(i.lastError ?? ""),
      );
      if (stuckOnTws && !reconnected && round >= 2) {
        reconnected = true;
        log("operator: TWS reconnect to settle orders sent into a hang (POST /sim/tws/disconnect)");
        await control("/sim/tws/disconnect", { refuseMs: 0 });
      }
      if (intents.some((i) => i.state === "open")) await sleep(2_000);
    }
    await system.brokerage.whenIdle();
    const ours = (e: { orderRef: string | null }) => e.orderRef?.startsWith(ORDER_PREFIX) ?? false;
    const bookExecutions = () => system.brokerage.executions().filter(ours);
    const bookOrders = () => system.brokerage.listOrders().filter(ours);
    // Fills of Client Portal orders arrive by polling (every 5.5 s while orders work, 30 s otherwise).
    await waitUntil(
      "the subscriber to see every fill in the book",
      () => bookExecutions().every((x) => subscriber.fills.has(x.execId)) && true,
      90_000,
      250,
    ).catch(() => log("some fills were still unseen after 90 s"));

    // ---- report ----
    const memEnd = await memorySample();
    const executions: SimExecution[] = bookExecutions();
    const lostFills = executions.filter((x) => !subscriber.fills.has(x.execId));
    const duplicateFills = [...subscriber.fills.values()].filter((c) => c > 1).length;
    const book = await simGet<{
      orders: { permId: number; filled: number; orderRef: string | null }[];
      orderRefs: { orderRef: string; submissions: number; permIds: number[] }[];
    }>("/sim/orders");
    const duplicatePlacements = book.orderRefs.filter((r) => ours(r) && r.permIds.length > 1);
    // The subscriber's last view of each of our orders against the book as the gateway reports it.
    const orderMismatch = book.orders.filter(ours).filter((o) => {
      const seen = subscriber.orders.get(String(o.permId));
      return !seen || seen.filled !== o.filled || seen.clientOrderId !== o.orderRef;
    });
    const placed = intents.filter((i) => i.state === "placed").length;
    const rejected = intents.filter((i) => i.state === "rejected");
    const unresolved = intents.filter((i) => i.state === "open");
    subscriber.gaps = await auditAgainstJournal(system.server.wsUrl, subscriber);
    // Every order answered as placed must be in the book under its clientOrderId.
    const bookRefs = new Set(book.orderRefs.map((r) => r.orderRef));
    const placedMissingFromBook = intents.filter(
      (i) => i.state === "placed" && !bookRefs.has(i.clientOrderId),
    );
    const lost = lostFills.length + subscriber.gaps;
    const duplicated = duplicateFills + subscriber.duplicateEvents + duplicatePlacements.length;

    const seenOurs = executions.filter((x) => subscriber.fills.has(x.execId)).length;
    const growth = memEnd.heapUsed - memStart.heapUsed;
    const judged = chaosVerdict({
      planned: intents.length,
      placed,
      rejected: rejected.length,
      unresolved: unresolved.length,
      lostFills: lostFills.length,
      gaps: subscriber.gaps,
      duplicateFills,
      duplicateEvents: subscriber.duplicateEvents,
      duplicatePlacements: duplicatePlacements.length,
      orderMismatches: orderMismatch.length,
      placedMissingFromBook: placedMissingFromBook.length,
    });
    const ok = judged.ok;
    const fileSize = (f: string) => {
      try {
        return statSync(join(dataDir, f)).size;
      } catch {
        return 0;
      }
    };
    const dbBytes = fileSize("store.sqlite");
    const walBytes = fileSize("store.sqlite-wal");
    const journalBounds = await app.store.bounds();
    const faultList =
      Object.entries(faults)
        .map(([k, v]) => `${k} ×${v}`)
        .join(", ") || "none";
    const attempts = intents.reduce((sum, i) => sum + i.attempts, 0);
    const summary: [string, string][] = [
      ["seed", String(seed)],
      ["duration", `${seconds} s of faults + ${((Date.now() - end) / 1000).toFixed(0)} s settling`],
      ["faults injected", faultList],
      [
        "orders placed",
        `${placed} of ${intents.length} requested (${attempts} attempts; ${rejected.length} rejected by IB, ` +
          `${unresolved.length} unresolved)`,
      ],
      [
        "orders in the book",
        `${bookOrders().length} (${duplicatePlacements.length} clientOrderIds placed more than once)`,
      ],
      [
        "fills in the book",
        `${executions.length} executions, ${executions.reduce((sum, x) => sum + x.quantity, 0)} shares`,
      ],
      [
        "fills seen by the subscriber",
        `${seenOurs} of them (plus ${subscriber.fills.size - seenOurs} of the seeded starting positions)`,
      ],
      [
        "server restarts",
        restarts.length
          ? `${restarts.length} on the same DATA_DIR (stop + start ${restarts.map((ms) => `${ms} ms`).join(", ")})`
          : "none",
      ],
      [
        "database",
        `${mb(dbBytes + walBytes)} (store.sqlite ${mb(dbBytes)} + WAL ${mb(walBytes)}) after ` +
          `${journalBounds.last} journal sequences`,
      ],
      ["orders whose final fill differs from the subscriber's view (goal 0)", String(orderMismatch.length)],
      ["orders answered as placed but not in the book (goal 0)", String(placedMissingFromBook.length)],
      [
        "subscriber",
        `${subscriber.events} events, ${subscriber.drops} drops, ${subscriber.reconnects} resumes with ` +
          `its cursor, last sequence ${subscriber.lastSequence}` +
          (subscriber.errors.length ? `, errors: ${subscriber.errors.slice(0, 3).join(" | ")}` : ""),
      ],
      ["lost (goal 0)", `${lost} (${lostFills.length} fills never seen, ${subscriber.gaps} sequence gaps)`],
      [
        "duplicated (goal 0)",
        `${duplicated} (${duplicateFills} fills seen twice, ${subscriber.duplicateEvents} events replayed ` +
          `twice, ${duplicatePlacements.length} double placements)`,
      ],
      [
        "memory growth",
        `heap ${mb(growth)} (${(growth / Math.max(1, intents.length) / 1024).toFixed(1)} KB per order), RSS ` +
          `${mb(memEnd.rss - memStart.rss)}; at the end heap ${mb(memEnd.heapUsed)}, RSS ${mb(memEnd.rss)} (one ` +
          "process: server, simulators with their request log, subscriber)",
      ],
    ];
    if (rejected.length) {
      summary.push(["rejections", [...new Set(rejected.map((r) => r.lastError))].slice(0, 5).join(" | ")]);
    }
    if (unresolved.length) {
      summary.push(["unresolved", [...new Set(unresolved.map((r) => r.lastError))].slice(0, 5).join(" | ")]);
    }
    summary.push([
      "result",
      ok
        ? "PASS: every planned order placed once, no fill or event lost or duplicated, the subscriber agrees with the book"
        : `FAIL: ${judged.failures.join("; ")}`,
    ]);
    console.log("");
    for (const [label, value] of summary) console.log(`${label.padEnd(30)} ${value}`);
    writeChaosSection([
      "## Reliability (`npm run chaos`)",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${machineLine()}`,
      "",
      "| | |",
      "| --- | --- |",
      ...summary.map(([label, value]) => `| ${label} | ${value.replace(/\|/g, "\\|")} |`),
      "",
      "Faults every 4–12 s, one of: TWS connections dropped (`POST /sim/tws/disconnect`, reconnects refused " +
        "0–4 s), TWS zombie for 2–12 s (`/sim/tws/zombie`), Client Portal session expired " +
        "(`/sim/session/expire`), a competing login (`/sim/session/compete`, answered by the `reauthenticate` " +
        "mutation 2–8 s later, as an operator would), the subscriber's connection killed. Meanwhile market and " +
        "limit orders (30 % forced through Client Portal) every 0.25–0.9 s through `placeOrder`, retried with " +
        "the same clientOrderId when the answer was SESSION_NOT_READY, BROKER_UNAVAILABLE, RATE_LIMITED or " +
        "OUTCOME_UNKNOWN (or when the server could not be reached), and prices moved through `/sim/prices` " +
        "every 0.7–2 s. Fills come in two executions. The server itself is stopped and started again on the " +
        "same DATA_DIR and port CHAOS_RESTARTS times (default 3), evenly spread, while the subscriber resumes " +
        "with its cursor. " +
        "At the end the faults stop, the run settles, and the subscriber's view is compared with the book.",
    ]);
    process.exitCode = ok ? 0 : 2;
  } finally {
    subscriber.stop();
    await gql.close();
    await agent.close();
    await system.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error("chaos crashed:", e);
    process.exit(1);
  },
);
