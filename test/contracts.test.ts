import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Json } from "./helpers/cp-sim-client";
import { codesOf, eventually, startSimApp, type SimApp } from "./helpers/sim-app";

const ACCT = "DU1234567";
const AAPL = 265598;

const FIELDS = `conid symbol secType exchange currency lastTradeDate strike right multiplier tradingClass localSymbol
  description underlyingConid`;
const CONTRACT = `query C($i: ContractInput!, $via: BrokerApi) { contract(input: $i, via: $via) { ${FIELDS} } }`;
const SEARCH = `query S($s: String!, $t: SecType, $via: BrokerApi) {
  searchContracts(symbol: $s, secType: $t, via: $via) { ${FIELDS} } }`;
const CHAIN = `query O($u: ContractInput!, $via: BrokerApi) {
  optionChain(underlying: $u, via: $via) { underlying { conid symbol } exchange tradingClass multiplier expirations strikes } }`;
const PLACE = `mutation P($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id status contract { conid secType } } confirmation { replyId } } }`;
const CONFIRM = `mutation R($r: ID!) { confirmOrder(replyId: $r, confirmed: true) {
  order { id status contract { conid secType } } confirmation { replyId } } }`;
const POSITIONS = `{ positions { quantity contract { conid secType strike right multiplier } } }`;
const ORDER = `query Q($id: ID!) { order(id: $id) { id status averageFillPrice filledQuantity contract { conid } } }`;

/** `f` run once, by whichever caller comes first; a failure is not kept, so the next caller tries again. */
function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () =>
    (p ??= f().catch((e: unknown) => {
      p = undefined;
      throw e;
    }));
}

/**
 * Contract resolution through GraphQL over real sockets, once through TWS (reqContractDetails, reqSecDefOptParams)
 * and once through Client Portal (secdef search/strikes/info, trsrv/futures), over one simulated brokerage: both
 * must name the same conids.
 */
