import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../../src/app";
import { createBrokerService, type BrokerService } from "../../src/brokers";
import { createFileIdempotencyStore } from "../../src/brokers/file-idempotency-store";
import { createTwsBroker } from "../../src/brokers/tws";
import { loadConfig, type Config } from "../../src/config/config";
import { silentLogger } from "../../src/logger";
import { serverOptionsOf, startServer, type RunningServer } from "../../src/server";
import { startChild } from "../lib/child-rpc";
import { GraphQLHttpClient, RawSubscriber } from "../lib/graphql-client";
import { ORDER_UPDATES_SUBSCRIPTION, PLACE_ORDER_MUTATION, type OrderEventData } from "../lib/operations";
import { verdict, type FigureResult } from "../lib/report";
import { distribution, envNumber, formatTail, ms, sleep, waitUntil, wallNow } from "../lib/stats";
import { AAPL, ACCOUNT } from "../lib/system";

/** The budget: what the journal may add to the order path, at p50. */
const BUDGET_MS = 2;
const LIMIT_PRICE = 100;

const signed = (v: number): string => `${v >= 0 ? "+" : "−"}${ms(Math.abs(v))}`;

/** One server under measurement and its client side. */
interface Side {
  label: string;
  server: RunningServer;
  broker: BrokerService;
  stop(): Promise<void>;
}

/**
 * The composition of the build before the journal: startApp's broker service over the TWS adapter, with the
 * JSON-lines idempotency store (fsync per record, src/brokers/file-idempotency-store.ts) and the in-memory
 * event log (no journal, no order history). Everything else as startApp builds it.
 */
async function startJsonlBuild(config: Config, dataDir: string): Promise<Side> {
  const logger = silentLogger();
  const broker = createBrokerService({
    simulated: false,
    logger,
    orderEventBuffer: config.orderEventBuffer,
    idempotency: await createFileIdempotencyStore(dataDir),
    marketData: { maxLines: config.marketDataLines },
    guards: {
      readOnly: config.readOnly,
      allowLiveTrading: config.allowLiveTrading,
      accounts: config.accounts,
      maxOrderQuantity: config.maxOrderQuantity ?? null,
      maxOrderNotional: config.maxOrderNotional ?? null,
      liveTwsPort: false,
    },
    tws: (sink) =>
      createTwsBroker(
        {
          host: config.twsHost,
          port: config.twsPort!,
          clientId: config.twsClientId,
          clientIdRange: config.twsClientIdRange,
          marketDataType: config.marketDataType,
          logger,
          knownOrder: sink.knownOrder ? (id, key) => sink.knownOrder!(id, key) : undefined,
        },
        sink,
      ),
  });
  await broker.start();
  const server = await startServer({
    broker,
    logger,
    host: config.host,
    port: 0,
    landingPage: "none",
    auth: { apiToken: config.apiToken, apiReadToken: config.apiReadToken },
    ...serverOptionsOf(config),
  });
  return { label: "JSON-lines store, in-memory events", server, broker, stop: () => server.stop() };
}

interface Probe {
  side: Side;
  client: GraphQLHttpClient;
  subscriber: RawSubscriber;
  submitted: Map<string, number>;
  waiters: Map<string, () => void>;
  samples: number[];
}

async function probe(side: Side): Promise<Probe> {
  const submitted = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const subscriber = new RawSubscriber(side.server.wsUrl, {
    onNext: (payload) => {
      const at = wallNow();
      const ev = (payload.data as { orderUpdates?: OrderEventData } | undefined)?.orderUpdates;
      const id = ev?.order.clientOrderId;
      if (ev?.type !== "SUBMITTED" || !id || submitted.has(id)) return;
      submitted.set(id, at);
      waiters.get(id)?.();
    },
  });
  await subscriber.start(ORDER_UPDATES_SUBSCRIPTION);
  await waitUntil("the orderUpdates subscription", () => side.broker.subscriberCounts().orderUpdates >= 1);
  return {
    side,
    client: new GraphQLHttpClient(side.server.httpUrl, 1),
    subscriber,
    submitted,
    waiters,
    samples: [],
  };
}

