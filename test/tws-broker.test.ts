import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BrokerApi, OrderSide, OrderType, SecType, TimeInForce, TwsState } from "../src/schema/enums";
import { startSimPair, startTwsAdapter, type SimPair } from "./helpers/tws-harness";

describe("TWS adapter over the simulator", () => {
  let pair: SimPair;
  before(async () => {
    pair = await startSimPair({ partialFills: 3, partialFillIntervalMs: 20 });
  });
  after(async () => {
    await pair.stop();
  });

  it("connects, reads, and reports a market order's partial fills with commissions", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair);
    t.after(() => broker.close());
    assert.equal(broker.status().state, TwsState.CONNECTED);
    assert.equal(broker.status().serverVersion, 193);
    const accounts = await broker.listAccounts();
    assert.deepEqual(
      accounts.map((a) => a.id),
      ["DU1234567"],
    );
    const summary = await broker.getAccountSummary("DU1234567");
    assert.ok(summary?.netLiquidation && summary.netLiquidation > 0, JSON.stringify(summary));
    const contract = await broker.resolveContract({ symbol: "AAPL", secType: SecType.STK });
    assert.equal(contract.conid, 265598);
    const out = await broker.placeOrder(
      {
        accountId: "DU1234567",
        contract: { symbol: "AAPL", secType: SecType.STK },
        side: OrderSide.BUY,
        type: OrderType.MARKET,
        quantity: 30,
        limitPrice: null,
        stopPrice: null,
        timeInForce: TimeInForce.DAY,
        clientOrderId: "smoke-1",
      },
      contract,
    );
    assert.ok(out.order);
    assert.equal(out.order.clientOrderId, "smoke-1");
    await sink.until(() => sink.orders.filter((o) => o.fill).length === 3, "3 fills");
    const fills = sink.orders.filter((o) => o.fill);
    assert.deepEqual(
      fills.map((f) => f.order.filledQuantity),
      [10, 20, 30],
    );
    assert.ok(
      fills.every((f) => f.fill!.commission != null),
      JSON.stringify(fills.map((f) => f.fill)),
    );
    const positions = await broker.listPositions();
    const aapl = positions.find((p) => p.contract.conid === 265598);
    assert.equal(aapl?.quantity, 30);
    assert.equal(aapl?.source, BrokerApi.TWS);
    console.log(JSON.stringify(positions), JSON.stringify(sink.sessions));
  });
});
