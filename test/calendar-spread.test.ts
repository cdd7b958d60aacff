/**
 * The calendar-spread trader's story, in GraphQL only, once through each API: AAPL's option chain, the strike nearest
 * the price, the first two expiries at least a week apart, both legs quoted, the calendar placed as one combo (SELL
 * the front, BUY the back) with its limit at the net mid, both leg fills on orderUpdates, both legs in positions,
 * the simulated clock to the next morning, the combo closed, and the realized PnL.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ComboUpdatesDocument,
  ContractDocument,
  OptionChainDocument,
  OptionPositionsDocument,
  PlaceComboDocument,
  QuotesDocument,
  RealizedPnlDocument,
  type BrokerApi,
  type ComboUpdatesSubscription,
} from "./generated/graphql";
import { gqlData, Subscription } from "./helpers/graphql";
import { startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const ACCOUNT = "DU1234567";
const DAY_MS = 24 * 3600_000;
const ymd = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replace(/-/g, "");
const dateOf = (text: string): number =>
  Date.UTC(Number(text.slice(0, 4)), Number(text.slice(4, 6)) - 1, Number(text.slice(6, 8)));
const cents = (x: number): number => Math.round(x * 100) / 100;

type Update = ComboUpdatesSubscription["orderUpdates"];

async function calendarStory(via: BrokerApi): Promise<void> {
  const s: SimApp = await startSimApp();
  const client = s.ws();
  const updates = new Subscription(client, ComboUpdatesDocument, { accountId: ACCOUNT });
  try {
    await eventually("the orderUpdates subscriber", () => s.app.broker.subscriberCounts().orderUpdates === 1);
    const q = <T, V>(doc: Parameters<typeof gqlData<T, V>>[1], vars: V) => gqlData(s.httpUrl, doc, vars);

    // 1. The chain, the strike nearest the price, the first two expiries a week apart.
    const { optionChain } = await q(OptionChainDocument, { underlying: { symbol: "AAPL" }, via });
    const chain = optionChain[0]!;
    const [stock] = (await q(QuotesDocument, { contracts: [{ symbol: "AAPL" }] })).quotes;
    const price = stock!.last!;
    const strike = chain.strikes.reduce((a, b) => (Math.abs(b - price) < Math.abs(a - price) ? b : a));
    // An expiry today would pass before the next morning: the front is the first one after today.
    const today = ymd(Date.now());
    const front = chain.expirations.find((e) => e > today)!;
    const back = chain.expirations.find((e) => dateOf(e) >= dateOf(front) + 7 * DAY_MS)!;
    assert.ok(front && back, `two expiries a week apart in ${chain.expirations.join(",")}`);
    const leg = async (expiry: string) =>
      (
        await q(ContractDocument, {
          input: { symbol: "AAPL", secType: "OPT", lastTradeDate: expiry, strike, right: "CALL" },
          via,
        })
      ).contract;
    const frontLeg = await leg(front);
    const backLeg = await leg(back);

    // 2. Both legs quoted; the net mid of the calendar (a debit: the back month is worth more).
    const netMid = async () => {
      const quotes = (
        await q(QuotesDocument, { contracts: [{ conid: frontLeg.conid }, { conid: backLeg.conid }] })
      ).quotes;
      const mid = (i: number) => (quotes[i]!.bid! + quotes[i]!.ask!) / 2;
      return cents(mid(1) - mid(0));
    };
    const openNet = await netMid();
    assert.ok(openNet > 0, `the calendar costs a debit (net mid ${openNet})`);

    // 3. One combo: SELL the front, BUY the back, limit at the net mid.
    const legs = [
      { contract: { conid: frontLeg.conid }, ratio: 1, side: "SELL" as const },
      { contract: { conid: backLeg.conid }, ratio: 1, side: "BUY" as const },
    ];
    const placed = (
      await q(PlaceComboDocument, {
        input: {
          accountId: ACCOUNT,
          legs,
          side: "BUY",
          type: "LIMIT",
          quantity: 2,
          limitPrice: openNet,
          clientOrderId: `calendar-open-${via}-${process.pid}`,
          via,
        },
      })
    ).placeOrder.order!;
    assert.equal(placed.contract.secType, "BAG");
    assert.equal(placed.source, via);
    assert.deepEqual(
      placed.legs?.map((l) => [l.contract.conid, l.side, l.ratio]),
      [
        [frontLeg.conid, "SELL", 1],
        [backLeg.conid, "BUY", 1],
      ],
    );

    // 4. Both leg fills on orderUpdates, each with its leg's contract and side.
    const fillsOf = async (orderId: string): Promise<Update[]> => {
      const fills: Update[] = [];
      await updates.until((d) => {
        if (d.orderUpdates.order.id === orderId && d.orderUpdates.fill) fills.push(d.orderUpdates);
        return fills.length === 2;
      }, 15_000);
      return fills;
    };
    const openFills = await fillsOf(placed.id);
    assert.deepEqual(
      openFills.map((f) => [f.fill!.contract.conid, f.fill!.side, f.fill!.quantity]).sort(),
      [
        [frontLeg.conid, "SELL", 2],
        [backLeg.conid, "BUY", 2],
      ].sort(),
    );
    const paid = openFills.reduce((sum, f) => sum + (f.fill!.side === "BUY" ? 1 : -1) * f.fill!.price, 0);
    assert.ok(Math.abs(paid - openNet) < 0.011, `filled at the net mid (${paid} vs ${openNet})`);

    // 5. Both legs in positions.
    const positionOf = async (conid: number) =>
      (await q(OptionPositionsDocument, { accountId: ACCOUNT })).positions.find(
        (p) => p.contract.conid === conid,
      );
    await eventually("both legs in positions", async () => {
      const [f, b] = [await positionOf(frontLeg.conid), await positionOf(backLeg.conid)];
      return f?.quantity === -2 && b?.quantity === 2 ? { f, b } : undefined;
    });

    // 6. The next morning (simulated), close the combo at the new net mid.
    const morning = (await s.control("/sim/clock", { advanceTo: "nextOpen" })) as {
      session: string;
      now: string;
    };
    assert.equal(morning.session, "REGULAR");
    const closeNet = await eventually("the legs re-marked for the morning", async () => {
      const n = await netMid();
      return n !== openNet ? { n } : undefined;
    }).then((x) => x.n);
    const closed = (
      await q(PlaceComboDocument, {
        input: {
          accountId: ACCOUNT,
          legs,
          side: "SELL",
          type: "LIMIT",
          quantity: 2,
          limitPrice: closeNet,
          clientOrderId: `calendar-close-${via}-${process.pid}`,
          via,
        },
      })
    ).placeOrder.order!;
    const closeFills = await fillsOf(closed.id);
    assert.deepEqual(
      closeFills.map((f) => [f.fill!.contract.conid, f.fill!.side]).sort(),
      [
        [frontLeg.conid, "BUY"],
        [backLeg.conid, "SELL"],
      ].sort(),
    );
    await eventually(
      "both legs flat",
      async () =>
        !(await positionOf(frontLeg.conid))?.quantity && !(await positionOf(backLeg.conid))?.quantity,
    );

    // 7. The realized PnL: what the net moved overnight, × 100 × 2 combos, less 4 leg commissions of $1.30.
    const expected = (closeNet - openNet) * 100 * 2 - 4 * 1.3;
    const realized = await eventually("the realized PnL", async () => {
      const r = (await q(RealizedPnlDocument, { id: ACCOUNT })).account?.summary?.realizedPnl;
      return r != null && Math.abs(r - expected) < 0.05 ? { r } : undefined;
    });
    console.log(
      `# ${via}: calendar ${frontLeg.localSymbol} / ${backLeg.localSymbol}: opened at ${openNet}, closed at ${closeNet}, realized ${realized.r}`,
    );
  } finally {
    updates.dispose();
    await client.dispose();
    await s.stop();
  }
}

describe("the calendar spread, end to end in GraphQL", () => {
  it("through TWS: chain, quotes, one combo, leg fills, positions, next morning, close, realized PnL", async () => {
    await calendarStory("TWS");
  });

  it("through Client Portal: the same story, the combo placed with IB's conidex spread syntax", async () => {
    await calendarStory("CLIENT_PORTAL");
  });
});