/** placeOrder sent → its SUBMITTED event on the same client's subscription. */
async function placeAndWait(p: Probe, clientOrderId: string): Promise<number> {
  const t0 = wallNow();
  const arrived = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no SUBMITTED event for ${clientOrderId}`)), 10_000);
    p.waiters.set(clientOrderId, () => {
      clearTimeout(timer);
      resolve();
    });
    if (p.submitted.has(clientOrderId)) p.waiters.get(clientOrderId)!();
  });
  const r = await p.client.post(PLACE_ORDER_MUTATION, {
    input: {
      accountId: ACCOUNT,
      contract: { conid: AAPL },
      side: "BUY",
      type: "LIMIT",
      quantity: 1,
      limitPrice: LIMIT_PRICE,
      clientOrderId,
      via: "TWS",
    },
  });
  if (r.errors?.length) throw new Error(`placeOrder failed: ${JSON.stringify(r.errors)}`);
  await arrived;
  p.waiters.delete(clientOrderId);
  return p.submitted.get(clientOrderId)! - t0;
}

/**
 * Figure 4: the order path (placeOrder → SUBMITTED event) of this build, whose every event is journaled in
 * SQLite before delivery, against the build before the journal (JSON-lines idempotency store, in-memory event
 * log), both in this process over the same TWS simulator in a child process, samples interleaved.
 */
export async function orderPath(): Promise<FigureResult> {
  const samples = envNumber("BENCH_ORDER_SAMPLES", 80);
  const warmup = 5;
  const child = startChild(join(__dirname, "..", "children", "sim-child.js"));
  const dirs: string[] = [];
  const sides: Side[] = [];
  const probes: Probe[] = [];
  try {
    const sims = await child.call<{ twsHost: string; twsPort: number }>("start");
    const configFor = async (clientId: number) => {
      const dataDir = await mkdtemp(join(tmpdir(), "ibkr-graphql-bench-order-"));
      dirs.push(dataDir);
      // TWS only (the order path goes through TWS): two servers on one Client Portal simulator would share
      // its per-endpoint windows and meet each other's 429s.
      const config = loadConfig(
        {},
        {
          port: 0,
          landingPage: "none",
          dataDir,
          twsHost: sims.twsHost,
          twsPort: sims.twsPort,
          twsClientId: clientId,
        },
        null,
      );
      return { config, dataDir };
    };
    const ours = await configFor(0);
    const app = await startApp(ours.config, silentLogger());
    sides.push({ label: "SQLite journal", server: app.server, broker: app.broker, stop: () => app.stop() });
    const before = await configFor(1);
    sides.push(await startJsonlBuild(before.config, before.dataDir));
    for (const s of sides) {
      await waitUntil("the server to be ready on the simulators", () => s.broker.readiness().ready, 30_000);
    }
    for (const s of sides) probes.push(await probe(s));
    const [journal, jsonl] = probes as [Probe, Probe];

    // What one fsync costs on this disk, now: the journal's inherent price is one WAL fdatasync on the
    // event's path (an event is durable before anyone sees it), which the in-memory log never pays.
    const probeFile = await open(join(ours.dataDir, "fsync-probe"), "a");
    const fsyncs: number[] = [];
    for (let i = 0; i < samples + warmup; i++) {
      const t0 = wallNow();
      await probeFile.appendFile("x".repeat(300));
      await probeFile.datasync();
      if (i >= warmup) fsyncs.push(wallNow() - t0);
      // Alternate which build goes first, so neither always meets a simulator fresh from the other's order.
      const order = i % 2 === 0 ? [journal, jsonl] : [jsonl, journal];
      for (const p of order) {
        const t = await placeAndWait(p, `path-${p === journal ? "j" : "f"}-${i}`);
        if (i >= warmup) p.samples.push(t);
        // TWS allows 50 messages/s per client.
        await sleep(30);
      }
    }

    await probeFile.close();
    const fs = distribution(fsyncs);
    const j = distribution(journal.samples);
    const f = distribution(jsonl.samples);
    const delta = j.p50 - f.p50;
    return {
      title: "4. Order path",
      rows: [
        {
          figure: "4. Order path: placeOrder → SUBMITTED event, journal vs JSON-lines build",
          measured: `SQLite journal p50 ${ms(j.p50)}, ${formatTail(j)}`,
          goal: `≤ +${BUDGET_MS} ms p50`,
          baseline: `JSON-lines store + in-memory events p50 ${ms(f.p50)}, ${formatTail(f)}`,
          ratio: `${signed(delta)} p50, ${signed(j.p99 - f.p99)} ${j.count >= 1000 ? "p99" : "p99 (few samples)"}`,
          verdict: verdict(delta <= BUDGET_MS),
        },
      ],
      notes: [
        `${samples} samples per build after ${warmup} warm-up pairs, interleaved (which build goes first ` +
          "alternates), 30 ms apart (TWS allows 50 messages/s per client). Limit buys of 1 AAPL at 100 (market " +
          "≈ 190) through TWS, so every order rests at Submitted. The goal is the issue's: the journal adds at " +
          `most ${BUDGET_MS} ms at p50 over the build with the JSON-lines store, measured side by side.`,
        "Both servers run in this process over one TWS simulator in a child process (as a real gateway would " +
          "be), TWS only (client ids 0 and 1). Measured: the HTTP mutation sent → the order's SUBMITTED event " +
          "on a graphql-ws subscription of the same client (validation, guards, the PENDING idempotency record " +
          "made durable before the order is sent, TWS placeOrder and acknowledgement, order tracker, event " +
          "delivery).",
        "This build: startApp with the SQLite store: the PENDING key committed (WAL, synchronous=FULL, fsync) " +
          "before the order is sent; every event committed to the journal before any subscriber sees it. " +
          "Baseline: the same broker service with the JSON-lines idempotency store (one fsync'ed append per " +
          "record) and the in-memory event log, which delivers an event at once and forgets it on restart.",
        `Raw: journal p50 ${ms(j.p50)}, p99 ${ms(j.p99)}, max ${ms(j.max)}; JSON-lines p50 ${ms(f.p50)}, ` +
          `p99 ${ms(f.p99)}, max ${ms(f.max)} (n = ${j.count} each).`,
        `One append + fdatasync of 300 bytes on the same disk, interleaved with the samples: p50 ` +
          `${ms(fs.p50)}, p99 ${ms(fs.p99)}. The SQLite build waits for one WAL fdatasync between the ` +
          "SUBMITTED event and its delivery; everything else is the same work, so the delta tracks this " +
          "number: within budget while the disk answers an fsync in a millisecond or two, over it when the " +
          "disk is shared with heavier work.",
        "How the journal keeps that to one fsync without blocking: WAL with synchronous=NORMAL, and the store " +
          "fdatasyncs the WAL itself on libuv's thread pool, resolving a write (and letting readers see its " +
          "event) only after an fsync started after its commit returned. Each commit starts its fsync at once " +
          "(two at most in flight, later commits share the next), so an event never queues behind an fsync " +
          "that began before it was written (that queueing cost +5 to +7 ms here). So a " +
          "committed event still survives kill -9 and power loss, and the event loop keeps serving during " +
          "the fsync (a synchronous=FULL commit blocked it for the whole fsync).",
      ],
    };
  } finally {
    for (const p of probes) {
      p.subscriber.close();
      await p.client.close();
    }
    for (const s of sides) await s.stop();
    await child.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}
