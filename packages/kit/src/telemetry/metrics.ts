import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, type Histogram, Histogram as PromHistogram, Registry } from 'prom-client';

/**
 * Prometheus metrics with prom-client: one registry per service (services can share a process: the test stack,
 * `npm start`'s subgraphs), each with the Node runtime defaults (event-loop delay, heap, GC, handles) and the
 * service's own series. Names follow Prometheus conventions (`_total`, `_seconds`); labels are bounded: never
 * an id, and operation names are capped (see {@link boundedLabel}).
 */

const registries = new Map<string, Registry>();

/** The registry of service `service`, created with the Node runtime metrics on first use. */
export function metricsRegistry(service: string): Registry {
  let registry = registries.get(service);
  if (!registry) {
    registry = new Registry();
    registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: registry, prefix: 'shopgraph_' });
    registries.set(service, registry);
  }
  return registry;
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** A counter of `service` (created once; later calls return the same). */
export function counter<L extends string>(service: string, name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  const registry = metricsRegistry(service);
  return getOrCreate(registry, name, () => new Counter<L>({ name, help, labelNames, registers: [registry] }));
}

/** A histogram of `service` in seconds (created once). */
export function histogram<L extends string>(service: string, name: string, help: string, labelNames: readonly L[] = [], buckets = LATENCY_BUCKETS): Histogram<L> {
  const registry = metricsRegistry(service);
  return getOrCreate(registry, name, () => new PromHistogram<L>({ name, help, labelNames, buckets, registers: [registry] }));
}

/** A gauge of `service`; `collect` (optional) refreshes it at each scrape. */
export function gauge<L extends string>(service: string, name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Gauge<L>) => Promise<void> | void): Gauge<L> {
  const registry = metricsRegistry(service);
  return getOrCreate(registry, name, () => new Gauge<L>({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) }));
}

/** Request latencies from 5 ms to 30 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const OTHER = '__other';
const seenLabels = new Map<string, Set<string>>();

/**
 * Keeps a label's value set bounded: the first `max` distinct values of `family` are kept, later ones become
 * `__other` (clients choose operation names; a scraper must not pay for every name ever sent).
 */
export function boundedLabel(family: string, value: string | null | undefined, max = 100): string {
  if (!value) return 'anonymous';
  let seen = seenLabels.get(family);
  if (!seen) seenLabels.set(family, (seen = new Set()));
  if (seen.has(value)) return value;
  if (seen.size >= max || value.length > 100) return OTHER;
  seen.add(value);
  return value;
}

/** The `GET /metrics` handler of service `service` (Prometheus text format). */
export function metricsHandler(service: string) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const registry = metricsRegistry(service);
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(body);
  };
}

/** RED metrics of GraphQL operations served by `service` (router: client operations; subgraph: its requests). */
export function graphqlMetrics(service: string) {
  return {
    requests: counter(service, 'shopgraph_graphql_requests_total', 'GraphQL requests by operation, HTTP status and first error code', ['operation', 'status', 'code']),
    duration: histogram(service, 'shopgraph_graphql_request_duration_seconds', 'GraphQL request latency by operation', ['operation']),
  };
}
