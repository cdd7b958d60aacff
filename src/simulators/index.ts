import type { Logger } from "../logger";
import { createBrokerage, type Brokerage, type BrokerageOptions } from "./brokerage";
import { persistBrokerage, type BrokeragePersistence, type SnapshotOptions } from "./brokerage/snapshot";
import {
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpSimulator,
} from "./client-portal";
import { startTwsSimulator, type TwsSimulator, type TwsSimulatorOptions } from "./tws";

export interface SimulatorsOptions {
  /** Interface both simulators bind to. @default "127.0.0.1" */
  host?: string;
  /** HTTPS port of the Client Portal Gateway simulator (IB's gateway uses 5000); 0 picks a free one. @default 0 */
  cpPort?: number;
  /** TCP port of the TWS / IB Gateway simulator (TWS paper: 7497, IB Gateway paper: 4002); 0 picks a free one. @default 0 */
  twsPort?: number;
  /** Accounts of the shared book. @default ["DU1234567"] */
  accounts?: string[];
  /** `auto` starts the Client Portal simulator logged in; `manual` waits for a browser login. @default "auto" */
  cpLogin?: "auto" | "manual";
  /** Further options of the shared simulated brokerage (cash, instruments, fill timing, …). */
  brokerage?: Omit<BrokerageOptions, "accounts">;
  /** Further options of the Client Portal simulator. */
  cp?: Omit<
    ClientPortalSimulatorOptions,
    "host" | "port" | "brokerage" | "brokerageOptions" | "login" | "twsControl"
  >;
  /** Further options of the TWS simulator. */
  tws?: Omit<TwsSimulatorOptions, "host" | "port" | "brokerage">;
  /** Passed to both simulators unless their own options name one. @default silent */
  logger?: Logger;
  /**
   * Keep the book in a file in this directory across restarts (snapshot.ts): loaded before the gateways
   * listen, saved on every order change and on stop. A file that cannot be used is a `SnapshotError`.
   * @default not kept (an empty book each start)
   */
  persistence?: Omit<SnapshotOptions, "logger">;
}

/** Both gateways over one simulated book: an order placed through one API is seen through the other. */
export interface Simulators {
  brokerage: Brokerage;
  cp: CpSimulator;
  tws: TwsSimulator;
  /** Present when the book is kept in a file (`persistence`). */
  persistence?: BrokeragePersistence;
  /** Stops both simulators and the book's timers (after saving the book, when it is kept). */
  stop(): Promise<void>;
}

/**
 * Starts the shared simulated brokerage, the TWS simulator and the Client Portal simulator; the Client Portal
 * simulator's `/sim/tws/*` control routes drive the TWS simulator's fault controls.
 */
export async function startSimulators(options: SimulatorsOptions = {}): Promise<Simulators> {
  const host = options.host ?? "127.0.0.1";
  const brokerage = createBrokerage({ ...options.brokerage, accounts: options.accounts ?? ["DU1234567"] });
  let persistence: BrokeragePersistence | undefined;
  let tws: TwsSimulator | undefined;
  try {
    if (options.persistence) {
      persistence = persistBrokerage(brokerage, {
        ...options.persistence,
        logger: options.logger?.child({ component: "sim-snapshot" }),
      });
    }
    // TWS never hands out an order id a client used before, across its restarts too: ids above every
    // restored order's, so a new order cannot be taken for an old one.
    const usedTwsIds = brokerage.listOrders().map((o) => o.twsOrderId ?? 0);
    const firstOrderId = Math.max(options.tws?.firstOrderId ?? 1000, ...usedTwsIds.map((id) => id + 1));
    tws = await startTwsSimulator({
      logger: options.logger,
      ...options.tws,
      firstOrderId,
      brokerage,
      host,
      port: options.twsPort ?? 0,
    });
    const cp = await startClientPortalSimulator({
      logger: options.logger,
      ...options.cp,
      brokerage,
      host,
      port: options.cpPort ?? 0,
      login: options.cpLogin ?? "auto",
      twsControl: tws.control,
    });
    const running = tws;
    let stopped: Promise<void> | undefined;
    return {
      brokerage,
      cp,
      tws: running,
      persistence,
      stop() {
        stopped ??= (async () => {
          await Promise.allSettled([running.stop(), cp.stop()]);
          try {
            await persistence?.close();
          } finally {
            brokerage.close();
          }
        })();
        return stopped;
      },
    };
  } catch (err) {
    await tws?.stop();
    // A start that failed saves nothing: the file keeps the book it had.
    persistence?.abandon();
    brokerage.close();
    throw err;
  }
}

export {
  createBrokerage,
  DEFAULT_INSTRUMENTS,
  type Brokerage,
  type BrokerageOptions,
  type SimInstrument,
  type SimOrder,
} from "./brokerage";
export {
  startClientPortalSimulator,
  RATE_LIMIT_PROFILES,
  type ClientPortalSimulatorOptions,
  type CpRateLimitProfile,
  type CpSimulator,
  type CpSimulatorControl,
} from "./client-portal";
export { SnapshotError, type BrokeragePersistence } from "./brokerage/snapshot";
export { TWS_NOTICE_CODES, type TwsFaultControl } from "./control";
export {
  startTwsSimulator,
  TWS_SERVER_VERSION,
  type TwsClientInfo,
  type TwsSimulator,
  type TwsSimulatorOptions,
} from "./tws";
