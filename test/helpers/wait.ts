/**
 * The tests' only waits. Each takes what is awaited first (it names the failure), then the thing to wait on,
 * then a deadline: a test that waits never sleeps and never hangs.
 */

/** The deadline a wait gets when the caller names none. */
export const WAIT_MS = 5_000;

/**
 * Polls `check` every `everyMs` until it returns a value other than undefined, null or false, and resolves with
 * that value; rejects naming `what` once `timeoutMs` have passed. An exception from `check` fails at once.
 * (Where `false` is an answer rather than "not yet", return `{ value }` and unwrap it.)
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = WAIT_MS,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Resolves as `promise` does (an event, e.g. `once(child, "exit")`), or rejects naming `what` once `timeoutMs`
 * have passed. The timer is cleared either way, so a passing test leaves nothing behind.
 */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
