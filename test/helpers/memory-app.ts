import { createBrokerService, type BrokerService, type TradingGuards } from "../../src/brokers";
import { silentLogger } from "../../src/logger";
import { Metrics } from "../../src/metrics";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server";
import { MemoryTwsBroker } from "./memory-broker";

export const DEFAULT_GUARDS: TradingGuards = {
  readOnly: false,
  allowLiveTrading: false,
  accounts: [],
  maxOrderQuantity: null,
  maxOrderNotional: null,
  liveTwsPort: false,
};

export interface MemoryApp {
  server: RunningServer;
  broker: BrokerService;
  tws: MemoryTwsBroker;
  metrics: Metrics;
  subscribed: () => Promise<void>;
}

/** A real server on port 0 over the in-memory TWS side. */
export async function startMemoryApp(
  guards: Partial<TradingGuards> = {},
  serverOptions: Partial<ServerOptions> = {},
): Promise<MemoryApp> {
  let tws!: MemoryTwsBroker;
  const metrics: Metrics = new Metrics({ broker: () => broker });
  const broker = createBrokerService({
    hooks: {
      onOrderEvent: (e) => metrics.recordOrderEvent(e),
      onSessionEvent: (e) => metrics.recordSessionEvent(e),
    },
    simulated: true,
    logger: silentLogger(),
    orderEventBuffer: 100,
    guards: { ...DEFAULT_GUARDS, ...guards },
    tws: (sink) => (tws = new MemoryTwsBroker(sink)),
  });
  await broker.start();
  let waiters: (() => void)[] = [];
  const server = await startServer({
    broker,
    logger: silentLogger(),
    port: 0,
    metrics,
    onSubscribe: () => {
      const w = waiters;
      waiters = [];
      for (const f of w) setImmediate(f);
    },
    ...serverOptions,
  });
  return {
    server,
    broker,
    tws,
    metrics,
    subscribed: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}
