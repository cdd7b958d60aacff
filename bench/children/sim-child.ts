/**
 * The simulators in a process of their own, as a real TWS / Client Portal gateway would be: the order-path
 * figure then measures the server's own work, not the simulator's sharing its event loop.
 */
import "reflect-metadata";
import { serveRpc } from "../lib/child-rpc";
import { seedPositions } from "../lib/system";
import { startSimulators, type Simulators } from "../../src/simulators";

let sims: Simulators | undefined;

serveRpc({
  async start() {
    sims = await startSimulators({ cp: { dailyResetTime: null } });
    await seedPositions(sims.brokerage);
    return { cpUrl: sims.cp.url, caPem: sims.cp.caPem, twsHost: sims.tws.host, twsPort: sims.tws.port };
  },
  async exit() {
    await sims?.stop();
  },
});
