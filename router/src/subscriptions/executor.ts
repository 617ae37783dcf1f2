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
  const eventSource: GraphQLDataSource = { process: async () => ({ data: event.data as Record<string, unknown> | null, errors: event.errors as never }) };
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
 * one order, then cost the other subgraphs one fetch per event rather than one per subscriber. Entries live
 * for `ttlMs` after they start: long enough for every subscriber's copy of an event to arrive.
 */
export class SharedResolutions {
  private readonly entries = new Map<string, { at: number; result: Promise<ExecutionResult> }>();

  constructor(private readonly ttlMs = 2_000) {}

  resolve(key: string, run: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.at < this.ttlMs) return entry.result;
    if (this.entries.size >= 1_000) this.prune(now);
    const result = run();
    this.entries.set(key, { at: now, result });
    result.catch(() => this.entries.delete(key));
    return result;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(key);
  }
}
