import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { serviceFetch } from './http-client.ts';

/**
 * Calls to a dependency that may be down (the router calling a subgraph, a subgraph calling another) go
 * through a circuit breaker per dependency: after `failureThreshold` consecutive failures (connection
 * refused or reset, timeout, HTTP 5xx) the circuit opens and calls fail at once with
 * {@link DependencyUnavailableError} instead of each waiting for its timeout; after `halfOpenAfterMs` one
 * call is let through to probe, and its success closes the circuit again.
 *
 * The breaker is cockatiel's (TypeScript-native, no dependencies, maintained; also has retry, timeout and
 * bulkhead policies should we need them). Failures are counted only for faults of the dependency: a call
 * aborted because the client went away, or a GraphQL error in a 200 answer, is neither a failure nor a success.
 */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  halfOpenAfterMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = { failureThreshold: 5, halfOpenAfterMs: 5_000 };

/** A dependency that could not be reached: refused, reset, timed out, answered 5xx, or its circuit is open. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: string,
    message: string,
    /** When a retry has a chance: seconds until the circuit probes again, else 1. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** Error codes of Node's network stack and of postgres.js that mean "the other side is not there (now)". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CLOSED',
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/** PostgreSQL SQLSTATEs of a server that is going away, starting, or full: retrying later can succeed. */
const UNAVAILABLE_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;

/**
 * True when `error` (or anything in its `cause` chain) says a dependency is unreachable rather than that
 * the request was wrong: a network error, a timeout, a PostgreSQL connection that closed or could not be
 * opened, an open circuit. Such failures are SERVICE_UNAVAILABLE and retryable.
 */
export function isUnavailableError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof DependencyUnavailableError || current instanceof BrokenCircuitError) return true;
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (name === 'TimeoutError') return true;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) return true;
    // Another subgraph answered that a dependency of its own is unavailable (e.g. a SubgraphCallError).
    if (code === 'SERVICE_UNAVAILABLE') return true;
    // undici reports a refused or reset connection as TypeError("fetch failed") with the socket error as cause.
    if (current instanceof TypeError && current.message === 'fetch failed') return true;
  }
  return false;
}

/** The client-facing error for an unavailable dependency: SERVICE_UNAVAILABLE, retryable. */
export function serviceUnavailable(message = 'A service this request needs is unavailable; retry shortly', retryAfterSeconds = 1): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds } });
}

/** {@link serviceUnavailable} as `formatError` returns it. */
export function serviceUnavailableFormatted(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const retryAfterSeconds = findCause(error, DependencyUnavailableError)?.retryAfterSeconds ?? 1;
  return {
    message: 'A service this request needs is unavailable; retry shortly',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds },
  };
}

function findCause<T>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown; originalError?: unknown }).cause ?? (current as { originalError?: unknown }).originalError, depth++) {
    if (current instanceof type) return current;
  }
  return undefined;
}

/** A circuit breaker around one dependency's calls (see the top of this file). */
export class DependencyBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private openedAt = 0;

  constructor(
    readonly dependency: string,
    private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS,
  ) {
    this.policy = circuitBreaker(
      handleWhen((error) => isUnavailableError(error)).orWhenResult((result) => result instanceof Response && result.status >= 500),
      { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.failureThreshold) },
    );
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
    });
  }

  /** True while calls are refused without being tried. */
  get isOpen(): boolean {
    return this.policy.state === CircuitState.Open && Date.now() - this.openedAt < this.options.halfOpenAfterMs;
  }

  /** Seconds until the circuit lets a probe through (at least 1). */
  retryAfterSeconds(): number {
    if (!this.isOpen) return 1;
    return Math.max(1, Math.ceil((this.openedAt + this.options.halfOpenAfterMs - Date.now()) / 1000));
  }

  /**
   * Fetches through the breaker. A refused connection, a timeout or an open circuit rejects with
   * {@link DependencyUnavailableError}; a 5xx answer is returned (and counted as a failure). With
   * `idempotent` (a query, never a mutation), a call whose connection was refused or reset is tried once more:
   * such a request never reached the dependency, or reached one that went away.
   */
  async fetch(url: string, init: RequestInit, options: { idempotent?: boolean } = {}): Promise<Response> {
    try {
      return await this.attempt(url, init);
    } catch (error) {
      if (!options.idempotent || !isRetryableConnectError(error) || this.isOpen) throw this.unavailable(error);
      try {
        return await this.attempt(url, init);
      } catch (again) {
        throw this.unavailable(again);
      }
    }
  }

  private attempt(url: string, init: RequestInit): Promise<Response> {
    return this.policy.execute(() => serviceFetch(url, init));
  }

  private unavailable(error: unknown): unknown {
    if (!isUnavailableError(error)) return error;
    const what = error instanceof BrokenCircuitError ? 'circuit open' : ((error as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable');
    return new DependencyUnavailableError(this.dependency, `${this.dependency} is unavailable (${what})`, this.retryAfterSeconds(), { cause: error });
  }
}

/**
 * True for a failure that is safe and useful to retry at once for an idempotent call: the connection was
 * refused or reset. Not a timeout (the dependency may be working on it; a retry doubles the wait) and not an
 * open circuit (that is the point of it).
 */
export function isRetryableConnectError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof BrokenCircuitError || (current as Error).name === 'TimeoutError') return false;
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && CONNECT_FAILURES.has(code)) return true;
  }
  return false;
}

/** The connection failed before or while the request was sent: nothing was answered. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** True for a GraphQL document whose operation is a query (safe to repeat), false for mutations. */
export function isQueryDocument(query: string): boolean {
  const start = query.replace(/^(\s|#[^\n]*\n|,)*/, '');
  return (start.startsWith('{') || /^query\b/.test(start)) && !/\bmutation\b/.test(query);
}
