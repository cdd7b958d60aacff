/**
 * One behavioural contract for every broker, run against each of them in the spirit of Apollo's
 * `defineIntegrationTestSuite(createServer)`: a `broker-contract-<name>.test.ts` file supplies a factory that
 * starts one adapter (TWS over its simulator, Client Portal over its simulator, the in-memory broker) with a
 * broker service over it, and this suite checks the same promises on each, closing everything after each test.
 *
 * Two levels, each test at the one that owns the promise:
 * - the `ApiBroker` (what an adapter promises the service): reads; place, modify, cancel; finding an order by
 *   its clientOrderId;
 * - the `BrokerService` over that one adapter (the idempotency rules live in the service, but they only hold if
 *   the adapter tells "nothing sent", "rejected" and "unknown" apart and finds an order by its key): retries,
 *   concurrent placements, a restart over the same data dir, an unknown outcome.
 *
 * What a test counts is the book of the gateway itself (`timesPlaced`, as the simulators' `/sim/orders`
 * shows it), not what the adapter says it did.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import {
  createBrokerService,
  type ApiBroker,
  type BrokerEventSink,
  type BrokerService,
  type Caller,
  type ClientPortalBroker,
  type OrderRequest,
  type TwsBroker,
} from "../src/brokers";
import { createFileIdempotencyStore } from "../src/brokers/file-idempotency-store";
import { isAppError } from "../src/errors";
import { silentLogger } from "../src/logger";
import type { ContractInput } from "../src/schema/contract.type";
import { OrderSide, OrderStatus, OrderType, TimeInForce } from "../src/schema/enums";
import type { PlaceOrderInput } from "../src/schema/order.input";
import type { Order, PlaceOrderPayload } from "../src/schema/order.type";
import { DEFAULT_GUARDS } from "./helpers/memory-app";
import type { SimOrderRow } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

/** What the gateway's book holds for one clientOrderId. */
export interface BookEntry {
  /** Orders in the book with this clientOrderId (IB's cOID / orderRef). */
  orderIds: string[];
  /** Placements with this clientOrderId the gateway received, duplicates refused included; 0 if none. */
  timesPlaced: number;
}

/** A started broker and the handles a test needs on its gateway. */
export interface BrokerUnderTest {
  /** The broker service over this one adapter; its idempotency store lives in `dataDir`. Replaced by `restart`. */
  readonly service: BrokerService;
  /** The adapter the service talks to. Replaced by `restart`. */
  readonly adapter: ApiBroker;
  /** The paper account the gateway manages. */
  readonly account: string;
  /** A contract the gateway knows. */
  readonly contract: ContractInput;
  /** A BUY limit price that rests (below the market, never asked about). */
  restingBuyLimit(): Promise<number>;
  /** The gateway's book for `clientOrderId`. */
  book(clientOrderId: string): Promise<BookEntry>;
  /** Resolves once the book has filled this market order (the in-memory broker fills it now). */
  fillMarketOrder(order: Order): Promise<void>;
  /**
   * The gateway stops answering placements: each one is taken but no answer comes back (whether it reached the
   * book is for the adapter to find out). Until `heal`.
   */
  swallowPlacements(): Promise<void>;
  /**
   * Whether a retry while placements are swallowed may already find the order (Client Portal and the in-memory
   * book list it at once); false means a retry must answer OUTCOME_UNKNOWN or SESSION_NOT_READY (TWS: a hung
   * gateway lists nothing).
   */
  readonly swallowedOrderListed: boolean;
  heal(): Promise<void>;
  /** The gateway drops every connection to it (and takes new ones again a moment later). */
  dropConnections(): Promise<void>;
  /**
   * Closes the service and its adapter, runs `between` (a crash's leftovers written into the data dir), then
   * starts a new adapter and a new service over the same data dir and the same gateway.
   */
  restart(between?: (dataDir: string) => Promise<void>): Promise<void>;
  /** Stops everything the factory started and removes the data dir. */
  close(): Promise<void>;
}

export type MakeBroker = () => Promise<BrokerUnderTest>;

