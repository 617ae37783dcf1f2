import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import type { Logger } from '@shopgraph/kit';
import type { ExecutionResult } from 'graphql';
import type { SubscriptionPlan, SubscriptionPlanner } from './planner.ts';

type OperationContext = Parameters<typeof executeQueryPlan>[3];

/** The name the primary fetch runs under while an event is resolved: its data is the event itself. */
const EVENT_SOURCE = '__subscription_event__';

/** What resolving one event needs besides the event. */
export interface EventRequest {
  planner: SubscriptionPlanner;
  plan: SubscriptionPlan;
  /** The client's operation, built once when it subscribed (`buildOperationContext`). */
  operationContext: OperationContext;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** The router context the other subgraphs' fetches are sent with (identity assertion, request id). */
  context: unknown;
}

/**
 * Resolves one subscription event: the event (what the owning subgraph sent for the primary fetch) is
 * served as that fetch's answer, and the rest of the plan runs as it would for a query — other subgraphs'
 * fields are fetched, and a failing subgraph leaves partial data and errors rather than ending anything.
 */
export async function resolveEvent(request: EventRequest, event: ExecutionResult, services: ServiceMap, logger: Logger): Promise<ExecutionResult> {
  const primary = { ...request.plan.primary, serviceName: EVENT_SOURCE };
  const queryPlan: QueryPlan = {
    kind: 'QueryPlan',
    node: request.plan.rest ? { kind: 'Sequence', nodes: [primary, request.plan.rest] } : primary,
  };
  // A copy: the plan's execution merges other subgraphs' fields into what a fetch returned, and the event object
  // is shared by every subscriber of its upstream subscription, whatever each of them selected.
  const eventSource: GraphQLDataSource = { process: async () => ({ data: structuredClone(event.data) as Record<string, unknown> | null, errors: event.errors as never }) };
  const requestContext = {
    logger,
    request: { variables: request.variables, operationName: request.operationName },
    context: request.context,
    metrics: {},
    cache: undefined,
    overallCachePolicy: undefined,
  };
  const result = await executeQueryPlan(
    queryPlan,
    { ...services, [EVENT_SOURCE]: eventSource },
    requestContext as never,
    request.operationContext,
    request.planner.supergraphSchema,
    request.planner.apiSchema,
  );
  return { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors } : {}) };
}

/**
 * Resolutions of one event shared by the subscribers that would resolve it identically: same operation and
 * variables, same viewer, same event. A customer with the app open on three devices, or fifty admins watching
 * one order, then cost the other subgraphs one fetch per event rather than one per subscriber. The event is the
 * object their shared upstream subscription handed to each of them (see SharedUpstreams), so an entry lives as
 * long as the event does, and telling two events apart costs nothing.
 */
export class SharedResolutions {
  private readonly byEvent = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

  resolve(event: object, key: string, run: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
    let results = this.byEvent.get(event);
    if (!results) this.byEvent.set(event, (results = new Map()));
    const known = results.get(key);
    if (known) return known;
    const result = run();
    results.set(key, result);
    // A failed resolution is not shared with whoever comes after it.
    result.catch(() => results.delete(key));
    return result;
  }
}