describe("contracts: options, futures and chains through both APIs", () => {
  let s: SimApp;

  /**
   * What several tests need (the chain, the option's and the front month's conids), looked up by the first test
   * that asks rather than left behind by an earlier test, so each test passes alone and in any order.
   */
  const lookups = (via: "TWS" | "CLIENT_PORTAL") => {
    const contract = (i: Json) => s.op(CONTRACT, { i, via });
    return {
      chain: once(async (): Promise<Json> => {
        const r = await s.op(CHAIN, { u: { symbol: "AAPL" }, via });
        assert.deepEqual(r.errors, undefined);
        const smart = (r.data.optionChain as Json[]).find((c) => c.exchange === "SMART");
        assert.ok(smart, "a SMART chain");
        return smart;
      }),
      option: once(async (): Promise<number> => {
        const expiry = (await looked[via].chain()).expirations[1];
        const r = await contract({
          symbol: "AAPL",
          secType: "OPT",
          lastTradeDate: expiry,
          strike: 190,
          right: "CALL",
        });
        assert.deepEqual(r.errors, undefined);
        return r.data.contract.conid as number;
      }),
      front: once(async (): Promise<number> => {
        const r = await contract({ symbol: "ES", secType: "FUT" });
        assert.deepEqual(r.errors, undefined);
        return r.data.contract.conid as number;
      }),
    };
  };
  const looked = { TWS: lookups("TWS"), CLIENT_PORTAL: lookups("CLIENT_PORTAL") };

  before(async () => {
    s = await startSimApp();
    await eventually(
      "both APIs ready",
      async () => (await s.op(`{ session { ready } }`)).data?.session?.ready,
    );
  });
  after(() => s?.stop());

  for (const via of ["TWS", "CLIENT_PORTAL"] as const) {
    describe(`via ${via}`, () => {
      const contract = (i: Json) => s.op(CONTRACT, { i, via });

      it("searchContracts lists the stock and the futures months", async () => {
        const stk = await s.op(SEARCH, { s: "AAPL", via });
        assert.deepEqual(stk.errors, undefined);
        assert.ok(stk.data.searchContracts.some((c: Json) => c.conid === AAPL && c.secType === "STK"));
        const fut = await s.op(SEARCH, { s: "ES", t: "FUT", via });
        assert.deepEqual(fut.errors, undefined);
        const months = fut.data.searchContracts as Json[];
        assert.ok(months.length >= 2, `ES months: ${months.length}`);
        for (const m of months) {
          assert.equal(m.secType, "FUT");
          assert.equal(m.multiplier, 50);
          assert.match(m.localSymbol, /^ES[HMUZ]\d$/);
        }
      });

      it("contract resolves a stock by symbol", async () => {
        const r = await contract({ symbol: "AAPL" });
        assert.deepEqual(r.errors, undefined);
        assert.equal(r.data.contract.conid, AAPL);
        assert.equal(r.data.contract.secType, "STK");
      });

      it("optionChain for AAPL: several expirations, strikes around the price", async () => {
        const r = await s.op(CHAIN, { u: { symbol: "AAPL" }, via });
        assert.deepEqual(r.errors, undefined);
        const chain = (r.data.optionChain as Json[]).find((c) => c.exchange === "SMART");
        assert.ok(chain, "a SMART chain");
        assert.equal(chain.underlying.conid, AAPL);
        assert.equal(chain.tradingClass, "AAPL");
        assert.equal(chain.multiplier, 100);
        assert.ok(chain.expirations.length >= 2, `expirations: ${chain.expirations.length}`);
        for (const e of chain.expirations) assert.match(e, /^\d{8}$/);
        assert.deepEqual([...chain.expirations].sort(), chain.expirations);
        assert.ok(chain.strikes.includes(190), "the at-the-money strike");
        assert.ok(chain.strikes[0] < 190 && chain.strikes.at(-1) > 190);
        assert.ok(chain.strikes.includes(192.5), "2.5 increments");
      });

      it("contract resolves an option by symbol, expiry, strike and right", async () => {
        const expiry = (await looked[via].chain()).expirations[1];
        const r = await contract({
          symbol: "AAPL",
          secType: "OPT",
          lastTradeDate: expiry,
          strike: 190,
          right: "CALL",
        });
        assert.deepEqual(r.errors, undefined);
        const c = r.data.contract;
        assert.equal(c.secType, "OPT");
        assert.equal(c.symbol, "AAPL");
        assert.equal(c.lastTradeDate, expiry);
        assert.equal(c.strike, 190);
        assert.equal(c.right, "CALL");
        assert.equal(c.multiplier, 100);
        assert.equal(c.tradingClass, "AAPL");
        assert.equal(c.localSymbol, `AAPL  ${expiry.slice(2)}C00190000`);
        assert.equal(c.underlyingConid, AAPL);
        // The OCC symbol alone (padded or not) names the same option.
        for (const localSymbol of [c.localSymbol, c.localSymbol.replace(/ /g, "")]) {
          const byOcc = await contract({ secType: "OPT", localSymbol });
          assert.deepEqual(byOcc.errors, undefined, localSymbol);
          assert.equal(byOcc.data.contract.conid, c.conid);
        }
      });

      it("contract resolves a future by month, and the front month without one", async () => {
        const months = (await s.op(SEARCH, { s: "ES", t: "FUT", via })).data.searchContracts as Json[];
        const sorted = [...months].sort((a, b) => a.lastTradeDate.localeCompare(b.lastTradeDate));
        const second = sorted[1]!;
        const byMonth = await contract({
          symbol: "ES",
          secType: "FUT",
          lastTradeDate: second.lastTradeDate.slice(0, 6),
        });
        assert.deepEqual(byMonth.errors, undefined);
        assert.equal(byMonth.data.contract.conid, second.conid);
        assert.equal(byMonth.data.contract.multiplier, 50);
        const front = await contract({ symbol: "ES", secType: "FUT" });
        assert.deepEqual(front.errors, undefined);
        assert.equal(front.data.contract.conid, sorted[0]!.conid, "the nearest month");
      });

      it("an option month with several expiries is AMBIGUOUS_CONTRACT with the candidates", async () => {
        const chain = await looked[via].chain();
        // The month with the most listed expiries (every month in the horizon has weeklies).
        const byMonth = new Map<string, number>();
        for (const e of chain.expirations as string[])
          byMonth.set(e.slice(0, 6), (byMonth.get(e.slice(0, 6)) ?? 0) + 1);
        const month = [...byMonth].sort((a, b) => b[1] - a[1])[0]![0];
        const r = await contract({
          symbol: "AAPL",
          secType: "OPT",
          lastTradeDate: month,
          strike: 190,
          right: "PUT",
        });
        assert.deepEqual(codesOf(r), ["AMBIGUOUS_CONTRACT"]);
        const candidates = r.errors![0]!.extensions!.candidates as Json[];
        assert.equal(candidates.length, byMonth.get(month));
        for (const c of candidates) {
          assert.equal(c.strike, 190);
          assert.equal(c.right, "PUT");
          assert.ok(c.lastTradeDate.startsWith(month));
        }
      });

      it("a strike not in the chain is NOT_FOUND", async () => {
        const chain = await looked[via].chain();
        const r = await contract({
          symbol: "AAPL",
          secType: "OPT",
          lastTradeDate: chain.expirations[0],
          strike: 191.25,
          right: "CALL",
        });
        assert.deepEqual(codesOf(r), ["NOT_FOUND"]);
      });

      it("bad input is refused before anything is sent", async () => {
        // The chain first (and with it, through TWS, contract requests to count), then the counts.
        const chain = await looked[via].chain();
        const before = (await s.requests()).length;
        /** reqContractDetails (9) and reqSecDefOptParams (78) the TWS simulator received from every client. */
        const twsContractRequests = (): number =>
          s.app
            .simulators!.tws.clients()
            .reduce((n, c) => n + (c.requestCounts[9] ?? 0) + (c.requestCounts[78] ?? 0), 0);
        const twsBefore = twsContractRequests();
        if (via === "TWS") assert.ok(twsBefore > 0, "the log counts the contract requests made so far");
        const bad: Json[] = [
          { symbol: "AAPL", secType: "OPT", lastTradeDate: "20261345", strike: 190, right: "CALL" },
          { symbol: "AAPL", secType: "OPT", lastTradeDate: "tomorrow", strike: 190, right: "CALL" },
          { symbol: "AAPL", secType: "OPT", lastTradeDate: chain.expirations[0], strike: 0, right: "CALL" },
          { symbol: "AAPL", secType: "OPT", lastTradeDate: chain.expirations[0], strike: -5, right: "CALL" },
          { symbol: "AAPL", secType: "OPT", lastTradeDate: chain.expirations[0], right: "CALL" },
          { symbol: "AAPL", secType: "OPT", strike: 190, right: "CALL" },
        ];
        for (const i of bad)
          assert.deepEqual(codesOf(await contract(i)), ["BAD_USER_INPUT"], JSON.stringify(i));
        assert.equal(twsContractRequests(), twsBefore, "no contract request reached the TWS simulator");
        // The Client Portal simulator's request log shows no contract request went out either (background polling
        // of orders and the session goes on).
        const sent = (await s.requests()).slice(before).filter((e) => /secdef|trsrv|contract/.test(e.path));
        assert.deepEqual(
          sent.map((e) => e.path),
          [],
        );
      });

      it("a LIMIT order on an option given by symbol/expiry/strike/right fills at its price", async () => {
        const expiry = (await looked[via].chain()).expirations[1];
        const option = await looked[via].option();
        const b = s.app.simulators!.brokerage;
        const quote = b.quote(option)!;
        assert.ok(quote.ask > 0.5, `option ask ${quote.ask}`);
        const model = b.optionQuote(option)!;
        assert.ok(Math.abs(model.price - quote.last) < 0.011, "quoted at the model price");
        assert.ok(model.delta > 0.3 && model.delta < 0.7, `ATM call delta ${model.delta}`);
        let r = await s.op(PLACE, {
          i: {
            accountId: ACCT,
            contract: { symbol: "AAPL", secType: "OPT", lastTradeDate: expiry, strike: 190, right: "CALL" },
            side: "BUY",
            type: "LIMIT",
            quantity: 1,
            limitPrice: Number((quote.ask + 0.05).toFixed(2)),
            clientOrderId: `opt-${via}`,
            via,
          },
        });
        assert.deepEqual(r.errors, undefined);
        let payload = r.data.placeOrder;
        while (payload.confirmation) {
          r = await s.op(CONFIRM, { r: payload.confirmation.replyId });
          assert.deepEqual(r.errors, undefined);
          payload = r.data.confirmOrder;
        }
        assert.equal(payload.order.contract.conid, option);
        const filled = await eventually("the option order to fill", async () => {
          const o = (await s.op(ORDER, { id: payload.order.id })).data?.order;
          return o?.status === "FILLED" ? o : undefined;
        });
        assert.equal(filled.filledQuantity, 1);
        assert.ok(filled.averageFillPrice <= quote.ask + 0.05 && filled.averageFillPrice >= quote.bid);
        const book = (await s.simOrders()).find((o) => o.clientOrderId === `opt-${via}`);
        assert.equal(book?.conid, option);
        // The position reads back as the option it is.
        const held = await eventually("the option position", async () =>
          ((await s.op(POSITIONS)).data?.positions as Json[] | undefined)?.find(
            (p) => p.contract.conid === option && p.quantity > 0,
          ),
        );
        assert.deepEqual(
          [held.contract.secType, held.contract.strike, held.contract.right, held.contract.multiplier],
          ["OPT", 190, "CALL", 100],
        );
      });

      it("an order on a future given by symbol alone goes to the front month", async () => {
        const front = await looked[via].front();
        const last = s.app.simulators!.brokerage.quote(front)!.last;
        let r = await s.op(PLACE, {
          i: {
            accountId: ACCT,
            contract: { symbol: "ES", secType: "FUT" },
            side: "BUY",
            type: "LIMIT",
            quantity: 1,
            // Resting well below the market: the point is the conid it names.
            limitPrice: Math.round(last * 0.9),
            clientOrderId: `fut-${via}`,
            via,
          },
        });
        assert.deepEqual(r.errors, undefined);
        let payload = r.data.placeOrder;
        while (payload.confirmation) {
          r = await s.op(CONFIRM, { r: payload.confirmation.replyId });
          payload = r.data.confirmOrder;
        }
        assert.equal(payload.order.contract.conid, front);
        assert.equal(payload.order.contract.secType, "FUT");
        const book = await eventually("the future order in the book", async () =>
          (await s.simOrders()).find((o) => o.clientOrderId === `fut-${via}`),
        );
        assert.equal(book.conid, front);
        const cancel = await s.op(`mutation X($id: ID!) { cancelOrder(id: $id) { id } }`, {
          id: payload.order.id,
        });
        assert.deepEqual(cancel.errors, undefined);
      });
    });
  }

  it("both APIs name the same option and front-month future", async () => {
    assert.equal(await looked.TWS.option(), await looked.CLIENT_PORTAL.option());
    assert.equal(await looked.TWS.front(), await looked.CLIENT_PORTAL.front());
  });
});
