import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/**
 * The header in which a subgraph tells the router how long its answer may be cached and by whom:
 * `max-age=<seconds>, public|private`, as Apollo Server's cache control computes it from `@cacheControl`
 * hints in the subgraph schema (a field or composite type without a hint makes the answer uncacheable).
 */
export const CACHE_POLICY_HEADER = 'x-shopgraph-cache-policy';

/**
 * Sends the response's overall cache policy in {@link CACHE_POLICY_HEADER}, even when some entities of an
 * `_entities` answer have errors: unlike `Cache-Control` (which Apollo leaves `no-store` then, rightly for
 * HTTP caches), the router's entity cache stores each entity on its own and skips those with errors.
 */
export function cachePolicyPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ overallCachePolicy, response }) {
          const policy = overallCachePolicy.policyIfCacheable();
          if (policy) response.http.headers.set(CACHE_POLICY_HEADER, `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}`);
        },
      };
    },
  };
}

/** Parses {@link CACHE_POLICY_HEADER}: null when absent, unparsable or not public. */
export function publicMaxAge(header: string | null | undefined): number | null {
  const match = /^max-age=(\d+), public$/.exec(header ?? '');
  const maxAge = match ? Number(match[1]) : 0;
  return maxAge > 0 ? maxAge : null;
}
