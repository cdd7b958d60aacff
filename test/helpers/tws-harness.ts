import type { BrokerEventSink, OrderObservation } from "../../src/brokers/api-broker";
import { createTwsBroker, type TwsBrokerOptions } from "../../src/brokers/tws";
import type { BrokerApi, SessionEventType } from "../../src/schema/enums";
import { createBrokerage, type Brokerage, type BrokerageOptions } from "../../src/simulators/brokerage";
import { startTwsSimulator, type TwsSimulator, type TwsSimulatorOptions } from "../../src/simulators/tws";

/** Short intervals so that drops, zombies and retries resolve within a test's few seconds. */
/** TWS adapter timings short enough for tests (app-level: host, port and client id come from the app). */
export const FAST_TWS_TIMINGS = {
  clientIdRange: 3,
  connectTimeoutMs: 1000,
  probeIntervalMs: 300,
  probeTimeoutMs: 400,
  reconnectMinMs: 50,
  reconnectMaxMs: 300,
  ackTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  commissionWaitMs: 200,
  cancelWaitMs: 1000,
  rejectGraceMs: 100,
  pollIntervalMs: 300,
} satisfies Partial<TwsBrokerOptions>;

export function fastTwsOptions(
  sim: { host: string; port: number },
  over: Partial<TwsBrokerOptions> = {},
): TwsBrokerOptions {
  return { host: sim.host, port: sim.port, clientId: 7, ...FAST_TWS_TIMINGS, ...over };
}

/** A BrokerEventSink that records everything and lets a test wait for what it expects. */
export class RecordingSink implements BrokerEventSink {
  readonly orders: OrderObservation[] = [];
  readonly sessions: { api: BrokerApi; type: SessionEventType; message?: string }[] = [];
  private waiters = new Set<() => void>();

  order(observation: OrderObservation): void {
    this.orders.push(observation);
    this.wake();
  }

  session(api: BrokerApi, type: SessionEventType, message?: string): void {
    this.sessions.push({ api, type, message });
    this.wake();
  }

  /** Resolves once `check` holds; rejects with `what` after `timeoutMs`. Re-checked on every event. */
  async until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const w = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(w);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export interface SimPair {
  brokerage: Brokerage;
  sim: TwsSimulator;
  stop(): Promise<void>;
}

/** The shared simulated brokerage and the TWS simulator over it, on a free port. */
export async function startSimPair(
  options: BrokerageOptions = {},
  port = 0,
  simOptions: Partial<TwsSimulatorOptions> = {},
): Promise<SimPair> {
  const brokerage = createBrokerage(options);
  const sim = await startTwsSimulator({ ...simOptions, brokerage, port });
  return {
    brokerage,
    sim,
    async stop() {
      await sim.stop();
      brokerage.close();
    },
  };
}

/** A TWS adapter over the simulator with a recording sink, started. */
export async function startTwsAdapter(pair: SimPair, over: Partial<TwsBrokerOptions> = {}) {
  const sink = new RecordingSink();
  const broker = createTwsBroker(fastTwsOptions(pair.sim, over), sink);
  await broker.start();
  return { broker, sink };
}
