import type { Logger } from './logger.ts';
import type { Redis } from './redis.ts';

/**
 * An async iterator fed by `push`. Unlike an async generator blocked in `for await`, `return()` ends it at
 * once — a pending `next()` resolves as done — and runs `onClose`, so whoever consumes it (graphql-ws, the
 * router) releases upstream resources the moment a client leaves.
 */
export class PushStream<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private readonly waiting: Array<{ resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }> = [];
  private failure: unknown = null;
  private ended = false;

  /** `maxBuffered`: events a slow consumer may fall behind by before the stream fails rather than grow. */
  constructor(
    private readonly onClose: () => void | Promise<void> = () => undefined,
    private readonly maxBuffered = 1_000,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  push(value: T): void {
    if (this.ended) return;
    const waiter = this.waiting.shift();
    if (waiter) return waiter.resolve({ value, done: false });
    if (this.buffer.length >= this.maxBuffered) return this.fail(new Error(`subscriber fell more than ${this.maxBuffered} events behind`));
    this.buffer.push(value);
  }

  /** Ends the stream with an error: buffered values are still delivered first. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    void this.finish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.failure = null;
    for (const waiter of this.waiting.splice(0)) waiter.resolve({ value: undefined, done: true });
    await this.finish();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async finish(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.onClose();
  }
}

/**
 * One Redis subscriber connection per process, shared by every listener: channels are subscribed while at
 * least one listener wants them (so `PUBSUB NUMSUB` shows 1 or 0 per process, whatever the number of
 * live subscriptions), and messages fan out in memory from there.
 */
export class RedisPubSub {
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<(message: string) => void>>();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  /** Listens to `channel` until the returned function is called; resolves once Redis has subscribed. */
  async listen(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.connection();
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(onMessage);
    if (set.size === 1) await subscriber.subscribe(channel);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const current = this.listeners.get(channel);
      if (!current?.delete(onMessage) || current.size > 0) return;
      this.listeners.delete(channel);
      await subscriber.unsubscribe(channel).catch((error: unknown) => this.logger.warn({ err: error, channel }, 'unsubscribe failed'));
    };
  }

  /** Live listeners in this process (for tests and metrics). */
  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.redis.duplicate();
    subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) {
        try {
          listener(message);
        } catch (error) {
          this.logger.error({ err: error, channel }, 'pub/sub listener failed');
        }
      }
    });
    subscriber.on('error', (error: unknown) => this.logger.warn({ err: error }, 'pub/sub connection error'));
    return (this.subscriber = subscriber);
  }
}
