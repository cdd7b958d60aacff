import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "graphql-ws";
import { openSqliteStore } from "../src/store";
import type { Json } from "./helpers/cp-sim-client";
import { recordSubscription, type Recorder } from "./helpers/journal-app";
import { startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const SESSION_EVENTS = `subscription Session($after: String) {
  sessionEvents(after: $after) { sequence cursor api type }
}`;

function record(client: Client, variables: Record<string, unknown> = {}): Recorder {
  return recordSubscription(client, SESSION_EVENTS, "sessionEvents", variables);
}

/** TWS dropped by its simulator: the server announces DISCONNECTED, then CONNECTED once it reconnects. */
async function bounceTws(s: SimApp, rec: Recorder): Promise<void> {
  const seen = rec.events.length;
  await s.control("/sim/tws/disconnect");
  await eventually(
    "TWS DISCONNECTED then CONNECTED",
    () => {
      const types = rec.events.slice(seen).map((e) => `${e.api}:${e.type}`);
      const down = types.indexOf("TWS:DISCONNECTED");
      return down >= 0 && types.indexOf("TWS:CONNECTED", down) > down;
    },
    10_000,
  );
}

describe("sessionEvents(after:) resumes from the journal", () => {
  let dataDir: string;
  let s: SimApp | undefined;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "w-journal-session-"));
  });
  after(async () => {
    await s?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const start = () => startSimApp({ env: { DATA_DIR: dataDir } });

  it("replays every session event after the cursor once, in order, across a restart, then continues live", async () => {
    s = await start();
    const live1 = record(s.ws());
    await eventually(
      "the subscription registered",
      () => s!.app.broker.subscriberCounts().sessionEvents === 1,
    );
    await bounceTws(s, live1);
    const lastOld = live1.events.at(-1)!;
    live1.stop();
    await s.stop();
    s = undefined;

    s = await start();
    const live2 = record(s.ws());
    await eventually(
      "the subscription registered",
      () => s!.app.broker.subscriberCounts().sessionEvents === 1,
    );
    await bounceTws(s, live2);

    const resumed = record(s.ws(), { after: lastOld.cursor });
    const journaled = async () =>
      (await s!.app.store.readAfter("session", lastOld.sequence as number, 10_000)).map((e) => e.sequence);
    await eventually(
      "the replay reaching the journal's end",
      async () => resumed.events.length >= (await journaled()).length,
      10_000,
    );
    assert.equal(resumed.error, undefined);
    // Exactly the journal after the cursor: the first run's shutdown, the second run's start and bounce.
    assert.deepEqual(
      resumed.events.map((e) => e.sequence),
      await journaled(),
    );
    const liveSeqs = live2.events.map((e) => e.sequence);
    const resumedSeqs = resumed.events.map((e) => e.sequence);
    assert.deepEqual(
      resumedSeqs.slice(resumedSeqs.length - liveSeqs.length),
      liveSeqs,
      "the live tail included",
    );

    // Then live: a new event arrives once, after the replay.
    await bounceTws(s, resumed);
    const seqs = resumed.events.map((e) => e.sequence as number);
    for (let i = 1; i < seqs.length; i++)
      assert.ok(seqs[i]! > seqs[i - 1]!, `once, in order: ${seqs.join(",")}`);
    assert.ok(seqs[0]! > (lastOld.sequence as number));
    for (const r of [live2, resumed]) r.stop();
  });

  it("refuses a cursor it cannot honour with CURSOR_INVALID and the bounds, as orderUpdates does", async () => {
    assert.ok(s, "runs after the resume test");
    const otherDir = await mkdtemp(join(tmpdir(), "w-journal-other-"));
    try {
      const other = await openSqliteStore(otherDir);
      await other.append("session", { n: 1 });
      const foreign = other.encodeCursor(1);
      await other.close();
      for (const [after, reason] of [
        [foreign, "OTHER_JOURNAL"],
        ["not-a-cursor", "MALFORMED"],
        [s.app.store.encodeCursor(1_000_000_000), "AHEAD"],
      ] as const) {
        const rec = record(s.ws(), { after });
        await eventually("the refusal", () => rec.done || rec.error !== undefined);
        const errors = rec.error as { extensions: Json }[];
        assert.ok(Array.isArray(errors), JSON.stringify(rec.error));
        assert.equal(errors[0]!.extensions.code, "CURSOR_INVALID");
        assert.equal(errors[0]!.extensions.reason, reason);
        assert.equal(errors[0]!.extensions.journalId, s.app.store.journalId);
        assert.equal(typeof errors[0]!.extensions.latestCursor, "string");
        rec.stop();
      }
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
