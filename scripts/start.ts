/**
 * `npm start`: the whole stack on one machine.
 * PostgreSQL and Redis are embedded (data in .data/) unless DATABASE_URL / REDIS_URL point at real
 * servers; each subgraph gets its own database. The subgraphs run together in one process and the router in
 * another (SHOPGRAPH_PROCESSES=each: every service in its own process, as in production). Ctrl-C stops
 * everything; data survives a restart.
 * Services run compiled (dist/, rebuilt first when a source is newer); `npm run dev` (`--dev`) runs their
 * sources through tsx instead, each restarted by `node --watch` when a file it loaded changes.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
// Narrow entry points: the kit's index would load every service dependency (seconds before Postgres starts).
import { ensureDatabase, withDatabase } from '@shopgraph/kit/database-admin';
import { startEmbeddedPostgres, startEmbeddedRedis, type RunningInfra } from '@shopgraph/kit/infra';
import { generateRouterKeyPair } from '@shopgraph/kit/keys';
import { startSmtpSink } from '../subgraphs/notifications/src/dev/smtp-sink.ts';
import { buildIfStale, DIST, ROOT } from './build.ts';
import { Supervisor } from './lib/supervisor.ts';
import { seedDemoCatalogWithRetries } from './seed-demo.ts';
import { ROUTER, SUBGRAPHS, type ServiceSpec } from './services.ts';

const startedAt = Date.now();
const dev = process.argv.includes('--dev');
/** Sources through tsx: `--dev` (with reload), or `--sources` (without; bench:startup compares). */
const sources = dev || process.argv.includes('--sources');
const dataDir = resolve(process.env.SHOPGRAPH_DATA_DIR ?? '.data');
/**
 * `one` (default): the subgraphs share one process (dist/subgraphs.js), which loads their common libraries once:
 * about half the memory and start-up CPU of a process each. `each`: one process per service, as deployed; what
 * the benchmarks and the fault suite use, to measure and kill services one by one.
 */
const together = (process.env.SHOPGRAPH_PROCESSES ?? 'one') !== 'each';
const infra: RunningInfra[] = [];
let stopping = false;

/** Colours only for a terminal: a log file or a pipe gets plain text. */
const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);

function say(message: string): void {
  process.stdout.write(`${paint('1', 'shopgraph')} ${message}\n`);
}

const supervisor = new Supervisor({
  say,
  onSpawn: (name, child) => {
    relay(name, child.stdout);
    relay(name, child.stderr);
  },
  // 0: wait as long as every service keeps making progress (running, or restarting after a crash).
  readyTimeoutMs: Number(process.env.START_TIMEOUT_SECONDS ?? 0) * 1000,
});

async function startInfra(): Promise<{ databaseUrl: string; redisUrl: string }> {
  const postgres = async () => {
    if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
    mkdirSync(dataDir, { recursive: true });
    // As root, Postgres runs as the `postgres` user, which must reach its data directory.
    chmodSync(dataDir, 0o755);
    const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
    // EMBEDDED_PG_SETTINGS: more server settings, space-separated `name=value` (bench:checkout loads pg_stat_statements).
    const settings = process.env.EMBEDDED_PG_SETTINGS?.split(/\s+/).filter(Boolean);
    const pg = await startEmbeddedPostgres({ dataDir: resolve(dataDir, 'postgres'), port, ...(settings ? { settings } : {}) });
    infra.push(pg);
    say(`PostgreSQL (embedded) on 127.0.0.1:${port}, data in ${resolve(dataDir, 'postgres')}`);
    return pg.url;
  };
  const redis = async () => {
    if (process.env.REDIS_URL) return process.env.REDIS_URL;
    const port = Number(process.env.EMBEDDED_REDIS_PORT ?? 63799);
    const server = await startEmbeddedRedis({ port, dataDir: resolve(dataDir, 'redis') });
    infra.push(server);
    say(`Redis (embedded) on 127.0.0.1:${port}`);
    return server.url;
  };
  const [databaseUrl, redisUrl] = await Promise.all([postgres(), redis()]);
  return { databaseUrl, redisUrl };
}

