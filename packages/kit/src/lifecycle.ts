import type { Logger } from './logger.ts';

type Stopper = () => Promise<void> | void;

/**
 * Collects what a process must close on shutdown and closes it in reverse order on SIGINT/SIGTERM.
 * A second signal, or a stop slower than `timeoutMs`, exits at once.
 */
export class Lifecycle {
  private readonly stoppers: Array<{ name: string; stop: Stopper }> = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 15_000,
  ) {}

  /** Registers something to close on shutdown; the last registered closes first. */
  onStop(name: string, stop: Stopper): void {
    this.stoppers.push({ name, stop });
  }

  /** Closes everything registered, in reverse order. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, stop } of [...this.stoppers].reverse()) {
        try {
          await stop();
        } catch (error) {
          this.logger.error({ err: error, name }, 'error while stopping');
        }
      }
    })();
    return this.stopping;
  }

  /** Installs SIGINT/SIGTERM handlers that stop and exit. */
  handleSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        this.logger.warn({ signal }, 'second signal, exiting now');
        process.exit(1);
      }
      this.logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        this.logger.error('shutdown timed out, exiting');
        process.exit(1);
      }, this.timeoutMs);
      timer.unref();
      void this.stop().then(() => process.exit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Under `npm start` each service runs in its own process group with a pipe on stdin: when the
    // supervisor dies without stopping us (kill -9), the pipe closes and we stop instead of lingering.
    if (process.env.SHOPGRAPH_SUPERVISED === '1') {
      process.stdin.on('end', () => onSignal('SIGTERM'));
      process.stdin.on('error', () => onSignal('SIGTERM'));
      process.stdin.resume();
    }
  }
}

/**
 * Runs a service's `main()`: creates its {@link Lifecycle}, installs signal handlers, and exits with
 * status 1 (after logging) when start-up fails.
 */
export function runService(logger: Logger, main: (lifecycle: Lifecycle) => Promise<void>): void {
  const lifecycle = new Lifecycle(logger);
  lifecycle.handleSignals();
  main(lifecycle).catch(async (error: unknown) => {
    logger.fatal({ err: error }, 'failed to start');
    await lifecycle.stop();
    process.exit(1);
  });
}
