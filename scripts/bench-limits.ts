/**
 * `npm run bench:limits`: what it costs the router to refuse hostile documents, against a freshly started
 * stack (temporary data directory, free ports), in CPU time of the router's own process (/proc, Linux).
 *
 * - The fragment fan-out of issue 11 (`query { ...G0 } fragment G0 on Query { ...G1 ...G1 } ...`) at
 *   k = 10, 20, 30 (2^k fields once expanded): refused by the field limit; the time must grow with the
 *   document (linearly in k), not with the expansion.
 * - Three nested pages of 100 products (about 2 million objects): refused by the cost budget before any
 *   subgraph is called; the products service's CPU is printed to show it did no work.
 *
 * Each document is sent `--requests` times (default 200), one at a time, each copy made unique with a
 * comment so that no cache answers for the router; the figures are per request.
 *
 *   npm run bench:limits -- --requests 200 --k 10,20,30
 */
import { startBenchStack } from './lib/bench-stack.ts';
import { listArg, numberArg, printCommand, processCpuSeconds, quantile } from './lib/bench.ts';

printCommand();

const requests = numberArg('requests', 200);
const ks = listArg('k', [10, 20, 30]);

const NESTED = '{ products(first:100){edges{node{category{products(first:100){edges{node{category{products(first:100){edges{node{name}}}}}}}}}}} }';

function fanOut(k: number): string {
  const fragments = Array.from({ length: k }, (_, i) => `fragment G${i} on Query { ...G${i + 1} ...G${i + 1} }`);
  return `query { ...G0 } ${fragments.join(' ')} fragment G${k} on Query { categories { id } }`;
}

interface Refusal {
  status: number;
  errors?: Array<{ message: string; extensions?: { code?: string; limit?: string } }>;
}

const stack = await startBenchStack();
try {
  const router = stack.pidOf('router');
  const products = stack.pidOf('products');

  /** Sends `document` `requests` times; every answer must be a refusal by `limit`. */
  const refuse = async (label: string, document: string, limit: string) => {
    const latencies: number[] = [];
    const cpuBefore = { router: processCpuSeconds(router), products: processCpuSeconds(products) };
    for (let i = 0; i < requests; i += 1) {
      const started = performance.now();
      const res = await fetch(stack.routerUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `${document}\n# ${i}` }),
      });
      const body = (await res.json()) as Refusal;
      latencies.push(performance.now() - started);
      if (res.status !== 400 || !body.errors?.some((e) => e.extensions?.limit === limit)) {
        throw new Error(`${label}: expected a refusal by the ${limit} limit, got HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      }
    }
    const routerMs = ((processCpuSeconds(router) - cpuBefore.router) * 1000) / requests;
    const productsMs = ((processCpuSeconds(products) - cpuBefore.products) * 1000) / requests;
    console.log(
      `${label.padEnd(44)} ${String(document.length).padStart(5)} B   router CPU ${routerMs.toFixed(2).padStart(6)} ms/request   ` +
        `p50 ${quantile(latencies, 0.5).toFixed(2).padStart(6)} ms   max ${Math.max(...latencies).toFixed(1).padStart(6)} ms   products CPU ${productsMs.toFixed(2)} ms/request`,
    );
  };

  console.log(`limits benchmark: ${requests} refusals each, one at a time; CPU from /proc/<pid>/stat of the router and products processes`);
  // Warm-up: code paths compiled, connections open.
  await refuse('warm-up', fanOut(5), 'rootFields');
  for (const k of ks) await refuse(`fragment fan-out k=${k} (2^${k} fields)`, fanOut(k), 'fields');
  await refuse('nested pages, cost 2,040,401', NESTED, 'cost');
} finally {
  await stack.stop();
}
