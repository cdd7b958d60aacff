/**
 * IB's historical-data pacing (TWS API, Historical Data Limitations), kept on our side so that IB never
 * answers 162 "pacing violation": at most 60 requests in any 10 minutes, no identical request within 15
 * seconds, at most 6 requests for one contract within 2 seconds. The short rule waits; the long ones answer
 * RATE_LIMITED with the time a retry will pass.
 */
import { AppError, ErrorCode } from "../../errors";

export interface HistoryPacingOptions {
  /** @default 60 */
  maxRequests: number;
  /** @default 600_000 */
  windowMs: number;
  /** @default 15_000 */
  identicalMs: number;
  /** @default 6 */
  perContract: number;
  /** @default 2_000 */
  perContractWindowMs: number;
}

export const DEFAULT_HISTORY_PACING: HistoryPacingOptions = {
  maxRequests: 60,
  windowMs: 600_000,
  identicalMs: 15_000,
  perContract: 6,
  perContractWindowMs: 2_000,
};

export class HistoryPacer {
  private readonly options: HistoryPacingOptions;
  private sent: { at: number; key: string; conid: number }[] = [];

  constructor(
    options: Partial<HistoryPacingOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_HISTORY_PACING, ...options };
  }

  /** Takes a slot for a request, waiting for the per-contract rule; RATE_LIMITED for the others. */
  async acquire(key: string, conid: number): Promise<void> {
    for (;;) {
      const o = this.options;
      const t = this.now();
      this.sent = this.sent.filter((s) => t - s.at < Math.max(o.windowMs, o.identicalMs));
      const inWindow = this.sent.filter((s) => t - s.at < o.windowMs);
      if (inWindow.length >= o.maxRequests) {
        throw this.limited(
          `IB allows ${o.maxRequests} historical-data requests per ${o.windowMs / 60_000} minutes`,
          inWindow[0]!.at + o.windowMs,
        );
      }
      const same = this.sent.filter((s) => s.key === key && t - s.at < o.identicalMs).at(-1);
      if (same) {
        throw this.limited(
          `IB refuses an identical historical-data request within ${o.identicalMs / 1000} seconds`,
          same.at + o.identicalMs,
        );
      }
      const forContract = this.sent.filter((s) => s.conid === conid && t - s.at < o.perContractWindowMs);
      if (forContract.length < o.perContract) {
        this.sent.push({ at: t, key, conid });
        return;
      }
      const waitMs = forContract[0]!.at + o.perContractWindowMs - t;
      await new Promise((r) => setTimeout(r, Math.max(1, waitMs)));
    }
  }

  private limited(rule: string, retryAtMs: number): AppError {
    const retryAt = new Date(retryAtMs).toISOString();
    return new AppError(ErrorCode.RATE_LIMITED, `${rule}; retry at ${retryAt}.`, {
      retryAt,
      retryAfterMs: Math.max(0, retryAtMs - this.now()),
    });
  }
}
