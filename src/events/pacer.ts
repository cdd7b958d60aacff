/**
 * Shares the event loop between subscribers: at most `perTurn` deliveries run between two turns of the
 * loop, the rest wait for the next turn (`setImmediate`, after pending I/O). A replay of thousands of events
 * to thousands of subscriptions then takes many short turns instead of one long one, so `/livez`, other
 * clients and the gateways' sockets are served in between.
 */
export class Pacer {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly perTurn = 64) {}

  /** Resolves when this delivery may run; undefined when it may run at once (no extra microtask). */
  turn(): Promise<void> | undefined {
    if (this.used < this.perTurn && this.waiting.length === 0) {
      this.used++;
      this.schedule();
      return undefined;
    }
    const p = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.schedule();
    return p;
  }

  get pending(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.waiting.splice(0, this.perTurn);
      this.used = batch.length;
      for (const resolve of batch) resolve();
      if (this.used > 0 || this.waiting.length > 0) this.schedule();
    });
  }
}
