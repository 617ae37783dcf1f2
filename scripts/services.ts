/**
 * The service registry: one line per service. Everything that lists services is derived from it or
 * checked against it:
 *
 * - `npm start` (scripts/start.ts) starts the subgraphs and the router from it, `npm run build` bundles every
 *   entry into dist/<name>.js and writes dist/services.json (which the image's healthcheck reads);
 * - `npm run services` writes supergraph.yaml, the generated parts of docker-compose.yml (Postgres roles,
 *   the services, the router's SUBGRAPH_URLS) and of .env.example; `npm run services -- --check` (CI) fails
 *   when one of them is stale;
 * - test/services-registry.test.ts checks the rest: test/support/stack.ts, each subgraph's env defaults
 *   (PORT and the `<NAME>_URL` of the subgraphs it calls), docker/postgres/init.sh, and that every folder in
 *   subgraphs/ is declared here.
 *
 * A subgraph's database is `shopgraph_<name>`, its entry `subgraphs/<name>/src/index.ts`; extra compose
 * variables of a subgraph live in its own folder (`subgraphs/<name>/compose.env.yml`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ServiceKind = 'router' | 'subgraph' | 'worker';

export interface ServiceSpec {
  name: string;
  kind: ServiceKind;
  /** HTTP port (DESIGN.md section 3); workers serve none. */
  port: number | null;
  /** Source entry point, relative to the repository root. */
  entry: string;
  /** Database name for subgraphs and their workers; the router has none. */
  database?: string;
  /** Subgraphs it calls directly (internal operations): each is given `<NAME>_URL`. */
  calls: string[];
  /** For a worker: the subgraph whose code and database it shares. */
  of?: string;
}

function subgraph(name: string, port: number, calls: string[] = []): ServiceSpec {
  return { name, kind: 'subgraph', port, entry: `subgraphs/${name}/src/index.ts`, database: `shopgraph_${name}`, calls };
}

/** A process that runs only a subgraph's queue workers (`subgraphs/<of>/src/worker.ts`), to scale them apart. */
function worker(of: ServiceSpec): ServiceSpec {
  return { name: `${of.name}-worker`, kind: 'worker', port: null, entry: `subgraphs/${of.name}/src/worker.ts`, database: of.database, calls: of.calls, of: of.name };
}

/** Subgraphs in start order of the test stack: every subgraph after those it calls. */
export const SUBGRAPHS: ServiceSpec[] = [
  subgraph('users', 4001),
  subgraph('products', 4002),
  subgraph('inventory', 4003, ['products']),
  subgraph('pricing', 4004, ['products']),
  subgraph('payments', 4006),
  subgraph('shipping', 4007),
  subgraph('orders', 4005, ['users', 'products', 'inventory', 'pricing', 'payments', 'shipping']),
  subgraph('notifications', 4008, ['users', 'orders', 'shipping', 'payments']),
  subgraph('recommendations', 4009, ['products', 'inventory', 'pricing', 'orders']),
];

/**
 * Separate worker processes, one for each subgraph that has a `src/worker.ts` (each subgraph also runs its
 * workers in-process unless told not to).
 */
export const WORKERS: ServiceSpec[] = SUBGRAPHS.filter((s) => existsSync(fileURLToPath(new URL(`../subgraphs/${s.name}/src/worker.ts`, import.meta.url)))).map(worker);

export const ROUTER: ServiceSpec = { name: 'router', kind: 'router', port: 4000, entry: 'router/src/index.ts', calls: SUBGRAPHS.map((s) => s.name) };

/** Every service: subgraphs, workers, then the router. */
export const SERVICES: ServiceSpec[] = [...SUBGRAPHS, ...WORKERS, ROUTER];

/** `<NAME>_URL` / `<NAME>_PORT` style variable prefix of a service. */
export const envName = (name: string) => name.toUpperCase().replace(/-/g, '_');
