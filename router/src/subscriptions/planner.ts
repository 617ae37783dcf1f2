import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import type { FetchNode, PlanNode } from '@apollo/query-planner';
import { QueryPlanner } from '@apollo/query-planner';
import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';

/**
 * A subscription as the supergraph's query planner sees it: one `primary` fetch that subscribes to the
 * subgraph owning the Subscription field, and an optional `rest` plan that fetches the other subgraphs'
 * fields for each event. Nothing here knows which subgraph or field that is.
 */
export interface SubscriptionPlan {
  primary: FetchNode;
  rest: PlanNode | undefined;
}

/** Plans subscriptions against one supergraph; rebuilt when the supergraph changes. */
export class SubscriptionPlanner {
  readonly supergraphSchema: GraphQLSchema;
  readonly apiSchema: Schema;
  readonly subgraphs: ReadonlyArray<{ name: string; url: string }>;
  private readonly planner: QueryPlanner;
  private readonly cache = new Map<string, SubscriptionPlan>();

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.subgraphs = supergraph.subgraphsMetadata();
    this.planner = new QueryPlanner(supergraph);
  }

  /** The plan of a validated subscription document; cached per (document text, operation name). */
  plan(document: DocumentNode, operationName: string | undefined, cacheKey: string): SubscriptionPlan {
    const key = `${operationName ?? ''}\n${cacheKey}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const operation = operationFromDocument(this.apiSchema, document, { operationName });
    const node = this.planner.buildQueryPlan(operation).node;
    if (node?.kind !== 'Subscription') throw new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP');
    const plan = { primary: node.primary, rest: node.rest };
    if (this.cache.size >= 1_000) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, plan);
    return plan;
  }
}
