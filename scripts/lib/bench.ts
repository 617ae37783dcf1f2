/** Small pieces every benchmark script uses: arguments, GraphQL calls over HTTP, percentiles, CPU time. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc figures. */
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU time process `pid` has used so far (user + system), seconds, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

/**
 * Prints the command that reproduces this run, as the first line of a benchmark's output:
 * `$ npm run bench:<name> -- <arguments>` (scripts/bench-<name>.ts is the `bench:<name>` npm script).
 */
export function printCommand(): void {
  const name = /bench-([\w-]+)\.ts$/.exec(process.argv[1] ?? '')?.[1];
  const args = process.argv.slice(2).map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`));
  console.log(`$ npm run ${name ? `bench:${name}` : process.argv[1]}${args.length ? ` -- ${args.join(' ')}` : ''}`);
}

/**
 * `--profile <dir>`: the environment that makes every Node process of a stack started with it write a V8 CPU
 * profile into <dir> when it stops (summarise one with `node --import tsx scripts/profile-top.ts <file>`).
 */
export function profilingEnv(): Record<string, string> {
  const dir = stringArg('profile');
  return dir ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim() } : {};
}

/** `--name <number>` from the command line, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** `--name <value>` from the command line, or undefined. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `--name 1,2,3` from the command line, or `fallback`. */
export function listArg(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]!.split(',').map(Number) : fallback;
}

type Response<T> = { data?: T; errors?: Array<{ message: string }> };

/** One GraphQL operation over HTTP; throws on any error, so a benchmark never counts a failure as done. */
export async function call<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Response<T>;
  if (body.errors?.length || !body.data) throw new Error(`GraphQL error: ${body.errors?.[0]?.message ?? res.status}`);
  return body.data;
}

/** The `p` quantile (0..1) of `values` (nearest rank); NaN for none. */
export function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/**
 * Sends `body` to `url` from `concurrency` clients for `seconds`, and prints requests/s, p50 and p99. An answer
 * counts as an error unless it is HTTP 2xx without GraphQL errors and lists at least one product.
 */
export async function loadProducts(
  label: string,
  url: string,
  body: string,
  options: { seconds: number; concurrency: number; headers?: () => Promise<Record<string, string>> },
): Promise<void> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await options.headers?.()) }, body });
      const json = (await res.json()) as { errors?: unknown; data?: { products?: { edges?: unknown[] } } };
      latencies.push(performance.now() - started);
      if (!res.ok || json.errors || !json.data?.products?.edges?.length) errors += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  console.log(
    `${label.padEnd(34)} ${(latencies.length / elapsed).toFixed(0).padStart(6)} req/s   p50 ${quantile(latencies, 0.5).toFixed(1).padStart(6)} ms   p99 ${quantile(latencies, 0.99).toFixed(1).padStart(6)} ms   (${latencies.length} requests, ${errors} errors)`,
  );
}
