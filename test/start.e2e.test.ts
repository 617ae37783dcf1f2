import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { basename, join, sep } from 'node:path';
import { freePort, gql, isListening } from '@shopgraph/kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { isReady } from '../scripts/lib/supervisor.ts';
import { ROUTER, SUBGRAPHS } from '../scripts/services.ts';

/**
 * `npm start` as a user runs it: embedded Postgres and Redis, the subgraphs in one process and the router in
 * another (then, on the second start, a process per service), Ctrl-C
 * stops everything, and a second start finds the data of the first.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'shopgraph-start-'));
const running: ChildProcess[] = [];

afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function ports() {
  const ports: Record<string, number> = { EMBEDDED_PG_PORT: await freePort(), EMBEDDED_REDIS_PORT: await freePort(), ROUTER_PORT: await freePort(), SMTP_SINK_PORT: await freePort() };
  for (const spec of SUBGRAPHS) ports[`${spec.name.toUpperCase()}_PORT`] = await freePort();
  return ports;
}

/**
 * Starts `scripts/start.ts` directly, or through `npm start` as a user would (`viaNpm`); `processes: 'each'`
 * runs every service in its own process instead of the subgraphs together.
 */
function start(portEnv: Record<string, number>, viaNpm = false, processes?: 'each'): Promise<{ child: ChildProcess; output: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SHOPGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.SHOPGRAPH_PROCESSES;
  if (processes) env.SHOPGRAPH_PROCESSES = processes;
  // The embedded defaults are what is under test, not the servers of the test run.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  env.NODE_ENV = 'development';
  for (const [key, value] of Object.entries(portEnv)) env[key] = String(value);
  const child = viaNpm
    ? spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    // Generous: on a busy machine the stack waits for its services as long as they make progress.
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 300_000);
    child.stdout!.on('data', () => {
      if (output.includes(`http://localhost:${portEnv.ROUTER_PORT}/graphql`)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

/** An IPv4 address of this machine other than loopback, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}


/** The bundles that `child`'s service processes run (Linux; elsewhere nothing is checked). */
function expectBundles(child: ChildProcess, bundles: string[]): void {
  if (!existsSync('/proc/self/stat')) return;
  const services = childProcesses(child.pid!).filter((p) => p.args.some((a) => a.includes(`${sep}dist${sep}`)));
  expect(services.map((p) => basename(p.args.at(-1)!)).sort()).toEqual([...bundles].sort());
  for (const service of services) {
    expect(service.args).toContain('--enable-source-maps');
    expect(service.args.join(' ')).not.toContain('tsx');
    expect(realpathSync(service.exe)).toBe(realpathSync(process.execPath));
  }
}

/** Arguments and executable of each child process of `pid` (Linux /proc). */
function childProcesses(pid: number): Array<{ args: string[]; exe: string }> {
  const children: Array<{ args: string[]; exe: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      children.push({ args: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean), exe: readlinkSync(`/proc/${entry}/exe`) });
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

describe('npm start', () => {
  it('starts the stack, serves Sandbox and GraphQL, stops cleanly on Ctrl-C or when killed, and keeps data', async () => {
    const portEnv = await ports();
    const url = `http://127.0.0.1:${portEnv.ROUTER_PORT}/graphql`;
    const first = await start(portEnv);

    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('embeddable-sandbox');
    // The local mail sink the notifications subgraph sends to.
    expect(await isListening(portEnv.SMTP_SINK_PORT!)).toBe(true);
    // Only the router is for clients: subgraphs listen on loopback alone.
    const outside = externalAddress();
    if (outside) {
      expect(await isListening(portEnv.ROUTER_PORT!, outside)).toBe(true);
      expect(await isListening(portEnv.PRODUCTS_PORT!, outside)).toBe(false);
    }
    // By default the subgraphs share one process and the router has its own; each runs its bundle from dist/
    // (no tsx), with source maps, on the Node that runs the tests (24). Every subgraph answers on its own port.
    expectBundles(first.child, ['router.js', 'subgraphs.js']);
    for (const spec of SUBGRAPHS) expect(await isReady(portEnv[`${spec.name.toUpperCase()}_PORT`]!)).toBe(true);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
    // Output to a file or pipe is plain text, one line an event.
    expect(first.output()).not.toContain('\x1b[');
    expect(first.output()).not.toContain('Mode: unmanaged');

    // The demo catalog is seeded: query 1 of the README spans four subgraphs.
    const catalog = await gql(url, `{ categories { slug } products(first: 20, filter: { search: "wool", categorySlug: "apparel" }) {
      edges { node { name category { name } price { amount currency formatted } inStock stock { available } shippingEstimate(country: "DE") { amount days } } } } }`);
    expect(catalog.errors).toBeUndefined();
    expect(catalog.data!.categories.length).toBeGreaterThanOrEqual(12);
    expect(catalog.data!.products.edges.length).toBeGreaterThan(5);
    expect(catalog.data!.products.edges[0].node).toMatchObject({ price: { currency: 'EUR' }, shippingEstimate: { days: expect.any(Number) } });

    const email = `persisted-${Date.now()}@example.com`;
    const registered = await gql(url, 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', {
      i: { email, password: 'a long enough password', name: 'Persisted' },
    });
    expect(registered.errors).toBeUndefined();

    expect(await stop(first.child)).toBe(0);
    for (const port of Object.values(portEnv)) expect(await isListening(port)).toBe(false);

    const LOGIN = 'mutation($e: String!) { login(email: $e, password: "a long enough password") { user { id } } }';
    // A process per service, as deployed.
    const second = await start(portEnv, false, 'each');
    expectBundles(second.child, [...SUBGRAPHS, ROUTER].map((s) => `${s.name}.js`));
    const login = await gql(url, LOGIN, { e: email });
    expect(login.data?.login.user.id).toBe(registered.data!.register.user.id);

    // A supervisor killed outright leaves no service behind: each notices its closed stdin and stops.
    second.child.kill('SIGKILL');
    const servicePorts = Object.entries(portEnv).filter(([key]) => !key.startsWith('EMBEDDED_')).map(([, port]) => port);
    for (let i = 0; i < 150 && (await Promise.all(servicePorts.map((port) => isListening(port)))).some(Boolean); i++) await new Promise((r) => setTimeout(r, 100));
    for (const port of servicePorts) expect(await isListening(port)).toBe(false);

    // The next start takes over the PostgreSQL server the killed one left running; this one through npm.
    const third = await start(portEnv, true);
    expect((await gql(url, LOGIN, { e: email })).data?.login.user.id).toBe(registered.data!.register.user.id);
    // `kill <pid of npm>` (SIGTERM, what IDEs, `timeout` and process managers send) stops the whole stack.
    third.child.kill('SIGTERM');
    for (let i = 0; i < 1200 && !third.output().includes('shopgraph stopped'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(third.output()).toContain('shopgraph stopped');
    for (const port of Object.values(portEnv)) expect(await isListening(port)).toBe(false);
  }, 900_000);
});
