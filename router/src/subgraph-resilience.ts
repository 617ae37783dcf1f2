import type { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { type BreakerOptions, DependencyBreaker, DependencyUnavailableError, isQueryDocument, isRetryableConnectError, isUnavailableError, type Logger } from '@shopgraph/kit';
import { z } from 'zod';
import type { EntityCache } from './entity-cache.ts';
import type { RouterContext } from './router.ts';

/**
 * What the router does when a subgraph is down, slow or failing:
 * - every subgraph has one circuit breaker (shared by queries, mutations and subscription events), so after a
 *   few consecutive failures its fetches fail at once instead of each waiting for `SUBGRAPH_TIMEOUT_MS`;
 * - a query fetch whose connection was refused or reset is tried once more (mutations never are);
 * - a fetch that fails for any of these reasons becomes a `SERVICE_UNAVAILABLE` error with
 *   `retryable: true` and `retryAfterSeconds` (the rest of the plan still runs: other subgraphs' fields come
 *   back), unless the entity cache has a stale answer to serve instead (entity-cache.ts);
 * - a response with nothing in it but unavailability is HTTP 503 with `Retry-After`.
 */
export const subgraphResilienceEnvShape = {
  /** Consecutive failed fetches (refused, reset, timed out, 5xx) that open a subgraph's circuit. */
  SUBGRAPH_BREAKER_FAILURES: z.coerce.number().int().positive().default(5),
  /** How long an open circuit refuses fetches before it lets one probe through. */
  SUBGRAPH_BREAKER_OPEN_MS: z.coerce.number().int().positive().default(5_000),
};

/** One breaker per subgraph name, created on first use. */
export function subgraphBreakers(env: { SUBGRAPH_BREAKER_FAILURES: number; SUBGRAPH_BREAKER_OPEN_MS: number }): (subgraph: string) => DependencyBreaker {
  const options: BreakerOptions = { failureThreshold: env.SUBGRAPH_BREAKER_FAILURES, halfOpenAfterMs: env.SUBGRAPH_BREAKER_OPEN_MS };
  const breakers = new Map<string, DependencyBreaker>();
  return (subgraph) => {
    let breaker = breakers.get(subgraph);
    if (!breaker) breakers.set(subgraph, (breaker = new DependencyBreaker(subgraph, options)));
    return breaker;
  };
}

/** What a data source's fetch returns (the gateway's `GraphQLResponse`, without importing its internals). */
export type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** Runs one subgraph fetch; a guard wraps `send` (the data source's own process). */
export type FetchGuard = (options: GraphQLDataSourceProcessOptions<RouterContext>, send: () => Promise<SubgraphResponse>) => Promise<SubgraphResponse>;

/**
 * The guard of subgraph `subgraph`: retry once for queries on a refused connection, the entity cache when there
 * is one (fresh entities without a fetch, stale ones when the subgraph is unavailable), and an unavailable
 * subgraph answered as SERVICE_UNAVAILABLE.
 */
export function unavailabilityGuard(subgraph: string, breaker: DependencyBreaker, logger: Logger, cache?: EntityCache | null): FetchGuard {
  return async (options, send) => {
    const attempt = async () => {
      try {
        return await send();
      } catch (error) {
        if (!isQueryDocument(options.request.query ?? '') || !isRetryableConnectError(error) || breaker.isOpen) throw error;
        return send();
      }
    };
    try {
      return cache ? await cache.fetch(subgraph, options, attempt, isUnavailableError) : await attempt();
    } catch (error) {
      if (!isUnavailableError(error)) throw error;
      logger.warn({ err: error, subgraph }, 'subgraph unavailable');
      return {
        errors: [
          {
            // No subgraph name: clients learn nothing about what runs behind the router.
            message: 'A service this request needs is unavailable; retry shortly',
            extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: breaker.retryAfterSeconds() },
          },
        ],
      } as SubgraphResponse;
    }
  };
}

/**
 * HTTP 503 with `Retry-After` when nothing could be served: the response has no data, or only null root fields,
 * and a SERVICE_UNAVAILABLE error says why. A partial response (some fields null) stays 200.
 */
export function unavailableResponsePlugin<TContext extends RouterContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          const unavailable = (errors ?? []).filter((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE');
          if (unavailable.length === 0) return;
          const nothingServed = data == null || Object.values(data).every((value) => value === null);
          if (!nothingServed) return;
          const retryAfter = Math.max(1, ...unavailable.map((e) => Number(e.extensions?.retryAfterSeconds) || 1));
          response.http.status = 503;
          response.http.headers.set('retry-after', String(retryAfter));
        },
      };
    },
  };
}

/**
 * The fetch of a subgraph data source: through the subgraph's breaker, aborted at `signal()` (timeout or the
 * client request ending). A 502, 503 or 504 (a proxy or the subgraph saying it cannot serve) is an outage.
 */
export function breakerFetch(breaker: DependencyBreaker, signal: () => AbortSignal): typeof fetch {
  return async (input, init) => {
    const response = await breaker.fetch(String(input), { ...init, signal: signal() });
    if (![502, 503, 504].includes(response.status)) return response;
    await response.body?.cancel().catch(() => undefined);
    throw new DependencyUnavailableError(breaker.dependency, `${breaker.dependency} answered HTTP ${response.status}`, breaker.retryAfterSeconds());
  };
}
