import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRateLimitNotes } from "../src/store";
import { eventually } from "./helpers/wait";

function fakeStore() {
  const writes: [string, number][] = [];
  const penalties: number[] = [];
  return {
    writes,
    penalties,
    noteEndpointWindow: async (endpoint: string, until: number) => void writes.push([endpoint, until]),
    setPenaltyUntil: async (until: number | null) => void penalties.push(until ?? 0),
  };
}

describe("Client Portal rate-limit notes", () => {
  it("writes nothing on the request's path, then one write per endpoint with the latest window end", async () => {
    const store = fakeStore();
    const notes = createRateLimitNotes(store, () => assert.fail("no error expected"), 60_000);
    notes.noteWindow("GET /iserver/account/orders", 1_000);
    notes.noteWindow("GET /iserver/account/orders", 6_000);
    notes.noteWindow("GET /iserver/account/orders", 5_000);
    notes.noteWindow("global", 2_000);
    assert.deepEqual(store.writes, [], "nothing written while the answer is on its way");
    await notes.flush();
    assert.deepEqual(store.writes, [
      ["GET /iserver/account/orders", 6_000],
      ["global", 2_000],
    ]);
    await notes.flush();
    assert.equal(store.writes.length, 2, "a second flush writes nothing new");
  });

  it("flushes by itself after its delay, and writes a 429 penalty at once", async () => {
    const store = fakeStore();
    const notes = createRateLimitNotes(store, () => assert.fail("no error expected"), 1);
    notes.notePenalty(9_000);
    assert.deepEqual(store.penalties, [9_000]);
    notes.noteWindow("global", 3_000);
    await eventually("the delayed write", () => store.writes.length > 0 || null, 2_000);
    assert.deepEqual(store.writes, [["global", 3_000]]);
  });
});
