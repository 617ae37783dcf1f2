/**
 * CPU time of a process tree from /proc (Linux), for benchmarks that report CPU cost per unit of work: on a
 * shared machine CPU-seconds spent are a steadier measure than wall-clock time.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

export interface ProcInfo {
  pid: number;
  ppid: number;
  args: string[];
  /** user + system CPU seconds of the process itself */
  cpu: number;
  /** user + system CPU seconds of its children that ended and were waited for (PostgreSQL's closed backends) */
  reapedCpu: number;
}

/** Every process on the machine. */
export function processes(): ProcInfo[] {
  const list: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      list.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        args: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean),
        cpu: (Number(fields[11]) + Number(fields[12])) / TICKS,
        reapedCpu: (Number(fields[13]) + Number(fields[14])) / TICKS,
      });
    } catch {
      // ended meanwhile
    }
  }
  return list;
}

/** `root` and every process below it. */
export function tree(root: number): ProcInfo[] {
  const all = processes();
  const found = all.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i]!.pid));
  return found;
}

/** The service processes (compiled or tsx) started by the start script. */
export const isService = (p: ProcInfo) => p.args.some((a) => /[/\\]dist[/\\][\w-]+\.js$/.test(a)) || (p.args.includes('tsx') && !p.args.some((a) => a.endsWith('scripts/start.ts')));

/**
 * What a process of the `npm start` tree is: a service by name (`router`, `orders`, ...), `postgres` (the
 * server and its backends), `redis`, or `start script` (which also runs the mail sink).
 */
export function roleOf(p: ProcInfo): string {
  const bundle = p.args.map((a) => /[/\\]dist[/\\]([\w-]+)\.js$/.exec(a)?.[1]).find(Boolean);
  if (bundle) return bundle;
  const source = p.args.map((a) => /(?:subgraphs[/\\]([\w-]+)[/\\]src|(router)[/\\]src)[/\\]/.exec(a)).find(Boolean);
  if (source) return source[1] ?? source[2]!;
  const command = p.args[0] ?? '';
  if (/postgres/.test(command)) return 'postgres';
  if (/redis-server/.test(command)) return 'redis';
  if (p.args.some((a) => a.endsWith('scripts/start.ts'))) return 'start script';
  return command.split('/').pop() ?? 'other';
}

/**
 * CPU seconds by role in the tree under `root`, plus PostgreSQL listening on `postgresPort` if given: `pg_ctl`
 * detaches the server from the tree, so it is found by its port; its ended backends count too (the server's
 * reaped children), so a connection closed between two readings is not lost.
 */
export function cpuByRole(root: number, postgresPort?: number): Map<string, number> {
  const byRole = new Map<string, number>();
  const add = (role: string, cpu: number) => byRole.set(role, (byRole.get(role) ?? 0) + cpu);
  for (const p of tree(root)) add(roleOf(p), p.cpu);
  if (postgresPort !== undefined) for (const [, cpu] of postgresCpu(postgresPort)) add('postgres', cpu);
  return byRole;
}

/**
 * CPU seconds of the PostgreSQL server listening on `port`, by what each process serves: a database's backends
 * (`postgres: <user> shopgraph_orders ...` → `orders`), or `server` for the postmaster, its background processes
 * (WAL writer, checkpointer, autovacuum) and the backends that ended (reaped: their database is no longer known).
 */
export function postgresCpu(port: number): Map<string, number> {
  const byDatabase = new Map<string, number>();
  const add = (key: string, cpu: number) => byDatabase.set(key, (byDatabase.get(key) ?? 0) + cpu);
  const all = processes();
  const server = all.find((p) => /postgres$/.test(p.args[0] ?? '') && p.args.some((a, i) => (a === '-p' && p.args[i + 1] === String(port)) || a === `-p${port}`));
  if (!server) return byDatabase;
  add('server', server.cpu + server.reapedCpu);
  for (const child of all.filter((p) => p.ppid === server.pid)) {
    const database = /^postgres: \S+ (?:shopgraph_)?(\S+) /.exec(child.args.join(' '))?.[1];
    add(database && !database.includes(':') ? database : 'server', child.cpu);
  }
  return byDatabase;
}

/** `after - before` per role. */
export function cpuSpent(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([role, cpu]) => [role, cpu - (before.get(role) ?? 0)]));
}
