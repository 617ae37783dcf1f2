import { createInternalTokenIssuer, INTERNAL_HEADER } from './auth.ts';
import { type BreakerOptions, DependencyBreaker, DependencyUnavailableError, isQueryDocument } from './resilience.ts';

/** A failed internal call: the other subgraph was unreachable, answered non-2xx, or returned errors. */
export class SubgraphCallError extends Error {
  constructor(
    message: string,
    readonly errors: Array<{ message: string; extensions?: { code?: string } }> = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** The `extensions.code` of the first GraphQL error, if any. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export interface SubgraphClient {
  request<TData>(query: string, variables?: Record<string, unknown>): Promise<TData>;
}

/**
 * A GraphQL client for calling another subgraph directly with this service's internal credential
 * (operations marked @inaccessible, or `_entities`). Calls time out after `timeoutMs` and go through a
 * circuit breaker (see resilience.ts): while the other subgraph is down they fail at once, with a
 * SubgraphCallError whose cause is a DependencyUnavailableError (reported to clients as SERVICE_UNAVAILABLE).
 * Queries whose connection was refused or reset are tried once more; mutations never are.
 */
export function createSubgraphClient(options: { url: string; service: string; internalSecret: string; timeoutMs?: number; breaker?: BreakerOptions }): SubgraphClient {
  const token = createInternalTokenIssuer(options.service, options.internalSecret);
  const breaker = new DependencyBreaker(new URL(options.url).host, options.breaker);
  return {
    async request<TData>(query: string, variables: Record<string, unknown> = {}): Promise<TData> {
      let response: Response;
      try {
        const init = {
          method: 'POST',
          headers: { 'content-type': 'application/json', [INTERNAL_HEADER]: await token() },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
        };
        response = await breaker.fetch(options.url, init, { idempotent: isQueryDocument(query) });
      } catch (error) {
        throw new SubgraphCallError(`Cannot reach ${options.url}: ${(error as Error).message}`, [], { cause: error });
      }
      const body = (await response.json().catch(() => ({}))) as { data?: TData; errors?: SubgraphCallError['errors'] };
      if (!response.ok || body.errors?.length || !body.data) {
        const message = `${options.url} answered ${response.status}: ${body.errors?.[0]?.message ?? 'no data'}`;
        // A gateway or overloaded server in between (502, 503, 504) is an outage, not an answer.
        const cause = [502, 503, 504].includes(response.status) ? new DependencyUnavailableError(breaker.dependency, message, breaker.retryAfterSeconds()) : undefined;
        throw new SubgraphCallError(message, body.errors, cause ? { cause } : undefined);
      }
      return body.data;
    },
  };
}

/**
 * Resolves entity references on another subgraph through `_entities`, in one request, in order.
 * `selection` is the field selection on `typename`, e.g. `id active weightGrams`.
 */
export async function fetchEntities<T>(client: SubgraphClient, typename: string, keys: Array<Record<string, unknown>>, selection: string): Promise<Array<T | null>> {
  if (keys.length === 0) return [];
  const data = await client.request<{ _entities: Array<T | null> }>(
    `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`,
    { representations: keys.map((key) => ({ __typename: typename, ...key })) },
  );
  return data._entities;
}