/** Outgoing mail goes to SMTP_URL when set, else to a local sink that keeps every message as an .eml file. */
async function startMailSink(): Promise<string> {
  if (process.env.SMTP_URL) return process.env.SMTP_URL;
  const dir = resolve(dataDir, 'mail');
  const sink = await startSmtpSink({ port: Number(process.env.SMTP_SINK_PORT ?? 1025), dir });
  infra.push({ url: sink.url, stop: () => sink.stop() });
  say(`Mail sink (SMTP) on 127.0.0.1:${sink.port}, every email saved in ${dir}`);
  return sink.url;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: paint('33', 'warn'), 50: paint('31', 'error'), 60: paint('31', 'fatal') };

/** Prints a service's JSON log lines as short readable lines. */
function relay(name: string, stream: NodeJS.ReadableStream | null): void {
  let buffer = '';
  stream?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      // Lines of the shared subgraphs process are labelled with the subgraph that logged them.
      const label = name === 'subgraphs' ? (/"service":"([^"]+)"/.exec(line)?.[1] ?? name) : name;
      if (line.trim()) process.stdout.write(`${label.padEnd(14)} ${format(line)}\n`);
    }
  });
}

function format(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string }; url?: string };
    const extra = entry.err?.message ? ` (${entry.err.message})` : entry.url ? ` ${entry.url}` : '';
    return `${LEVELS[entry.level ?? 30] ?? 'info'} ${entry.msg ?? ''}${extra}`;
  } catch {
    return line;
  }
}

/** `<NAME>_PORT` overrides a service's port (e.g. USERS_PORT, ROUTER_PORT). */
function portOf(spec: ServiceSpec): number {
  return Number(process.env[`${spec.name.toUpperCase()}_PORT`] ?? spec.port);
}

/**
 * Node's arguments for a service: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the kit's telemetry preload runs first
 * (it must patch modules before they load); without it nothing tracing-related is loaded at all.
 */
function nodeArgs(entry: string, bundle: string): string[] {
  const traced = !!process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (sources) return [...(dev ? ['--watch'] : []), '--import', 'tsx', ...(traced ? ['--import', '@shopgraph/kit/telemetry/register'] : []), entry];
  return ['--enable-source-maps', ...(traced ? ['--import', resolve(DIST, 'telemetry-register.js')] : []), resolve(DIST, `${bundle}.js`)];
}

function startService(spec: ServiceSpec, env: NodeJS.ProcessEnv): void {
  supervisor.start({
    name: spec.name,
    port: portOf(spec),
    args: nodeArgs(spec.entry, spec.name),
    env: { ...process.env, OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME ?? spec.name, ...env, PORT: String(portOf(spec)) },
  });
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Router first, then subgraphs, then the infrastructure they use.
  await supervisor.stop();
  for (const running of infra.reverse()) await running.stop().catch(() => {});
  say('stopped');
  process.exit(code);
}

/**
 * Stops the stack when whoever started this script goes away. `kill <pid of npm>` (what IDEs, `timeout`
 * and process managers send) ends npm and its shell but never reaches this process, which would otherwise
 * keep every port; so would a terminal that closes without a SIGHUP.
 */
function stopWithParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    say('the process that started shopgraph has gone; stopping');
    void shutdown(0);
  }, 500);
  timer.unref();
  // With the parent gone, so may be the reader of our output: a closed pipe must not crash the shutdown.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  process.on('SIGHUP', () => void shutdown(0));
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  stopWithParent();
  // The build (about a second, only when a source changed) runs while Postgres and Redis start.
  const [{ databaseUrl, redisUrl }, built] = await Promise.all([startInfra(), sources ? null : buildIfStale()]);
  if (built) say(`built ${built.entries.length} services into dist/ in ${(built.ms / 1000).toFixed(1)}s`);
  const smtpUrl = await startMailSink();
  const keys =
    process.env.ROUTER_PRIVATE_KEY && process.env.ROUTER_PUBLIC_KEY
      ? { privateKey: process.env.ROUTER_PRIVATE_KEY, publicKey: process.env.ROUTER_PUBLIC_KEY }
      : generateRouterKeyPair();
  const internalSecret = process.env.INTERNAL_SECRET ?? randomBytes(32).toString('hex');
  const shared = {
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    REDIS_URL: redisUrl,
    INTERNAL_SECRET: internalSecret,
    // A demo carrier moves fresh shipments along every 20 s, so people can watch an order travel.
    DEMO_CARRIER_INTERVAL_SECONDS: process.env.DEMO_CARRIER_INTERVAL_SECONDS ?? '20',
    SMTP_URL: smtpUrl,
    // Locally, webhooks may go to a receiver on this machine (http://localhost:...); never in production.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: process.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? (process.env.NODE_ENV === 'production' ? 'false' : 'true'),
    // Where subgraphs reach each other for internal operations: PRODUCTS_URL, INVENTORY_URL, ...
    ...Object.fromEntries(SUBGRAPHS.map((spec) => [`${spec.name.toUpperCase()}_URL`, `http://127.0.0.1:${portOf(spec)}/graphql`])),
  };

  // Only the router is meant to be reached from outside; subgraphs listen on loopback unless HOST says otherwise.
  const subgraphEnv = { ...shared, HOST: process.env.HOST ?? '127.0.0.1', ROUTER_PUBLIC_KEY: keys.publicKey };
  const own = Object.fromEntries(
    await Promise.all(
      SUBGRAPHS.map(async (spec) => {
        const url = withDatabase(databaseUrl, spec.database!);
        await ensureDatabase(url);
        return [spec.name, { DATABASE_URL: url, PORT: String(portOf(spec)) }] as const;
      }),
    ),
  );
  if (together) {
    supervisor.start({
      name: 'subgraphs',
      port: portOf(SUBGRAPHS[0]!),
      readyPorts: SUBGRAPHS.map(portOf),
      args: nodeArgs('scripts/subgraphs-together.ts', 'subgraphs'),
      env: { ...process.env, ...subgraphEnv, SHOPGRAPH_SUBGRAPHS: JSON.stringify(own) },
    });
  } else {
    for (const spec of SUBGRAPHS) startService(spec, { ...subgraphEnv, ...own[spec.name] });
  }
  // The router loads the committed supergraph and fetches JWKS lazily, so it can start alongside.
  startService(ROUTER, {
    ...shared,
    // The repository's supergraph (dist/ has a copy), so that `npm run compose` reaches a running router.
    SUPERGRAPH_PATH: process.env.SUPERGRAPH_PATH ?? resolve(ROOT, 'supergraph.graphql'),
    ROUTER_PRIVATE_KEY: keys.privateKey,
    SUBGRAPH_URLS: SUBGRAPHS.map((spec) => `${spec.name}=http://127.0.0.1:${portOf(spec)}/graphql`).join(','),
    JWKS_URL: `http://127.0.0.1:${portOf(SUBGRAPHS.find((s) => s.name === 'users')!)}/.well-known/jwks.json`,
  });
  await supervisor.waitReady(together ? ['subgraphs', ROUTER.name] : [...SUBGRAPHS, ROUTER].map((spec) => spec.name));
  if (shared.NODE_ENV !== 'production' && process.env.SEED_DEMO !== 'false') {
    try {
      const admin = { email: process.env.ADMIN_EMAIL ?? 'admin@example.com', password: process.env.ADMIN_PASSWORD ?? 'admin-password-change-me' };
      await seedDemoCatalogWithRetries(`http://127.0.0.1:${portOf(ROUTER)}/graphql`, admin, say);
    } catch (error) {
      // The shop works without the demo catalog: say what failed and keep serving.
      say(`${paint('31', 'the demo catalog is incomplete:')} ${(error as Error).message}. The next start completes it; SEED_DEMO=false skips it.`);
    }
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  say(`ready in ${seconds}s`);
  say(`${paint('1;32', `http://localhost:${portOf(ROUTER)}/graphql`)}  (Apollo Sandbox in your browser; Ctrl-C stops)`);
}

main().catch(async (error: unknown) => {
  if (!stopping) {
    process.stderr.write(`shopgraph: failed to start: ${(error as Error).message}\n`);
    await shutdown(1);
  }
});
