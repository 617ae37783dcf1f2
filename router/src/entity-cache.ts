import { createHash } from 'node:crypto';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { CACHE_POLICY_HEADER, connectRedis, ENTITY_CHANGED_CHANNEL, type EntityChangedMessage, type Logger, publicMaxAge, type Redis } from '@shopgraph/kit';
import { z } from 'zod';
import type { RouterContext } from './router.ts';
import type { SubgraphResponse } from './subgraph-resilience.ts';

/**
 * The router's entity cache, in Redis (shared by every router replica), for public, viewer-independent data.
 *
 * What is cached: each entity of an `_entities` fetch on its own, keyed by subgraph + type + representation
 * (its key fields and the `@requires` fields it was sent with) + a hash of the fetch's operation (the
 * selection) and its other variables. A fetch whose entities are all fresh in the cache never reaches the
 * subgraph; otherwise only the missing ones are asked for. Root fields, mutations and anything else are never
 * cached.
 *
 * How long: the subgraph says so. Its `@cacheControl` hints give each answer an overall policy (Apollo Server's
 * cache control, sent to the router in `x-shopgraph-cache-policy`); only `public` answers with a max-age are
 * stored, for that long. Any field or composite type without a hint, and any PRIVATE hint, makes the answer
 * uncacheable, so a viewer-dependent answer (orders, payments, admin-only fields) is never shared.
 *
 * Stale-if-error: entries are kept `ENTITY_CACHE_STALE_SECONDS` past their max-age. When the subgraph is
 * unavailable (refused, timed out, 5xx, circuit open), the last known value is served and the response says so
 * in `extensions.staleData: [{ subgraph, ageSeconds }]`. Entities with no value at all get null and a
 * SERVICE_UNAVAILABLE error.
 *
 * Invalidation: owners that publish change events have their entities dropped at once
 * ({@link EntityCache.invalidate}, e.g. pricing's price changes); the others age out with their max-age.
 * Redis being down only turns the cache off: every operation has a short timeout and errors are ignored.
 */
export const entityCacheEnvShape = {
  /** The entity cache (needs REDIS_URL). */
  ENTITY_CACHE: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(true),
  /** How long past its max-age an entry is kept to be served when its subgraph is unavailable. */
  ENTITY_CACHE_STALE_SECONDS: z.coerce.number().int().nonnegative().default(86_400),
};

interface Entry {
  /** The entity as the subgraph answered it. */
  v: unknown;
  /** Stored at (ms since epoch). */
  t: number;
  /** Max-age (s). */
  m: number;
}

type Representation = { __typename?: string; id?: unknown } & Record<string, unknown>;
type ResponseError = NonNullable<SubgraphResponse['errors']>[number];

export interface EntityCache {
  /**
   * Runs one subgraph fetch through the cache: `send` is called for the missing entities only (or not at all);
   * `onUnavailable` tells whether a failure of `send` is an outage (then stale values are served).
   */
  fetch(
    subgraph: string,
    options: GraphQLDataSourceProcessOptions<RouterContext>,
    send: () => Promise<SubgraphResponse>,
    isUnavailable: (error: unknown) => boolean,
  ): Promise<SubgraphResponse>;
  /** Drops every cached entity of `typename` with `id` (in every subgraph and selection). */
  invalidate(typename: string, id: string): Promise<void>;
  /** Adds `extensions.staleData` to responses that were served stale values. */
  plugin: ApolloServerPlugin<RouterContext>;
  close(): Promise<void>;
}

const PREFIX = 'shopgraph:entity-cache';
const sha = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);

