import { counter, gauge, histogram } from '@shopgraph/kit/telemetry';
import type { RouterSubscriptions } from './subscriptions/server.ts';

/** The router's own series, beside the RED metrics of its operations (the kit's graphql handler records those). */
export const ROUTER_SERVICE = 'router';

/** RED of the gateway's subgraph fetches, by subgraph and outcome (`ok`, `error`: GraphQL errors, `failed`: no answer). */
export function subgraphFetchMetrics() {
  return {
    fetches: counter(ROUTER_SERVICE, 'shopgraph_subgraph_fetches_total', 'Subgraph fetches made by the router, by subgraph and outcome', ['subgraph', 'outcome']),
    duration: histogram(ROUTER_SERVICE, 'shopgraph_subgraph_fetch_duration_seconds', 'Latency of subgraph fetches made by the router', ['subgraph']),
  };
}

/** WebSocket connections and subscriptions open now, read at each scrape. */
export function observeSubscriptions(subscriptions: RouterSubscriptions): void {
  gauge(ROUTER_SERVICE, 'shopgraph_websocket_connections', 'Open graphql-ws connections', [], function collect() {
    this.set(subscriptions.metrics().connections);
  });
  gauge(ROUTER_SERVICE, 'shopgraph_subscriptions_active', 'Client subscriptions open now (kind=client) and upstream subgraph subscriptions serving them (kind=upstream)', ['kind'], function collect() {
    const now = subscriptions.metrics();
    this.set({ kind: 'client' }, now.subscriptions);
    this.set({ kind: 'upstream' }, now.upstreamSubscriptions);
  });
}
