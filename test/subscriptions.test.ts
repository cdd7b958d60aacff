import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DocumentNode, ExecutionResult } from "graphql";
import { buildAppSchema } from "../src/build-schema";
import { SubscriptionEngine } from "../src/subscriptions";
import { startMemoryApp, type MemoryApp } from "./helpers/memory-app";

const QUERY = "subscription { orderUpdates { sequence type order { id status } } }";

describe("SubscriptionEngine", () => {
  let app: MemoryApp;
  const engine = new SubscriptionEngine(buildAppSchema());
  before(async () => {
    app = await startMemoryApp();
  });
  after(() => app.server.stop());

  it("parses and validates a query text once, and caches its errors too", () => {
    const a = engine.prepare(QUERY);
    assert.ok("kind" in a);
    assert.equal(engine.prepare(QUERY), a);
    const bad = engine.prepare("subscription { nope }");
    assert.ok(!("kind" in bad) && bad.length === 1);
    assert.equal(engine.prepare("subscription { nope }"), bad);
  });

  it("executes each event once for every subscriber of the same document and variables", async () => {
    const document = engine.prepare(QUERY) as DocumentNode;
    const args = { schema: buildAppSchema(), document, contextValue: { broker: app.broker } };
    const subs = (await Promise.all([
      engine.subscribe(args),
      engine.subscribe(args),
    ])) as AsyncIterableIterator<ExecutionResult>[];
    const place = app.broker.placeOrder(
      {
        accountId: "DU0000001",
        contract: { conid: 265598 },
        side: "BUY" as never,
        type: "LIMIT" as never,
        quantity: 1,
        limitPrice: 100,
        timeInForce: "DAY" as never,
        clientOrderId: "engine-1",
      },
      { client: "test", canTrade: true },
    );
    const [a, b] = await Promise.all(subs.map((s) => s.next()));
    await place;
    assert.equal(a!.value, b!.value, "one shared result object");
    assert.equal(
      (a!.value as ExecutionResult<{ orderUpdates: { type: string } }>).data?.orderUpdates.type,
      "NEW",
    );
    for (const s of subs) await s.return?.();
    assert.equal(app.broker.subscriberCounts().orderUpdates, 0, "return() releases the broker stream");
  });
});
