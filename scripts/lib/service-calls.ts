/**
 * The calls a benchmark's stack made, from the services' own Prometheus counters: GraphQL requests each service
 * served by operation (`shopgraph_graphql_requests_total`; the router's are the clients'), the router's subgraph
 * fetches (`shopgraph_subgraph_fetches_total`) and the BullMQ jobs each service processed by queue
 * (`shopgraph_bullmq_jobs_processed_total`). Scrape before and after, then `grown(before, after)`.
 */
import { ROUTER, SUBGRAPHS } from '../services.ts';

const COUNTERS: Record<string, (labels: Record<string, string>) => string> = {
  shopgraph_graphql_requests_total: (l) => `graphql ${l.operation ?? '?'}`,
  shopgraph_subgraph_fetches_total: (l) => `fetch ${l.subgraph ?? '?'}`,
  shopgraph_bullmq_jobs_processed_total: (l) => `job ${l.queue ?? '?'}`,
};

/** Counter totals keyed `<service> graphql <operation>`, `<service> fetch <subgraph>` and `<service> job <queue>`. */
export async function scrapeCalls(ports: Record<string, number>): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  const services = [
    { name: ROUTER.name, port: ports.METRICS_PORT },
    ...SUBGRAPHS.map((spec) => ({ name: spec.name, port: ports[`${spec.name.toUpperCase()}_PORT`] })),
  ];
  await Promise.all(
    services.map(async ({ name, port }) => {
      if (!port) return;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const line of text.split('\n')) {
        const match = /^(\w+)\{([^}]*)\} ([\d.e+-]+)$/.exec(line);
        const keyOf = match && COUNTERS[match[1]!];
        if (!keyOf) continue;
        const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
        const key = `${name} ${keyOf(labels)}`;
        totals.set(key, (totals.get(key) ?? 0) + Number(match[3]));
      }
    }),
  );
  return totals;
}
