import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ApiBroker, PlaceOutcome } from "../src/brokers/api-broker";
import {
  fingerprintOf,
  keyOfDamaged,
  KeyedMutex,
  MemoryIdempotencyStore,
  parseRecord,
  type IdempotencyRecord,
} from "../src/brokers/idempotency";
import { OrderIdempotency } from "../src/brokers/order-idempotency";
import type { OrderRequest } from "../src/brokers/order-terms";
import { OrderTracker } from "../src/brokers/order-tracker";
import { AppError, ErrorCode, isAppError } from "../src/errors";
import { silentLogger } from "../src/logger";
import type { Contract } from "../src/schema/contract.type";
import { BrokerApi, OrderSide, OrderStatus, OrderType, SecType, TimeInForce } from "../src/schema/enums";
import type { Order } from "../src/schema/order.type";

const AAPL: Contract = {
  conid: 265598,
  symbol: "AAPL",
  secType: SecType.STK,
  exchange: "SMART",
  currency: "USD",
};

const request = (over: Partial<OrderRequest> = {}): OrderRequest => ({
  accountId: "DU1234567",
  contract: { conid: AAPL.conid },
  side: OrderSide.BUY,
  type: OrderType.LIMIT,
  quantity: 1,
  limitPrice: 100,
  stopPrice: null,
  timeInForce: TimeInForce.DAY,
  clientOrderId: "k1",
  ...over,
});

/** A TWS side that records each placement and answers with `next` (an order by default). */
function fakeSide() {
  const orders: Order[] = [];
  const side = {
    api: BrokerApi.TWS,
    sent: 0,
    next: null as null | (() => PlaceOutcome),
    isReady: () => true,
    resolveContract: async () => AAPL,
    placeOrder: async (r: OrderRequest): Promise<PlaceOutcome> => {
      side.sent++;
      if (side.next) return side.next();
      const order = {
        id: String(1000 + side.sent),
        clientOrderId: r.clientOrderId,
        accountId: r.accountId,
        status: OrderStatus.SUBMITTED,
        source: BrokerApi.TWS,
        createdAt: new Date(),
        updatedAt: new Date(),
      } as Order;
      orders.push(order);
      return { order };
    },
    findByClientOrderId: async (id: string) => orders.find((o) => o.clientOrderId === id) ?? null,
  };
  return { side, api: side as unknown as ApiBroker, orders };
}

function setup(store = new MemoryIdempotencyStore(), now?: () => number) {
  const fake = fakeSide();
  const tracker = new OrderTracker({ bufferSize: 10 });
  const idem = new OrderIdempotency({
    store,
    tracker,
    logger: silentLogger(),
    side: () => fake.api,
    clientPortal: () => undefined,
    findOrder: async (id) => tracker.get(id) ?? null,
    now,
  });
  const place = (r = request()) => idem.place(fake.api, r, async () => undefined);
  return { ...fake, store, idem, place };
}

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
}

describe("stored idempotency records", () => {
  const base = { clientOrderId: "k", fingerprint: "f", api: BrokerApi.TWS, accountId: "DU1", updatedAt: "t" };

  it("reads back every state with the fields that state needs", () => {
    const ok: IdempotencyRecord[] = [
      { ...base, state: "PENDING" },
      { ...base, state: "PLACED", orderId: "1" },
      { ...base, state: "CONFIRMATION", replyId: "r", messages: ["m"], messageIds: ["o1"] },
      { ...base, state: "UNKNOWN" },
      { ...base, state: "FAILED", errorCode: "ORDER_REJECTED", errorMessage: "no", orderId: "2" },
      { ...base, state: "FAILED", errorCode: "ORDER_REJECTED", errorMessage: "no" },
    ];
    for (const r of ok) assert.deepEqual(parseRecord(JSON.parse(JSON.stringify(r))), r, r.state);
  });

  it("refuses a record that lacks what its state needs, or an unknown state or API", () => {
    for (const bad of [
      { ...base, state: "PLACED" },
      { ...base, state: "CONFIRMATION", replyId: "r" },
      { ...base, state: "FAILED", errorMessage: "x" },
      { ...base, state: "DONE" },
      { ...base, state: "PENDING", api: "FIX" },
      { ...base, state: "PENDING", fingerprint: "" },
      { state: "PENDING", clientOrderId: "k" },
      null,
      "PLACED",
    ]) {
      assert.equal(parseRecord(bad), null, JSON.stringify(bad));
    }
  });

  it("finds the key a damaged line still names", () => {
    assert.equal(
      keyOfDamaged('{"op":"put","record":{"clientOrderId":"bot-1","fingerprint":"x\u0000'),
      "bot-1",
    );
    assert.equal(keyOfDamaged("not json"), null);
  });

  it("fingerprints the terms, not the key", () => {
    assert.equal(fingerprintOf(request()), fingerprintOf(request({ clientOrderId: "other" })));
    assert.notEqual(fingerprintOf(request()), fingerprintOf(request({ quantity: 2 })));
    assert.notEqual(fingerprintOf(request()), fingerprintOf(request({ limitPrice: 100.01 })));
  });

  it("runs work of one key one after the other, even when one fails", async () => {
    const mutex = new KeyedMutex();
    const seen: string[] = [];
    const step =
      (name: string, fail = false) =>
      async () => {
        seen.push(`${name}>`);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(`<${name}`);
        if (fail) throw new Error(name);
      };
    await Promise.allSettled([mutex.run("k", step("a", true)), mutex.run("k", step("b"))]);
    assert.deepEqual(seen, ["a>", "<a", "b>", "<b"]);
  });
});