/** The entity cache over `redisUrl`, or null when it is off. */
export function createEntityCache(options: { redisUrl: string | undefined; enabled: boolean; staleSeconds: number; logger: Logger; keyPrefix?: string }): EntityCache | null {
  if (!options.enabled || !options.redisUrl) return null;
  const { logger, staleSeconds } = options;
  const prefix = options.keyPrefix ?? PREFIX;
  // No offline queue and a short command timeout: while Redis is away the cache is skipped, never waited for.
  const redis: Redis = connectRedis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250 });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error }, 'entity cache Redis unreachable; serving without the cache until it is back');
    down = true;
  });
  redis.on('ready', () => {
    down = false;
  });
  // Owners announce changed entities on one channel (e.g. pricing, from its outbox): they are dropped at once.
  const subscriber: Redis = connectRedis(options.redisUrl);
  subscriber.on('error', () => undefined);
  subscriber.subscribe(ENTITY_CHANGED_CHANNEL).catch((error: unknown) => logger.warn({ err: error }, 'entity cache cannot hear change events; entries expire with their max-age'));
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const { typename, id } = JSON.parse(message) as EntityChangedMessage;
      if (typeof typename === 'string' && typeof id === 'string') void invalidate(typename, id);
    } catch {
      logger.debug({ message }, 'unreadable entity-changed message');
    }
  });
  const stale = new WeakMap<object, Map<string, number>>();
  const noteStale = (context: object, subgraph: string, ageSeconds: number) => {
    let bySubgraph = stale.get(context);
    if (!bySubgraph) stale.set(context, (bySubgraph = new Map()));
    bySubgraph.set(subgraph, Math.max(bySubgraph.get(subgraph) ?? 0, ageSeconds));
  };
  const indexKey = (typename: string, id: string) => `${prefix}:index:${typename}:${id}`;

  const read = async (keys: string[]): Promise<Array<Entry | null>> => {
    if (redis.status !== 'ready') return keys.map(() => null);
    try {
      return (await redis.mget(...keys)).map((raw) => (raw ? (JSON.parse(raw) as Entry) : null));
    } catch (error) {
      logger.debug({ err: error }, 'entity cache read failed');
      return keys.map(() => null);
    }
  };

  const write = async (items: Array<{ key: string; typename: string; id: string | null; entry: Entry }>): Promise<void> => {
    if (items.length === 0 || redis.status !== 'ready') return;
    const pipeline = redis.pipeline();
    for (const { key, typename, id, entry } of items) {
      const ttl = entry.m + staleSeconds;
      pipeline.set(key, JSON.stringify(entry), 'EX', ttl);
      if (id !== null) {
        pipeline.sadd(indexKey(typename, id), key);
        // The index lives as long as the entry written last: max-ages differ by seconds, the stale window is a day.
        pipeline.expire(indexKey(typename, id), ttl);
      }
    }
    await pipeline.exec().catch((error: unknown) => logger.debug({ err: error }, 'entity cache write failed'));
  };

  async function invalidate(typename: string, id: string): Promise<void> {
    if (redis.status !== 'ready') return;
    try {
      const keys = await redis.smembers(indexKey(typename, id));
      await redis.del(indexKey(typename, id), ...keys);
    } catch (error) {
      logger.warn({ err: error, typename, id }, 'entity cache invalidation failed; the entries expire with their max-age');
    }
  }

  return {
    async fetch(subgraph, options, send, isUnavailable) {
      const { request, context } = options;
      const variables = request.variables ?? {};
      const representations = variables.representations as Representation[] | undefined;
      // Only `_entities` queries: the representations say which entities, the operation which fields.
      if (!Array.isArray(representations) || representations.length === 0 || !/^\s*query\b/.test(request.query ?? '') || redis.status !== 'ready') return send();
      const { representations: _r, ...rest } = variables;
      const selection = sha(`${request.query}\n${JSON.stringify(rest)}`);
      const keys = representations.map((rep) => `${prefix}:${subgraph}:${rep.__typename ?? '?'}:${sha(JSON.stringify(rep))}:${selection}`);
      const cached = await read(keys);
      const now = Date.now();
      const fresh = (entry: Entry | null): entry is Entry => entry !== null && now - entry.t < entry.m * 1000;
      const missing = representations.flatMap((_, i) => (fresh(cached[i]!) ? [] : [i]));
      const entities: unknown[] = cached.map((entry) => (fresh(entry) ? entry.v : null));
      if (missing.length === 0) return { data: { _entities: entities } } as SubgraphResponse;

      request.variables = { ...variables, representations: missing.map((i) => representations[i]) };
      let response: SubgraphResponse;
      try {
        response = await send();
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        // Stale-if-error: the last known value of each missing entity, if there is one.
        let oldest = 0;
        const errors: ResponseError[] = [];
        for (const i of missing) {
          const entry = cached[i];
          if (entry) {
            entities[i] = entry.v;
            oldest = Math.max(oldest, Math.round((now - entry.t) / 1000));
          } else {
            errors.push({ message: 'A service this request needs is unavailable; retry shortly', path: ['_entities', i], extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true } } as unknown as ResponseError);
          }
        }
        // Nothing to serve: the caller reports the outage as it would without a cache.
        if (errors.length === representations.length) throw error;
        if (errors.length < missing.length) noteStale(context as object, subgraph, oldest);
        logger.warn({ subgraph, entities: missing.length - errors.length, ageSeconds: oldest }, 'subgraph unavailable; serving stale cached entities');
        return { data: { _entities: entities }, ...(errors.length ? { errors } : {}) } as SubgraphResponse;
      }

      const received = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
      if (!Array.isArray(received) || received.length !== missing.length) return response;
      // Entities with an error anywhere in them are neither cached nor renumbered wrongly.
      const failed = new Set<number>();
      const errors = (response.errors ?? []).map((error) => {
        const path = error.path;
        if (!path || path[0] !== '_entities' || typeof path[1] !== 'number') return error;
        failed.add(path[1]);
        return { ...error, path: ['_entities', missing[path[1]]!, ...path.slice(2)] } as ResponseError;
      });
      const maxAge = publicMaxAge(response.http?.headers.get(CACHE_POLICY_HEADER));
      const store: Array<{ key: string; typename: string; id: string | null; entry: Entry }> = [];
      received.forEach((entity, j) => {
        const i = missing[j]!;
        entities[i] = entity;
        if (maxAge === null || failed.has(j) || entity === null) return;
        const rep = representations[i]!;
        store.push({ key: keys[i]!, typename: String(rep.__typename), id: typeof rep.id === 'string' ? rep.id : null, entry: { v: entity, t: now, m: maxAge } });
      });
      // Not awaited by the client: the answer is ready.
      void write(store);
      return { ...response, data: { ...response.data, _entities: entities }, ...(errors.length ? { errors } : {}) } as SubgraphResponse;
    },

    invalidate,

    plugin: {
      async requestDidStart() {
        return {
          async willSendResponse({ contextValue, response }) {
            const bySubgraph = stale.get(contextValue as object);
            if (!bySubgraph || response.body.kind !== 'single') return;
            const staleData = [...bySubgraph].map(([subgraph, ageSeconds]) => ({ subgraph, ageSeconds }));
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, staleData };
          },
        };
      },
    },

    close: async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
