import type { ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sendJson } from '@shopgraph/kit';
import { z } from 'zod';

/**
 * Overload protection: when the router is already busy, a new GraphQL request is refused at once with HTTP 503
 * `SERVICE_UNAVAILABLE` (retryable, `Retry-After`) instead of queueing behind the others until everything
 * times out. Two signals, each optional:
 * - an in-flight budget: at most `MAX_IN_FLIGHT_REQUESTS` GraphQL requests at a time per router;
 * - event-loop delay: while the median event-loop delay of the last second is above `MAX_EVENT_LOOP_DELAY_MS`,
 *   the process is short of CPU and every request it takes makes all of them later. The median, not a high
 *   percentile: one long pause (a large response, a GC) is not overload; every tick being late is. Off by
 *   default, because a process that runs more than the router (tests run the whole stack in one) cannot tell
 *   its own load from its neighbours'; 200–500 ms suits a router process of its own.
 * Health and readiness probes and WebSocket connections are never shed.
 */
export const loadSheddingEnvShape = {
  /** GraphQL requests one router serves at a time; more are answered 503 at once. 0 turns the budget off. */
  MAX_IN_FLIGHT_REQUESTS: z.coerce.number().int().nonnegative().default(256),
  /** Event-loop delay (median over the last second, ms) above which new requests are answered 503. 0: off. */
  MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().nonnegative().default(0),
};

export interface LoadShedder {
  /** Admits a request (released when `res` closes), or answers it 503 and returns false. */
  admit(res: ServerResponse): boolean;
  /** Requests in flight now. */
  inFlight(): number;
  close(): void;
}

export function createLoadShedder(env: { MAX_IN_FLIGHT_REQUESTS: number; MAX_EVENT_LOOP_DELAY_MS: number }): LoadShedder {
  let inFlight = 0;
  let delayMs = 0;
  const histogram = env.MAX_EVENT_LOOP_DELAY_MS > 0 ? monitorEventLoopDelay({ resolution: 10 }) : null;
  let timer: NodeJS.Timeout | undefined;
  if (histogram) {
    histogram.enable();
    timer = setInterval(() => {
      delayMs = histogram.percentile(50) / 1e6;
      histogram.reset();
    }, 1_000);
    timer.unref();
  }
  const refuse = (res: ServerResponse, reason: string): false => {
    res.setHeader('retry-after', '1');
    sendJson(res, 503, {
      errors: [{ message: `The router is overloaded (${reason}); retry shortly`, extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 } }],
    });
    return false;
  };
  return {
    admit(res) {
      if (env.MAX_IN_FLIGHT_REQUESTS > 0 && inFlight >= env.MAX_IN_FLIGHT_REQUESTS) return refuse(res, 'too many requests in flight');
      if (histogram && delayMs > env.MAX_EVENT_LOOP_DELAY_MS) return refuse(res, 'event loop delayed');
      inFlight += 1;
      res.once('close', () => {
        inFlight -= 1;
      });
      return true;
    },
    inFlight: () => inFlight,
    close() {
      if (timer) clearInterval(timer);
      histogram?.disable();
    },
  };
}
