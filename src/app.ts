import { createBrokerService } from "./brokers";
import type { Config } from "./config/config";
import type { Logger } from "./logger";
import { Metrics } from "./metrics";
import { startServer, type RunningServer } from "./server";

export interface App {
  server: RunningServer;
  stop(): Promise<void>;
}

/**
 * The composition root: one config in, a running server out. Everything a deployment can vary comes
 * through `config`; tests call this with port 0.
 */
export async function startApp(config: Config, logger: Logger): Promise<App> {
  const metrics: Metrics = new Metrics({ broker: () => broker });
  const broker = createBrokerService({
    hooks: {
      onOrderEvent: (e) => metrics.recordOrderEvent(e),
      onSessionEvent: (e) => metrics.recordSessionEvent(e),
    },
    simulated: config.simulated,
    logger,
    orderEventBuffer: config.orderEventBuffer,
    guards: {
      readOnly: config.readOnly,
      allowLiveTrading: config.allowLiveTrading,
      accounts: config.accounts,
      maxOrderQuantity: config.maxOrderQuantity ?? null,
      maxOrderNotional: config.maxOrderNotional ?? null,
      liveTwsPort: config.twsPort === 7496 || config.twsPort === 4001,
    },
  });
  await broker.start();
  const server = await startServer({
    broker,
    logger,
    host: config.host,
    port: config.port,
    landingPage: config.landingPage,
    auth: { apiToken: config.apiToken, apiReadToken: config.apiReadToken },
    metrics,
  });
  return {
    server,
    stop: () => server.stop(),
  };
}
