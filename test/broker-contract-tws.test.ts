/**
 * The broker contract (`broker-contract.ts`) against the TWS adapter over the TWS simulator: both simulators
 * run over one book so that `/sim/orders` counts placements and `/sim/tws/zombie` makes TWS swallow them.
 */
import type { ApiBroker } from "../src/brokers";
import { createTwsBroker } from "../src/brokers/tws";
import {
  bookEntry,
  defineBrokerContract,
  startService,
  tempDataDir,
  type ServiceSide,
} from "./broker-contract";
import { startBookSimulators } from "./helpers/sim-app";
import { fastTwsOptions } from "./helpers/tws-harness";
import { eventually } from "./helpers/wait";

const AAPL = 265598;

defineBrokerContract("TWS adapter over the TWS simulator", async () => {
  const sims = await startBookSimulators();
  const data = await tempDataDir();
  let adapter!: ApiBroker;
  const side: ServiceSide = {
    tws: (sink) => (adapter = createTwsBroker(fastTwsOptions(sims.sims.tws), sink)),
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
    restingBuyLimit: async () => Math.floor(sims.sims.brokerage.quote(AAPL)!.last * 0.9),
    book: async (clientOrderId) => bookEntry(await sims.simOrders(), clientOrderId),
    fillMarketOrder: () => sims.sims.brokerage.whenIdle(),
    swallowedOrderListed: false,
    swallowPlacements: async () => void (await sims.control("/sim/tws/zombie", { enabled: true })),
    heal: async () => void (await sims.control("/sim/tws/zombie", { enabled: false })),
    async dropConnections() {
      await sims.control("/sim/tws/disconnect", { refuseMs: 200 });
      await eventually("the adapter to notice the drop", () => !adapter.isReady());
    },
    async restart(between) {
      await service.close();
      await between?.(data.dir);
      service = await startService(data.dir, side);
    },
    async close() {
      await service.close();
      await sims.stop();
      await data.remove();
    },
  };
});
