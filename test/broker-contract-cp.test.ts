/**
 * The broker contract (`broker-contract.ts`) against the Client Portal adapter over the Client Portal
 * simulator. The adapter reaches the simulator through a hop that can lose the answer to a placement after
 * the gateway took it (a connection dropped after sending), the Client Portal way of an unknown outcome.
 */
import type { ApiBroker } from "../src/brokers";
import { createClientPortalBroker } from "../src/brokers/client-portal";
import {
  bookEntry,
  defineBrokerContract,
  startService,
  tempDataDir,
  type ServiceSide,
} from "./broker-contract";
import { brokerOptions, FAST, ROOMY_GLOBAL, startLossyGateway } from "./helpers/cp-broker-harness";
import { startBookSimulators } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const AAPL = 265598;
/** The longest (scaled) per-endpoint window a starting adapter meets: /iserver/account/orders, 1 per 5 s at IB. */
const ORDERS_WINDOW_MS = FAST.client.find((r) => r.template === "/iserver/account/orders")!.limit.windowMs;

defineBrokerContract("Client Portal adapter over the Client Portal simulator", async () => {
  const sims = await startBookSimulators();
  const hop = await startLossyGateway(sims.sims.cp);
  const data = await tempDataDir();
  let adapter!: ApiBroker;
  const options = { ...brokerOptions(sims.sims.cp, ROOMY_GLOBAL.broker), url: hop.url, caPem: hop.caPem };
  const side: ServiceSide = {
    clientPortal: (sink) => (adapter = createClientPortalBroker(options, sink)),
  };
  let service = await startService(data.dir, side);
  return {
    get service() {
      return service;
    },
    get adapter() {
      return adapter;
    },
    account: "DU1234567",
    contract: { conid: AAPL },
    // Below the market: IB asks (o163) only about a buy limit more than 3 % above it.
    restingBuyLimit: async () => Math.floor(sims.sims.brokerage.quote(AAPL)!.last * 0.9),
    book: async (clientOrderId) => bookEntry(await sims.simOrders(), clientOrderId),
    fillMarketOrder: () => sims.sims.brokerage.whenIdle(),
    swallowedOrderListed: true,
    swallowPlacements: async () => hop.losePlacementAnswers(true),
    heal: async () => hop.losePlacementAnswers(false),
    dropConnections: async () => hop.dropConnections(),
    async restart(between) {
      await service.close();
      await between?.(data.dir);
      // A new adapter starts without the closed one's pacing (it is not persisted), so a restart inside one of
      // IB's per-endpoint windows earns a 429 and the penalty; let the windows of the last requests pass.
      const log = (await sims.cp.get<{ requests: { time: string }[] }>("/sim/requests")).body.requests;
      const last = Date.parse(log.at(-1)?.time ?? new Date(0).toISOString());
      await eventually(
        "the closed adapter's pacing windows to pass",
        () => Date.now() > last + ORDERS_WINDOW_MS + 50,
      );
      service = await startService(data.dir, side);
    },
    async close() {
      await service.close();
      await hop.stop();
      await sims.stop();
      await data.remove();
    },
  };
});