/** One adapter for a broker service: the side it takes (`tws` or `clientPortal`) and its factory. */
export type ServiceSide =
  | { tws: (sink: BrokerEventSink) => TwsBroker }
  | { clientPortal: (sink: BrokerEventSink) => ClientPortalBroker };

/** A started broker service over one adapter, with the durable idempotency store in `dataDir`. */
export async function startService(dataDir: string, side: ServiceSide): Promise<BrokerService> {
  const service = createBrokerService({
    simulated: true,
    logger: silentLogger(),
    orderEventBuffer: 1000,
    idempotency: await createFileIdempotencyStore(dataDir),
    guards: DEFAULT_GUARDS,
    ...side,
  });
  await service.start();
  return service;
}

/** The book entry of `clientOrderId` from the simulators' `/sim/orders` rows. */
export function bookEntry(rows: readonly SimOrderRow[], clientOrderId: string): BookEntry {
  const mine = rows.filter((r) => r.clientOrderId === clientOrderId);
  return {
    orderIds: mine.map((r) => String(r.permId)),
    timesPlaced: Math.max(0, ...mine.map((r) => r.timesPlaced)),
  };
}

/** A temporary data dir and its removal. */
export async function tempDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "broker-contract-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const CALLER: Caller = { client: "broker-contract", canTrade: true };
/** While a gateway is down or swallowing, a retry may only say so; anything else is a failure at once. */
const NOT_YET: readonly string[] = ["OUTCOME_UNKNOWN", "SESSION_NOT_READY"];

function codeOf(e: unknown): string {
  return isAppError(e) ? e.code : `not an AppError: ${String(e)}`;
}

/** The promise's outcome as a value: the payload, or the error code it failed with. */
async function settle(
  p: Promise<PlaceOrderPayload>,
): Promise<{ payload?: PlaceOrderPayload; code?: string }> {
  try {
    return { payload: await p };
  } catch (e) {
    return { code: codeOf(e) };
  }
}

