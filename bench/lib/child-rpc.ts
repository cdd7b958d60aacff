import { fork, type ChildProcess } from "node:child_process";

interface Call {
  id: number;
  cmd: string;
  args: unknown;
}

type Reply = { id: number; result?: unknown; error?: string };

/** A message a child sends on its own (not an answer to a call). */
export interface ChildEvent {
  event: string;
  data: unknown;
}

export interface ChildHandle {
  readonly pid: number | undefined;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  onEvent(fn: (e: ChildEvent) => void): void;
  /** Asks the child to exit; kills it if it does not within a few seconds. */
  stop(): Promise<void>;
}

/**
 * Forks a bench child (a compiled script in bench/children) and talks to it with request/answer messages.
 * The child runs `serveRpc(handlers)`.
 */
export function startChild(script: string, execArgv: string[] = []): ChildHandle {
  const child: ChildProcess = fork(script, [], {
    execArgv: [...process.execArgv.filter((a) => a === "--expose-gc"), ...execArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners: ((e: ChildEvent) => void)[] = [];
  let exited = false;
  child.on("message", (msg: Reply | ChildEvent) => {
    if ("event" in msg) {
      for (const l of listeners) l(msg);
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error !== undefined) p.reject(new Error(msg.error));
    else p.resolve(msg.result);
  });
  child.on("exit", (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`bench child exited (${code ?? signal})`));
    pending.clear();
  });
  return {
    pid: child.pid,
    call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error("bench child has exited"));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`bench child did not answer ${cmd} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ id, cmd, args } satisfies Call);
      });
    },
    onEvent(fn) {
      listeners.push(fn);
    },
    stop() {
      if (exited) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ id: 0, cmd: "exit", args: null } satisfies Call);
      });
    },
  };
}

/** Child side: answers calls with `handlers[cmd](args)`; `exit` ends the process. */
export function serveRpc(handlers: Record<string, (args: never) => unknown>): void {
  process.on("message", (msg: Call) => {
    if (msg.cmd === "exit") {
      Promise.resolve(handlers.exit?.(null as never)).finally(() => process.exit(0));
      return;
    }
    const handler = handlers[msg.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${msg.cmd}`);
        return handler(msg.args as never);
      })
      .then(
        (result) => process.send?.({ id: msg.id, result } satisfies Reply),
        (e: unknown) =>
          process.send?.({ id: msg.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
}

/** Child side: an unsolicited message to the parent. */
export function emitEvent(event: string, data: unknown): void {
  process.send?.({ event, data } satisfies ChildEvent);
}
