/**
 * Runs the stack's services as child processes for `npm start`: restarts one that crashes (with
 * backoff, saying so), waits for readiness on progress rather than a fixed deadline, and stops them in
 * reverse start order.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface ServiceProcess {
  name: string;
  port: number;
  /** Ports that must all answer /readyz before the service is ready (several subgraphs in one process); default `port`. */
  readyPorts?: number[];
  /** Arguments to `node` (the current executable). */
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  /** Prints a supervisor line (`shopgraph …`). */
  say(message: string): void;
  /** Called with each new process, to relay its output. */
  onSpawn?(name: string, child: ChildProcess): void;
  /** First restart delay; doubles on each crash in a row, up to `maxRestartDelayMs`. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A service that stays up this long has its crash count forgiven. */
  stableAfterMs?: number;
  /** How long a service may take to get ready; 0 waits as long as it keeps running. */
  readyTimeoutMs?: number;
  /** How often to say that a service is still starting. */
  progressEveryMs?: number;
  /** Crashes in a row before the first readiness after which start-up gives up on a service. */
  maxCrashesBeforeReady?: number;
}

interface Supervised {
  spec: ServiceProcess;
  child: ChildProcess;
  /** Crashes in a row (reset once the service has been up for `stableAfterMs`). */
  crashes: number;
  startedAt: number;
  lastExit?: string;
  restartTimer?: NodeJS.Timeout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Supervisor {
  private readonly services: Supervised[] = [];
  private stopping = false;
  private readonly options: Required<Omit<SupervisorOptions, 'onSpawn'>> & Pick<SupervisorOptions, 'onSpawn'>;

  constructor(options: SupervisorOptions) {
    this.options = {
      restartDelayMs: 1_000,
      maxRestartDelayMs: 30_000,
      stableAfterMs: 60_000,
      readyTimeoutMs: 0,
      progressEveryMs: 15_000,
      maxCrashesBeforeReady: 5,
      ...options,
    };
  }

  /** Starts a service; it is restarted whenever it exits until {@link stop}. */
  start(spec: ServiceProcess): void {
    const entry: Supervised = { spec, child: this.spawn(spec), crashes: 0, startedAt: Date.now() };
    this.services.push(entry);
    this.watch(entry);
  }

  /** The current process of a service (it changes when the service is restarted). */
  processOf(name: string): ChildProcess | undefined {
    return this.services.find((s) => s.spec.name === name)?.child;
  }

  private spawn(spec: ServiceProcess): ChildProcess {
    const child = spawn(process.execPath, spec.args, {
      env: { ...spec.env, SHOPGRAPH_SUPERVISED: '1' },
      // Own process group: Ctrl-C reaches the supervisor only, which then stops services in order. The stdin
      // pipe closes if the supervisor dies, and the service then stops by itself (see the kit's Lifecycle).
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A service that exits closes its end of the pipe; writes to it must not crash the supervisor.
    child.stdin?.on('error', () => {});
    this.options.onSpawn?.(spec.name, child);
    return child;
  }

  private watch(entry: Supervised): void {
    entry.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const upFor = Date.now() - entry.startedAt;
      entry.crashes = upFor >= this.options.stableAfterMs ? 1 : entry.crashes + 1;
      entry.lastExit = signal ?? `exit code ${code}`;
      const delay = Math.min(this.options.restartDelayMs * 2 ** (entry.crashes - 1), this.options.maxRestartDelayMs);
      this.options.say(`${entry.spec.name} exited (${entry.lastExit}); restarting it in ${(delay / 1000).toFixed(1)}s (crash ${entry.crashes} in a row)`);
      entry.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        entry.child = this.spawn(entry.spec);
        entry.startedAt = Date.now();
        this.watch(entry);
      }, delay);
    });
  }

  /**
   * Resolves once every named service answers 200 on `http://127.0.0.1:<port>/readyz` (on each of its ports). Waits as long as
   * the services make progress (they keep running, or restart after a crash), saying every so often which
   * are still starting; gives up only on the configured timeout or on a service that keeps crashing
   * before it is ever ready, with a message that names the service and says what to do.
   */
  async waitReady(names: string[]): Promise<void> {
    const pending = new Set(names.map((name) => {
      const entry = this.services.find((s) => s.spec.name === name);
      if (!entry) throw new Error(`unknown service ${name}`);
      return entry;
    }));
    const started = Date.now();
    let nextNote = started + this.options.progressEveryMs;
    while (pending.size > 0) {
      if (this.stopping) throw new Error('stopping');
      const probes = await Promise.all(
        [...pending].map(async (entry) => [entry, (await Promise.all((entry.spec.readyPorts ?? [entry.spec.port]).map(isReady))).every(Boolean)] as const),
      );
      for (const [entry, ready] of probes) if (ready) pending.delete(entry);
      if (pending.size === 0) return;
      const waited = Date.now() - started;
      for (const entry of pending) {
        if (entry.crashes >= this.options.maxCrashesBeforeReady) {
          throw new Error(
            `${entry.spec.name} exited ${entry.crashes} times before it was ever ready (last: ${entry.lastExit}); its log lines above say why ` +
              `(a port in use? set ${entry.spec.name.toUpperCase()}_PORT)`,
          );
        }
      }
      if (this.options.readyTimeoutMs > 0 && waited >= this.options.readyTimeoutMs) {
        const names = [...pending].map((entry) => `${entry.spec.name} (port ${entry.spec.port})`).join(', ');
        throw new Error(
          `not ready after ${Math.round(waited / 1000)}s: ${names}; their log lines above say why. ` +
            `On a slow machine give them longer with START_TIMEOUT_SECONDS (now ${this.options.readyTimeoutMs / 1000}; 0 waits as long as they run)`,
        );
      }
      if (Date.now() >= nextNote) {
        nextNote += this.options.progressEveryMs;
        const states = [...pending].map((entry) =>
          entry.child.exitCode === null && entry.child.signalCode === null ? entry.spec.name : `${entry.spec.name} (restarting after ${entry.lastExit})`,
        );
        this.options.say(`still starting after ${Math.round(waited / 1000)}s: ${states.join(', ')}`);
      }
      await sleep(200);
    }
  }

  /** Stops every service, the last started first: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const entry of [...this.services].reverse()) {
      clearTimeout(entry.restartTimer);
      const { child } = entry;
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** Whether the service on `port` answers 200 on `/readyz`. */
export async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Runs `step` until it succeeds, waiting `delays[i]` after the i-th failure; rethrows after the last.
 * `onRetry` hears each failure that will be retried.
 */
export async function withRetries<T>(step: () => Promise<T>, delays: number[], onRetry: (error: Error, delayMs: number, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const delay = delays[attempt - 1];
      if (delay === undefined) throw error;
      onRetry(error as Error, delay, attempt);
      await sleep(delay);
    }
  }
}
