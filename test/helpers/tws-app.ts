import { DEFAULT_GUARDS } from "./memory-app";
import { createBrokerService, type BrokerService } from "../../src/brokers";
import { createFileIdempotencyStore } from "../../src/brokers/file-idempotency-store";
import { createTwsBroker, type TwsBrokerOptions } from "../../src/brokers/tws";
import { silentLogger } from "../../src/logger";
import { startServer, type RunningServer } from "../../src/server";
import { fastTwsOptions, type SimPair } from "./tws-harness";

export interface TwsApp {
  server: RunningServer;
  broker: BrokerService;
  /** Resolves right after the next graphql-ws operation has been registered by the server. */
  subscribed: () => Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real server on port 0 over the TWS simulator, with the durable idempotency store in `dataDir`: the
 * composition the product uses, with short intervals.
 */
export async function startTwsApp(
  pair: SimPair,
  dataDir: string,
  over: Partial<TwsBrokerOptions> = {},
): Promise<TwsApp> {
  const broker = createBrokerService({
    simulated: true,
    logger: silentLogger(),
    orderEventBuffer: 1000,
    idempotency: await createFileIdempotencyStore(dataDir),
    guards: DEFAULT_GUARDS,
    tws: (sink) => createTwsBroker(fastTwsOptions(pair.sim, over), sink),
  });
  await broker.start();
  let waiters: (() => void)[] = [];
  const server = await startServer({
    broker,
    logger: silentLogger(),
    port: 0,
    onSubscribe: () => {
      const w = waiters;
      waiters = [];
      // The server registers the subscriber right after this hook, on the same turn.
      for (const f of w) setImmediate(f);
    },
  });
  return {
    server,
    broker,
    subscribed: () => new Promise<void>((resolve) => waiters.push(resolve)),
    stop: () => server.stop(),
  };
}
