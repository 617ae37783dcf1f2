import { type Client, type ClientOptions, createClient } from 'graphql-ws';
import type { ExecutionResult } from 'graphql';
import WebSocket from 'ws';
import { eventually } from './stack.ts';

/** A graphql-ws client of the router at `httpUrl` (its /graphql URL), signed in with `token`. */
export function wsClient(httpUrl: string, token: string | null, options: Partial<ClientOptions> = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    ...options,
  });
}

/** What one subscription has received so far. */
export interface Received<T = Record<string, any>> {
  results: ExecutionResult<T>[];
  /** The error the subscription ended with (GraphQL errors, or a CloseEvent). */
  error: unknown;
  completed: boolean;
  unsubscribe(): void;
  /** Waits until `count` results arrived (or the subscription ended); returns them. */
  until(count: number, timeoutMs?: number): Promise<ExecutionResult<T>[]>;
  /** Waits until the subscription ends with an error or completes. */
  ended(timeoutMs?: number): Promise<unknown>;
}

export function subscribe<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown> = {}): Received<T> {
  const received: Received<T> = {
    results: [],
    error: undefined,
    completed: false,
    unsubscribe: () => undefined,
    until: (count, timeoutMs = 20_000) =>
      eventually(
        async () => received.results,
        (results) => results.length >= count || received.error !== undefined || received.completed,
        timeoutMs,
      ),
    ended: (timeoutMs = 10_000) =>
      eventually(
        async () => received.error,
        () => received.error !== undefined || received.completed,
        timeoutMs,
      ),
  };
  received.unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => void received.results.push(result as ExecutionResult<T>),
      error: (error) => void (received.error = error ?? 'error'),
      complete: () => void (received.completed = true),
    },
  );
  return received;
}
