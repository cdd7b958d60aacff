/**
 * A push-to-pull bridge: producers `push`, one consumer iterates. Bounded, because a subscriber that stops
 * reading must not grow the server's memory; on overflow the iterator fails with `overflowError` and the
 * client resumes with its last sequence.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private waiterReject: ((e: unknown) => void) | undefined;
  private failure: unknown;
  private done = false;

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void = () => {},
    private readonly overflowError: () => Error = () => new Error("subscriber too slow: buffer overflow"),
  ) {}

  push(item: T): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.clearWaiter();
      w({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.capacity) {
      this.fail(this.overflowError());
      return;
    }
    this.items.push(item);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.failure = error;
    this.finish();
    if (this.waiterReject) {
      const r = this.waiterReject;
      this.clearWaiter();
      r(error);
    }
  }

  get size(): number {
    return this.items.length;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.failure !== undefined) {
      const f = this.failure;
      this.failure = undefined;
      return Promise.reject(f);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.waiterReject = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.failure = undefined;
    this.finish();
    if (this.waiter) {
      const w = this.waiter;
      this.clearWaiter();
      w({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.fail(error);
    return this.next();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onClose();
  }

  private clearWaiter(): void {
    this.waiter = undefined;
    this.waiterReject = undefined;
  }
}
