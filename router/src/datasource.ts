import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ASSERTION_HEADER } from '@shopgraph/kit';
import { GraphQLError } from 'graphql';
import type { RouterContext } from './router.ts';

/** Sends every subgraph request with the router's signed assertion and a timeout. */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('assertion' in context)) return;
    headers.set(ASSERTION_HEADER, context.assertion);
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

/** A data source for the subgraph `url`, with the router's subgraph timeout. */
export function subgraphDataSource(url: string, timeoutMs: number): SubgraphDataSource {
  const timeoutFetch: typeof fetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return new SubgraphDataSource({ url, fetcher: timeoutFetch as never });
}
