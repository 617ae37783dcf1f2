import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ASSERTION_HEADER, type AssertionSigner, type DependencyBreaker, serviceFetch } from '@shopgraph/kit';
import { GraphQLError } from 'graphql';
import { subgraphFetchSignal } from './cancellation.ts';
import type { RouterContext } from './router.ts';
import { breakerFetch, type FetchGuard } from './subgraph-resilience.ts';
import { subgraphFetchMetrics } from './metrics.ts';

/**
 * Sends every subgraph request with a timeout and an identity assertion signed for that request alone: its
 * audience is this subgraph, it is bound to the operation and variables sent, and it expires in seconds.
 * Signing per request (Ed25519, a fraction of a millisecond) also means a late fetch of a long plan, or an event
 * of a subscription that has been open for hours, never carries a stale assertion.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  private readonly metrics = subgraphFetchMetrics();

  constructor(
    private readonly subgraph: string,
    private readonly sign: AssertionSigner,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<RouterContext>>[0],
    private readonly guard?: FetchGuard,
  ) {
    super(config);
  }

  /** Every fetch through the guard: retries, SERVICE_UNAVAILABLE, the entity cache (subgraph-resilience.ts). */
  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): ReturnType<RemoteGraphQLDataSource<RouterContext>['process']> {
    const started = process.hrtime.bigint();
    let outcome = 'failed';
    try {
      const response = await (this.guard ? this.guard(options, () => super.process(options)) : super.process(options));
      outcome = response.errors?.length ? 'error' : 'ok';
      return response;
    } finally {
      this.metrics.fetches.inc({ subgraph: this.subgraph, outcome });
      this.metrics.duration.observe({ subgraph: this.subgraph }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers || !('requestId' in context)) return;
    const assertion = await this.sign({
      audience: this.subgraph,
      request: { query: request.query, operationName: request.operationName, variables: request.variables },
      viewer: context.viewer,
      requestId: context.requestId,
      ...(context.clientIp ? { clientIp: context.clientIp } : {}),
    });
    headers.set(ASSERTION_HEADER, assertion);
    headers.set('x-request-id', context.requestId);
  }

  /**
   * A non-2xx answer from a subgraph is a fault between router and subgraph, never the client's.
   * Apollo's default maps 401/403 to the public codes UNAUTHENTICATED/FORBIDDEN and attaches the
   * subgraph URL and response body in `extensions.response`, which masking would then let through.
   * Without a code the error is masked as INTERNAL_SERVER_ERROR (the details are logged).
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    await response.text().catch(() => undefined);
    return new GraphQLError(`Subgraph ${this.url} answered HTTP ${response.status} ${response.statusText}`);
  }
}

/**
 * The data source of subgraph `name` at `url`, with the router's subgraph timeout and assertion signer, and
 * with `resilience`, the subgraph's circuit breaker and fetch guard.
 */
export function subgraphDataSource(
  name: string,
  url: string,
  timeoutMs: number,
  sign: AssertionSigner,
  resilience?: { breaker: DependencyBreaker; guard: FetchGuard },
): SubgraphDataSource {
  // Aborted at the timeout, or as soon as the client request it serves has ended (see cancellation.ts).
  const signal = () => subgraphFetchSignal(timeoutMs);
  const timeoutFetch: typeof fetch = resilience ? breakerFetch(resilience.breaker, signal) : (input, init) => serviceFetch(String(input), { ...init, signal: signal() });
  return new SubgraphDataSource(name, sign, { url, fetcher: timeoutFetch as never }, resilience?.guard);
}
