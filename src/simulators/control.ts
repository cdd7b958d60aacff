import type { TwsMarketDataRequest } from "./tws/tws-market-data";

/**
 * Fault controls of the TWS simulator, reachable through the Client Portal simulator's `/sim/tws/*` control
 * API so that one HTTP endpoint drives both simulators.
 */
export interface TwsFaultControl {
  /** Drops every client connection; with `refuseMs`, also refuses new connections for that long. */
  disconnectAll(options?: { refuseMs?: number }): void;
  /** Zombie mode: connections stay open but the simulator stops answering. `false` undoes it. */
  setZombie(enabled: boolean): void;
  /** Sends a system notice (1100, 1101, 1102 or 2110) to every connected client. */
  sendNotice(code: number): void;
  /** What TWS clients asked of market data: every reqMktData (oldest first) and the lines open now. */
  marketData?(): { requests: TwsMarketDataRequest[]; openLines: number };
}

/** The notice codes `sendNotice` accepts. */
export const TWS_NOTICE_CODES: readonly number[] = [1100, 1101, 1102, 2110];
