import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ApiBroker } from "../src/brokers/api-broker";
import { marketPrice, route, routeExisting, sidesOf } from "../src/brokers/routing";
import { AppError, ErrorCode, isAppError } from "../src/errors";
import { BrokerApi } from "../src/schema/enums";
import type { Order } from "../src/schema/order.type";

interface FakeSide {
  ready?: boolean;
  price?: number | null | "throws";
  canChange?: (o: Order) => boolean;
}

/** Just enough of an ApiBroker for routing decisions: readiness, a price, and whether it may change an order. */
function side(api: BrokerApi, f: FakeSide = {}): ApiBroker & { priceAsked: number } {
  const ready = f.ready ?? true;
  const fake = {
    api,
    priceAsked: 0,
    isReady: () => ready,
    assertReady: () => {
      if (!ready)
        throw new AppError(ErrorCode.SESSION_NOT_READY, `${api} not ready`, { api, state: "CONNECTING" });
    },
    lastPrice: async () => {
      fake.priceAsked++;
      if (f.price === "throws") throw new Error("market data down");
      return f.price ?? null;
    },
    canChange: f.canChange,
  };
  return fake as unknown as ApiBroker & { priceAsked: number };
}

const order = (source: BrokerApi) => ({ id: "1", source }) as Order;

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
}

describe("routing a new order", () => {
  it("goes through `via` when given, answering its state when it is not ready or not configured", () => {
    const tws = side(BrokerApi.TWS);
    const cp = side(BrokerApi.CLIENT_PORTAL, { ready: false });
    assert.equal(route({ tws, cp }, BrokerApi.TWS), tws);
    assert.equal(
      codeOf(() => route({ tws, cp }, BrokerApi.CLIENT_PORTAL)),
      "SESSION_NOT_READY",
    );
    assert.equal(
      codeOf(() => route({ tws }, BrokerApi.CLIENT_PORTAL)),
      "BROKER_UNAVAILABLE",
    );
  });

  it("prefers TWS when ready, else Client Portal, else answers TWS's state", () => {
    const cp = side(BrokerApi.CLIENT_PORTAL);
    assert.equal(route({ tws: side(BrokerApi.TWS), cp }, null).api, BrokerApi.TWS);
    assert.equal(route({ tws: side(BrokerApi.TWS, { ready: false }), cp }, null), cp);
    const down = {
      tws: side(BrokerApi.TWS, { ready: false }),
      cp: side(BrokerApi.CLIENT_PORTAL, { ready: false }),
    };
    assert.equal(
      codeOf(() => route(down, null)),
      "SESSION_NOT_READY",
    );
    assert.equal(
      codeOf(() => route({}, null)),
      "BROKER_UNAVAILABLE",
    );
    assert.deepEqual(
      sidesOf({ cp, tws: side(BrokerApi.TWS) }).map((s) => s.api),
      [BrokerApi.TWS, BrokerApi.CLIENT_PORTAL],
    );
  });
});

describe("routing a change to an existing order", () => {
  it("uses the placing API, else another ready one that may change it", () => {
    const tws = side(BrokerApi.TWS, { canChange: (o) => o.source === BrokerApi.TWS });
    const cp = side(BrokerApi.CLIENT_PORTAL);
    assert.equal(routeExisting({ tws, cp }, order(BrokerApi.TWS)), tws);
    // TWS may not change an order another client entered, even though it is ready.
    assert.equal(routeExisting({ tws, cp }, order(BrokerApi.CLIENT_PORTAL)), cp);
    const twsDown = side(BrokerApi.TWS, { ready: false });
    assert.equal(routeExisting({ tws: twsDown, cp }, order(BrokerApi.TWS)), cp);
  });

  it("answers the state of the API that could do it when none is ready", () => {
    const tws = side(BrokerApi.TWS, { ready: false });
    const cp = side(BrokerApi.CLIENT_PORTAL, { ready: false });
    assert.equal(
      codeOf(() => routeExisting({ tws, cp }, order(BrokerApi.CLIENT_PORTAL))),
      "SESSION_NOT_READY",
    );
  });
});

describe("the market price for the notional limit", () => {
  it("asks the order's API first and stops at the first sane price", async () => {
    const tws = side(BrokerApi.TWS, { price: 190 });
    const cp = side(BrokerApi.CLIENT_PORTAL, { price: 200 });
    assert.equal(await marketPrice({ tws, cp }, tws, 1), 190);
    assert.equal(cp.priceAsked, 0);
  });

  it("falls back to another ready API when the first knows none (TWS knows only held positions)", async () => {
    for (const price of [null, 0, "throws"] as const) {
      const tws = side(BrokerApi.TWS, { price });
      const cp = side(BrokerApi.CLIENT_PORTAL, { price: 189.91 });
      assert.equal(await marketPrice({ tws, cp }, tws, 1), 189.91, String(price));
    }
    const cpDown = side(BrokerApi.CLIENT_PORTAL, { price: 189.91, ready: false });
    assert.equal(await marketPrice({ tws: side(BrokerApi.TWS), cp: cpDown }, side(BrokerApi.TWS), 1), null);
    assert.equal(cpDown.priceAsked, 0);
  });
});
