import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openSqliteStore, type JournalEvent, type JsonValue, type SqliteStore } from "../../src/store";
import { verdict, type FigureResult } from "../lib/report";
import { distribution, envNumber, formatTail, ms, ratio } from "../lib/stats";

const APPEND_GOAL_PER_SEC = 5_000;
const REPLAY_GOAL_MS = 2_000;
const PAGE = 1_000;

/** About the size of a journaled order event (an order snapshot with its status and one fill). */
function orderEvent(i: number): JsonValue {
  return {
    type: "STATUS",
    order: {
      id: `tws:${1_000_000 + i}`,
      clientOrderId: `client-${i}`,
      accountId: "DU1234567",
      api: "TWS",
      symbol: "AAPL",
      side: "BUY",
      orderType: "LMT",
      quantity: 100,
      limitPrice: 187.25,
      timeInForce: "DAY",
      status: "SUBMITTED",
      filledQuantity: 0,
      remainingQuantity: 100,
      avgFillPrice: null,
      permId: String(900_000_000 + i),
      updatedAt: new Date(1_700_000_000_000 + i).toISOString(),
    },
    fill: { executionId: `0000e0d5.${i}.01.01`, quantity: 0, price: 0, commission: null },
  };
}

/**
 * `producers` writers, each appending its next event as soon as its previous one was acknowledged (closed
 * loop, as order events of many orders arriving together). Appends/s over `total` events.
 */
async function sustained(store: SqliteStore, total: number, producers: number) {
  const latencies: number[] = [];
  let next = 0;
  const producer = async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await store.append("order", orderEvent(i));
      latencies.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: producers }, producer));
  const seconds = (performance.now() - t0) / 1000;
  return { perSec: total / seconds, latency: distribution(latencies) };
}

async function withStore<T>(fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "bench-journal-"));
  const store = await openSqliteStore(dir);
  try {
    return await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Figure 6: the durable journal (SQLite, WAL, the WAL fdatasync'ed before a write resolves: an acknowledged
 * event survives power loss).
 * Appends/s with group commit (one transaction per event-loop tick) against one commit per append, the
 * baseline being what a write-then-await-each caller would get; then replay of 100,000 events in pages.
 */
export async function journal(): Promise<FigureResult> {
  const total = envNumber("BENCH_JOURNAL_EVENTS", 50_000);
  const producers = envNumber("BENCH_JOURNAL_PRODUCERS", 100);
  const replayEvents = envNumber("BENCH_JOURNAL_REPLAY", 100_000);

  const single = await withStore((s) => sustained(s, Math.min(total, 2_000), 1));
  const grouped = await withStore((s) => sustained(s, total, producers));
  const replay = await withStore(async (store) => {
    for (let i = 0; i < replayEvents; i += 5_000) {
      await Promise.all(
        Array.from({ length: Math.min(5_000, replayEvents - i) }, (_, j) =>
          store.append("order", orderEvent(i + j)),
        ),
      );
    }
    const t0 = performance.now();
    let count = 0;
    for (let after = 0; ;) {
      const page = await store.readAfter("order", after, PAGE);
      if (page.length === 0) break;
      count += page.length;
      after = (page.at(-1) as JournalEvent).sequence;
    }
    if (count !== replayEvents) throw new Error(`replayed ${count} of ${replayEvents} events`);
    return performance.now() - t0;
  });

  return {
    title: "Durable journal",
    rows: [
      {
        figure: `6a Journal appends/s, WAL fdatasync'ed per ack, ${producers} concurrent producers (group commit)`,
        measured: `${Math.round(grouped.perSec).toLocaleString("en-US")}/s (p50 ${ms(grouped.latency.p50)}, ${formatTail(grouped.latency)} to acknowledge)`,
        goal: `≥ ${APPEND_GOAL_PER_SEC.toLocaleString("en-US")}/s`,
        baseline: `${Math.round(single.perSec).toLocaleString("en-US")}/s one commit per append`,
        ratio: ratio(grouped.perSec / single.perSec),
        verdict: verdict(grouped.perSec >= APPEND_GOAL_PER_SEC),
      },
      {
        figure: `6b Replay of ${replayEvents.toLocaleString("en-US")} events in pages of ${PAGE}`,
        measured: ms(replay, 0),
        goal: `≤ ${REPLAY_GOAL_MS} ms`,
        baseline: "n/a",
        ratio: "n/a",
        verdict: verdict(replay <= REPLAY_GOAL_MS),
      },
    ],
    notes: [
      "Each append resolves after its transaction COMMITted (WAL, synchronous=NORMAL) and an fdatasync of the WAL that started after the commit returned (run on libuv's thread pool, so the event loop is not blocked); a caller publishes the event only then. Durability is synchronous=FULL's: an acknowledged event survives kill -9 and power loss.",
      `Group commit: writes requested in one task share one transaction; each commit starts an fsync at once, two at most in flight, and commits made meanwhile share the next one.`,
      `Event payload ≈ ${JSON.stringify(orderEvent(1)).length} bytes of JSON; database in ${tmpdir()}.`,
    ],
  };
}