export function defineBrokerContract(name: string, make: MakeBroker): void {
  let seq = 0;
  const key = (what: string) => `${what}-${process.pid}-${++seq}`;

  async function started(t: TestContext): Promise<BrokerUnderTest> {
    const b = await make();
    t.after(() => b.close());
    return b;
  }

  function input(b: BrokerUnderTest, over: Partial<PlaceOrderInput> = {}): PlaceOrderInput {
    return {
      accountId: b.account,
      contract: b.contract,
      side: OrderSide.BUY,
      type: OrderType.MARKET,
      quantity: 2,
      timeInForce: TimeInForce.DAY,
      clientOrderId: key("c"),
      ...over,
    };
  }

  function request(b: BrokerUnderTest, over: Partial<OrderRequest> = {}): OrderRequest {
    return {
      accountId: b.account,
      contract: b.contract,
      side: OrderSide.BUY,
      type: OrderType.LIMIT,
      quantity: 3,
      limitPrice: null,
      stopPrice: null,
      timeInForce: TimeInForce.DAY,
      clientOrderId: key("a"),
      ...over,
    };
  }

  describe(`broker contract: ${name}`, () => {
    describe("the adapter (ApiBroker)", () => {
      it("reads its accounts, a summary, positions and orders", async (t) => {
        const b = await started(t);
        const accounts = await b.adapter.listAccounts();
        const account = accounts.find((a) => a.id === b.account);
        assert.ok(account, JSON.stringify(accounts));
        assert.equal(account.type, "PAPER");
        assert.ok(account.sources.includes(b.adapter.api));
        const summary = await b.adapter.getAccountSummary(b.account);
        assert.ok(summary && summary.netLiquidation != null && summary.netLiquidation > 0);
        const positions = await b.adapter.listPositions(b.account);
        assert.ok(Array.isArray(positions));
        for (const p of positions) {
          assert.equal(p.accountId, b.account);
          assert.equal(p.source, b.adapter.api);
        }
        assert.ok(Array.isArray(await b.adapter.listOrders()));
        assert.equal(await b.adapter.findByClientOrderId(key("never-placed")), null);
      });

      it("places a resting limit order, modifies it, cancels it, and finds it by clientOrderId", async (t) => {
        const b = await started(t);
        const contract = await b.adapter.resolveContract(b.contract);
        const limit = await b.restingBuyLimit();
        const r = request(b, { limitPrice: limit, quantity: 3 });
        const out = await b.adapter.placeOrder(r, contract);
        const placed = out.order;
        assert.ok(placed, `placed without a question: ${JSON.stringify(out)}`);
        assert.equal(placed.clientOrderId, r.clientOrderId);
        assert.equal(placed.source, b.adapter.api);
        assert.equal(placed.status, OrderStatus.SUBMITTED);
        assert.equal(placed.limitPrice, limit);
        assert.deepEqual((await b.book(r.clientOrderId)).orderIds, [placed.id]);

        const modified = await b.adapter.modifyOrder(placed, { quantity: 4, limitPrice: limit - 1 });
        assert.equal(modified.id, placed.id);
        assert.equal(modified.quantity, 4);
        assert.equal(modified.limitPrice, limit - 1);
        const listed = await eventually("the modified order listed", async () =>
          (await b.adapter.listOrders()).find((o) => o.id === placed.id && o.quantity === 4),
        );
        assert.equal(listed.limitPrice, limit - 1);

        const cancelling = await b.adapter.cancelOrder(modified);
        assert.ok([OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED].includes(cancelling.status));
        const found = await eventually(
          "the cancel confirmed",
          async () => {
            const o = await b.adapter.findByClientOrderId(r.clientOrderId);
            return o?.status === OrderStatus.CANCELLED && o;
          },
          5000,
          100,
        );
        assert.equal(found.id, placed.id);
        assert.equal((await b.book(r.clientOrderId)).timesPlaced, 1);
      });
    });

    describe("the broker service over it: idempotency", () => {
      it("returns the same order for a retry with the same clientOrderId and refuses other terms under it", async (t) => {
        const b = await started(t);
        const i = input(b, { type: OrderType.LIMIT, limitPrice: await b.restingBuyLimit(), quantity: 10 });
        const first = await b.service.placeOrder(i, CALLER);
        const again = await b.service.placeOrder(i, CALLER);
        assert.ok(first.order);
        assert.equal(again.order?.id, first.order.id);
        assert.equal((await b.book(i.clientOrderId)).timesPlaced, 1);
        await assert.rejects(b.service.placeOrder({ ...i, quantity: 11 }, CALLER), (e) => {
          assert.equal(codeOf(e), "IDEMPOTENCY_CONFLICT");
          return true;
        });
        assert.equal((await b.book(i.clientOrderId)).timesPlaced, 1);
      });

      it("makes exactly one order from 20 concurrent placements with one clientOrderId", async (t) => {
        const b = await started(t);
        const i = input(b, { type: OrderType.LIMIT, limitPrice: await b.restingBuyLimit(), quantity: 1 });
        const results = await Promise.all(Array.from({ length: 20 }, () => b.service.placeOrder(i, CALLER)));
        const ids = new Set(results.map((r) => r.order?.id));
        assert.equal(ids.size, 1);
        assert.ok([...ids][0]);
        const book = await b.book(i.clientOrderId);
        assert.equal(book.timesPlaced, 1);
        assert.equal(book.orderIds.length, 1);
        await assert.rejects(b.service.placeOrder({ ...i, quantity: 2 }, CALLER), (e) => {
          assert.equal(codeOf(e), "IDEMPOTENCY_CONFLICT");
          return true;
        });
      });

      it("after a restart with the same data dir, the same clientOrderId places nothing", async (t) => {
        const b = await started(t);
        const i = input(b, { quantity: 2 });
        const placed = await b.service.placeOrder(i, CALLER);
        assert.ok(placed.order);
        await b.fillMarketOrder(placed.order);
        await b.restart();

        const again = await b.service.placeOrder(i, CALLER);
        assert.equal(again.order?.id, placed.order.id);
        assert.equal(again.order?.status, OrderStatus.FILLED);
        assert.equal((await b.book(i.clientOrderId)).timesPlaced, 1);
        await assert.rejects(b.service.placeOrder({ ...i, side: OrderSide.SELL }, CALLER), (e) => {
          assert.equal(codeOf(e), "IDEMPOTENCY_CONFLICT");
          return true;
        });
        const orders = await b.service.orders({});
        assert.ok(orders.some((o) => o.id === placed.order!.id));
      });

      it("after a crash between sending and recording (record PENDING), the restarted service reconciles instead of resending", async (t) => {
        const b = await started(t);
        const i = input(b, { quantity: 3 });
        const placed = await b.service.placeOrder(i, CALLER);
        assert.ok(placed.order);
        await b.fillMarketOrder(placed.order);
        // What a crash right after placeOrder went out leaves behind: the key, PENDING, without an order id.
        await b.restart(async (dir) => {
          const store = await createFileIdempotencyStore(dir);
          const rec = store.get(i.clientOrderId)!;
          await store.put({ ...rec, state: "PENDING", orderId: undefined });
          await store.close();
        });
        const again = await b.service.placeOrder(i, CALLER);
        assert.equal(again.order?.id, placed.order.id);
        assert.equal((await b.book(i.clientOrderId)).timesPlaced, 1);
      });

      it("serves again by itself after the gateway drops its connections; a retry of an earlier key places nothing", async (t) => {
        const b = await started(t);
        const i = input(b, { type: OrderType.LIMIT, limitPrice: await b.restingBuyLimit(), quantity: 1 });
        const placed = await b.service.placeOrder(i, CALLER);
        assert.ok(placed.order);
        await b.dropConnections();
        const found = await eventually(
          "ready again, and the order read again",
          async () =>
            b.service.readiness().ready &&
            (await b.adapter.findByClientOrderId(i.clientOrderId).catch(() => null)),
          8000,
          100,
        );
        assert.equal(found.id, placed.order.id);
        const again = await b.service.placeOrder(i, CALLER);
        assert.equal(again.order?.id, placed.order.id);
        assert.ok((await b.service.orders({})).some((o) => o.id === placed.order!.id));
        assert.equal((await b.book(i.clientOrderId)).timesPlaced, 1);
      });

      it("never resends a placement whose outcome is unknown: OUTCOME_UNKNOWN, then reconciled, one order", async (t) => {
        const b = await started(t);
        const i = input(b, { quantity: 5 });
        // Warm the contract cache: with a swallowing gateway the contract lookup itself could time out first.
        await b.service.placeOrder(input(b, { quantity: 1 }), CALLER);
        await b.swallowPlacements();
        await assert.rejects(b.service.placeOrder(i, CALLER), (e) => {
          assert.equal(codeOf(e), "OUTCOME_UNKNOWN", String(e));
          return true;
        });
        // Until the gateway answers again the outcome stays unknown, or a retry finds the order: nothing is
        // resent either way.
        const during = await settle(b.service.placeOrder(i, CALLER));
        if (during.code) assert.ok(NOT_YET.includes(during.code), during.code);
        else {
          assert.ok(
            b.swallowedOrderListed,
            "this gateway lists nothing while it swallows: the retry must fail",
          );
          assert.equal(during.payload?.order?.clientOrderId, i.clientOrderId);
        }
        assert.ok((await b.book(i.clientOrderId)).timesPlaced <= 1);
        await b.heal();
        const placed = await eventually(
          "the order placed or found once the gateway answers again",
          async () => {
            const r = await settle(b.service.placeOrder(i, CALLER));
            if (r.code && !NOT_YET.includes(r.code)) throw new Error(`retry failed with ${r.code}`);
            return r.payload?.order ?? undefined;
          },
          8000,
          100,
        );
        const book = await b.book(i.clientOrderId);
        assert.equal(book.timesPlaced, 1, "exactly one order exists");
        assert.deepEqual(book.orderIds, [placed.id]);
        const again = await b.service.placeOrder(i, CALLER);
        assert.equal(again.order?.id, placed.id);
        assert.equal((await b.book(i.clientOrderId)).timesPlaced, 1);
      });
    });
  });
}
