import { EventEmitter } from "node:events";
import type { SimBrokerageEvents, SimEventName } from "./brokerage.types";

/** The book's event queue and timers: what `whenIdle` waits for. */
export interface BookEvents {
  emit<K extends SimEventName>(name: K, payload: SimBrokerageEvents[K]): void;
  on<K extends SimEventName>(event: K, listener: (payload: SimBrokerageEvents[K]) => void): () => void;
  /** Runs `fn` after `delayMs`; an `owner` (an order) can later cancel its own timers. */
  schedule(delayMs: number, fn: () => void, owner?: { timers: Set<NodeJS.Timeout> }): void;
  cancelTimersOf(owner: { timers: Set<NodeJS.Timeout> }): void;
  clearTimers(): void;
  /** Drops events queued but not yet delivered (reset). */
  dropQueued(): void;
  checkIdle(): void;
  whenIdle(): Promise<void>;
}

export function createBookEvents(): BookEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const timers = new Set<NodeJS.Timeout>();
  // Events are queued and delivered on a later turn, in order: callers of placeOrder etc. get their answer
  // before any listener hears about it, as with the real gateways.
  const queue: { name: SimEventName; payload: unknown }[] = [];
  let flushScheduled = false;
  let idleWaiters: (() => void)[] = [];

  function flush(): void {
    flushScheduled = false;
    while (queue.length > 0) {
      const item = queue.shift()!;
      for (const listener of emitter.listeners(item.name)) {
        try {
          (listener as (p: unknown) => void)(item.payload);
        } catch (err) {
          process.emitWarning(`simulated brokerage: a ${item.name} listener threw: ${String(err)}`);
        }
      }
    }
    checkIdle();
  }

  function checkIdle(): void {
    if (queue.length > 0 || flushScheduled || timers.size > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  return {
    emit(name, payload) {
      queue.push({ name, payload });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    on(event, listener) {
      emitter.on(event, listener);
      return () => {
        emitter.off(event, listener);
      };
    },
    schedule(delayMs, fn, owner) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        owner?.timers.delete(timer);
        fn();
        checkIdle();
      }, delayMs);
      timers.add(timer);
      owner?.timers.add(timer);
    },
    cancelTimersOf(owner) {
      for (const t of owner.timers) {
        clearTimeout(t);
        timers.delete(t);
      }
      owner.timers.clear();
    },
    clearTimers() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    dropQueued() {
      queue.length = 0;
    },
    checkIdle,
    whenIdle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        // Defer the check so that events queued by the caller's own synchronous calls are delivered first.
        setImmediate(checkIdle);
      });
    },
  };
}
