import { AsyncLocalStorage } from 'node:async_hooks';
import type { ServerResponse } from 'node:http';

/**
 * Subgraph requests end with the client request that caused them: when the client goes away (or the
 * response is done), every subgraph fetch still running for it is aborted, so the subgraph sees its
 * connection close instead of working on for nobody. The signal travels with the request's async
 * context, so neither Apollo nor the gateway has to carry it.
 */
const requestSignal = new AsyncLocalStorage<AbortSignal>();

/** Runs `handle` with a signal that aborts when `res` closes (sent, or the client disconnected). */
export function withRequestSignal<T>(res: ServerResponse, handle: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  res.once('close', () => controller.abort(new Error(res.writableFinished ? 'response sent' : 'client went away')));
  return requestSignal.run(controller.signal, handle);
}

/** The signal of a subgraph fetch: its own timeout, and the client request it serves when there is one. */
export function subgraphFetchSignal(timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  const request = requestSignal.getStore();
  return request ? AbortSignal.any([request, timeout]) : timeout;
}
