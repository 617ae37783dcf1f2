import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, createLogger, PushStream, RedisPubSub } from '../src/index.ts';
import { testRedisUrl, uniqueName } from '../src/testing/index.ts';

const logger = createLogger('test', 'silent');

describe('PushStream', () => {
  it('delivers pushed values in order, buffering until asked', async () => {
    const stream = new PushStream<number>();
    const waiting = stream.next();
    stream.push(1);
    stream.push(2);
    stream.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await stream.next()).toEqual({ value: 2, done: false });
    expect(await stream.next()).toEqual({ value: 3, done: false });
  });

  it('ends a pending next() at once on return() and releases its source once', async () => {
    let released = 0;
    const stream = new PushStream<number>(() => void (released += 1));
    const pending = stream.next();
    await stream.return();
    await stream.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(released).toBe(1);
    stream.push(4);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('fails a consumer that falls too far behind instead of growing without bound', async () => {
    let released = false;
    const stream = new PushStream<number>(() => void (released = true), 2);
    for (const value of [1, 2, 3]) stream.push(value);
    expect(released).toBe(true);
    expect(await stream.next()).toEqual({ value: 1, done: false });
    expect(await stream.next()).toEqual({ value: 2, done: false });
    await expect(stream.next()).rejects.toThrow(/fell more than 2 events behind/);
  });
});

describe('RedisPubSub', () => {
  const redis = connectRedis(testRedisUrl());
  const publisher = connectRedis(testRedisUrl());
  afterAll(async () => {
    await redis.quit();
    await publisher.quit();
  });
  const subscribers = async (channel: string) => Number(((await publisher.pubsub('NUMSUB', channel)) as [string, number])[1]);

  it('shares one Redis subscription per channel among listeners and drops it with the last one', async () => {
    const pubsub = new RedisPubSub(redis, logger);
    const channel = uniqueName('channel');
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await pubsub.listen(channel, (m) => a.push(m));
    const stopB = await pubsub.listen(channel, (m) => b.push(m));
    expect(await subscribers(channel)).toBe(1);
    expect(pubsub.listenerCount()).toBe(2);

    await publisher.publish(channel, 'one');
    await expect.poll(() => [a.length, b.length]).toEqual([1, 1]);
    await stopA();
    await stopA();
    expect(await subscribers(channel)).toBe(1);
    await publisher.publish(channel, 'two');
    await expect.poll(() => b).toEqual(['one', 'two']);
    expect(a).toEqual(['one']);
    await stopB();
    expect(pubsub.listenerCount()).toBe(0);
    expect(await subscribers(channel)).toBe(0);
    await pubsub.close();
  });
});