describe("placing once per clientOrderId", () => {
  it("replays a placed key and refuses the same key with other terms", async () => {
    const s = setup();
    const first = await s.place();
    const again = await s.place();
    assert.equal(again.order?.id, first.order?.id);
    assert.equal(s.side.sent, 1);
    assert.equal(await codeOf(s.place(request({ quantity: 2 }))), "IDEMPOTENCY_CONFLICT");
    assert.equal(s.store.get("k1")?.state, "PLACED");
  });

  it("frees the key when nothing was sent, and never resends a lost answer", async () => {
    const s = setup();
    s.side.next = () => {
      throw new AppError(ErrorCode.RATE_LIMITED, "slow down");
    };
    assert.equal(await codeOf(s.place()), "RATE_LIMITED");
    assert.equal(s.store.get("k1"), undefined);
    s.side.next = () => {
      throw new Error("socket hang up");
    };
    assert.equal(await codeOf(s.place()), "OUTCOME_UNKNOWN");
    assert.equal(s.store.get("k1")?.state, "UNKNOWN");
    // Reconciled against IB: nothing there, so it is placed now, once.
    s.side.next = null;
    assert.ok((await s.place()).order);
    assert.equal(s.side.sent, 3);
  });

  it("README: a key whose outcome is still unknown after ~20 hours is never placed again", async () => {
    const HOUR = 3600_000;
    for (const [hours, placedAgain] of [
      [19, true],
      [21, false],
    ] as const) {
      let now = Date.UTC(2026, 0, 5, 15);
      const s = setup(new MemoryIdempotencyStore(), () => now);
      s.side.next = () => {
        throw new Error("socket hang up");
      };
      assert.equal(await codeOf(s.place()), "OUTCOME_UNKNOWN");
      s.side.next = null;
      now += hours * HOUR;
      // IB's lists do not have it: within the horizon that proves it never arrived; past it, nothing.
      if (placedAgain) {
        assert.ok((await s.place()).order, `${hours} h: placed once the lists prove it absent`);
        assert.equal(s.side.sent, 2);
      } else {
        const e = await s.place().catch((x: unknown) => x);
        assert.ok(isAppError(e) && e.code === "OUTCOME_UNKNOWN", String(e));
        assert.match(e.message, /too old to reconcile/);
        assert.equal(s.side.sent, 1, `${hours} h: not sent again`);
        assert.equal(s.store.get("k1")?.state, "UNKNOWN");
      }
    }
  });

  it("records a rejection and replays it without sending again", async () => {
    const s = setup();
    s.side.next = () => {
      throw new AppError(ErrorCode.ORDER_REJECTED, "price too far", { orderId: "77" });
    };
    assert.equal(await codeOf(s.place()), "ORDER_REJECTED");
    const rec = s.store.get("k1");
    assert.deepEqual(rec?.state === "FAILED" && [rec.errorMessage, rec.orderId], ["price too far", "77"]);
    assert.equal(await codeOf(s.place()), "ORDER_REJECTED");
    assert.equal(s.side.sent, 1);
  });

  it("refuses a key whose stored record is damaged (IDEMPOTENCY_CONFLICT), sending nothing", async () => {
    const store = Object.assign(new MemoryIdempotencyStore(), {
      damaged: (id: string) => (id === "k1" ? "unreadable line 3" : undefined),
    });
    const s = setup(store);
    const e = await s.place().catch((x: unknown) => x);
    assert.ok(isAppError(e));
    assert.equal(e.code, "IDEMPOTENCY_CONFLICT");
    assert.match(e.message, /unreadable/);
    assert.equal(s.side.sent, 0);
    assert.ok((await s.place(request({ clientOrderId: "k2" }))).order, "other keys still place");
  });
});
