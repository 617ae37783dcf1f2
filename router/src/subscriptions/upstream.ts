import { ASSERTION_HEADER, type AssertionSigner, CONNECTION_INIT, type Logger, type Viewer } from '@shopgraph/kit';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** Errors the subgraph answered a subscription with: final, passed to the client as they are. */
export class UpstreamRefusal extends Error {
  constructor(readonly errors: readonly GraphQLFormattedError[]) {
    super(errors[0]?.message ?? 'Subscription refused');
  }
}

export interface UpstreamRequest {
  /** The subgraph's name in the supergraph: the audience of its assertions. */
  subgraph: string;
  query: string;
  variables: Record<string, unknown>;
  operationName: string | undefined;
  viewer: Viewer | null;
  requestId: string;
}

export interface UpstreamHandlers {
  next: (result: ExecutionResult) => void;
  /** The subgraph refused or ended the subscription with errors. */
  error: (error: UpstreamRefusal) => void;
  /** The subgraph completed the subscription. */
  complete: () => void;
  /**
   * The subscription is live (the subgraph's cursor-only marker, after any replay); `joinable` when the subgraph
   * says a later identical request would receive from here exactly what this one receives.
   */
  live?: (joinable: boolean) => void;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * The router's subscriptions to subgraphs: one multiplexed graphql-ws connection per subgraph, opened by
 * the router's own assertion; each subscription carries its viewer's assertion.
 *
 * When a connection drops (a subgraph restarts or is redeployed), every subscription on it re-subscribes
 * with backoff, sending the resume cursor of the last event it received, so the subgraph replays what was
 * committed meanwhile: the client never notices beyond the delay.
 */
export class UpstreamSubscriptions {
  private readonly clients = new Map<string, Client>();
  private active = 0;
  private resumable = 0;

  constructor(
    private readonly sign: AssertionSigner,
    private readonly logger: Logger,
  ) {}

  /** Live subscriptions to subgraphs (tests and metrics). */
  get count(): number {
    return this.active;
  }

  /** Live subscriptions that hold a resume cursor, i.e. would be replayed from where they were after a drop. */
  get resumableCount(): number {
    return this.resumable;
  }

  /** Subscribes to the subgraph at `url` (its HTTP GraphQL URL); the returned function unsubscribes. */
  subscribe(url: string, request: UpstreamRequest, handlers: UpstreamHandlers): () => void {
    let cursor: string | undefined;
    let unsubscribe: (() => void) | null = null;
    let timer: NodeJS.Timeout | null = null;
    let retries = 0;
    let closed = false;
    this.active += 1;

    const close = () => {
      if (closed) return;
      closed = true;
      this.active -= 1;
      if (cursor !== undefined) this.resumable -= 1;
      if (timer) clearTimeout(timer);
      unsubscribe?.();
      unsubscribe = null;
    };
    const retry = (reason: unknown) => {
      unsubscribe = null;
      if (closed) return;
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** retries) * (0.5 + Math.random() / 2);
      retries += 1;
      this.logger.warn({ url, err: describe(reason), retryInMs: Math.round(delay) }, 'subgraph subscription lost; resubscribing');
      timer = setTimeout(() => void attempt(), delay);
    };
    const attempt = async () => {
      timer = null;
      if (closed) return;
      let assertion: string;
      try {
        // Signed per attempt: bound to this subgraph and this subscription, fresh after every reconnect.
        assertion = await this.sign({
          audience: request.subgraph,
          request: { query: request.query, operationName: request.operationName, variables: request.variables },
          viewer: request.viewer,
          requestId: request.requestId,
        });
      } catch (error) {
        return retry(error);
      }
      if (closed) return;
      unsubscribe = this.client(url, request.subgraph).subscribe<Record<string, unknown>, { resumeCursor?: unknown; joinable?: unknown }>(
        {
          query: request.query,
          variables: request.variables,
          ...(request.operationName ? { operationName: request.operationName } : {}),
          extensions: { headers: { [ASSERTION_HEADER]: assertion }, ...(cursor === undefined ? {} : { resumeAfter: cursor }) },
        },
        {
          next: (result) => {
            retries = 0;
            const { extensions, ...rest } = result;
            if (typeof extensions?.resumeCursor === 'string' && !closed) {
              if (cursor === undefined) this.resumable += 1;
              cursor = extensions.resumeCursor;
            }
            // A result with nothing but a cursor marks where the subscription starts: nothing for the client.
            if (!('data' in rest) && !('errors' in rest)) {
              if (!closed) handlers.live?.(extensions?.joinable === true);
              return;
            }
            // Errors without data: the subscription was refused when it started (graphql-js reports those
            // as one result, then completes), e.g. FORBIDDEN. Events always carry `data`, if only null.
            if (!('data' in rest) && rest.errors?.length) {
              close();
              return handlers.error(new UpstreamRefusal(rest.errors));
            }
            if (!closed) handlers.next(rest as ExecutionResult);
          },
          error: (error) => {
            if (closed) return;
            if (isGraphQLErrors(error)) {
              close();
              return handlers.error(new UpstreamRefusal(error));
            }
            retry(error);
          },
          complete: () => {
            if (closed) return;
            close();
            handlers.complete();
          },
        },
      );
    };
    void attempt();
    return close;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.dispose()));
  }

  private client(httpUrl: string, subgraph: string): Client {
    let client = this.clients.get(httpUrl);
    if (client) return client;
    client = createClient({
      url: httpUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: true,
      // Keep the connection a moment after its last subscription, for the next one.
      lazyCloseTimeout: 5_000,
      // Reconnecting is done per subscription above, with its resume cursor and a fresh assertion.
      retryAttempts: 0,
      keepAlive: 10_000,
      // Called on every (re)connect, so the short-lived assertion that opens the connection is always fresh.
      connectionParams: async () => ({ headers: { [ASSERTION_HEADER]: await this.sign({ audience: subgraph, request: CONNECTION_INIT, viewer: null }) } }),
      on: { error: (error) => this.logger.debug({ url: httpUrl, err: describe(error) }, 'subgraph WebSocket error') },
    });
    this.clients.set(httpUrl, client);
    return client;
  }
}

function isGraphQLErrors(value: unknown): value is GraphQLFormattedError[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'object' && item !== null && 'message' in item);
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === 'object' && reason !== null && 'code' in reason) {
    const close = reason as { code: number; reason?: string };
    return `closed ${close.code}${close.reason ? ` ${close.reason}` : ''}`;
  }
  return String(reason);
}
