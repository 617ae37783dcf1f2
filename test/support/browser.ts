import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

/**
 * Headless Chromium (Debian's `chromium` package) driven over the Chrome DevTools Protocol with nothing but
 * the `ws` package: enough to open a page, read what it shows and take a screenshot.
 */

/** The Chromium binary: `CHROMIUM_PATH`, else `chromium` on PATH; null when there is none. */
export function findChromium(): string | null {
  const candidate = process.env.CHROMIUM_PATH ?? 'chromium';
  const probe = spawnSync(candidate, ['--version'], { stdio: 'ignore', timeout: 20_000 });
  return probe.status === 0 ? candidate : null;
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  sessionId?: string;
}

/** One DevTools WebSocket; commands are matched to answers by id, events go to listeners. */
class CdpConnection {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Set<(message: CdpMessage) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as CdpMessage;
      if (message.id !== undefined) {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`${waiter.method}: ${message.error.message}`));
        else waiter?.resolve(message.result ?? {});
      } else {
        for (const listener of this.listeners) listener(message);
      }
    });
    socket.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${waiter.method}: DevTools connection closed`));
      this.pending.clear();
    });
  }

  static open(url: string): Promise<CdpConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('open', () => resolve(new CdpConnection(socket)));
      socket.once('error', reject);
    });
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: Record<string, unknown>) => void, reject, method });
      this.socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  onEvent(listener: (message: CdpMessage) => void): void {
    this.listeners.add(listener);
  }

  close(): void {
    this.socket.close();
  }
}

interface RemoteObject {
  type: string;
  value?: unknown;
  description?: string;
}

/** A tab. */
export class Page {
  /** Console output and uncaught exceptions of the page, for failure messages. */
  readonly logs: string[] = [];

  constructor(
    private readonly cdp: CdpConnection,
    private readonly targetId: string,
    private readonly sessionId: string,
  ) {
    cdp.onEvent((message) => {
      if (message.sessionId !== sessionId) return;
      if (message.method === 'Runtime.consoleAPICalled') {
        const params = message.params as { type: string; args: RemoteObject[] };
        this.logs.push(`console.${params.type}: ${params.args.map((a) => a.value ?? a.description ?? a.type).join(' ')}`);
      } else if (message.method === 'Runtime.exceptionThrown') {
        const details = (message.params as { exceptionDetails: { text: string; exception?: RemoteObject } }).exceptionDetails;
        this.logs.push(`exception: ${details.exception?.description ?? details.text}`);
      }
    });
  }

  /** Starts loading `url`; poll with `evaluate` for what it should show. */
  async navigate(url: string): Promise<void> {
    const result = await this.cdp.send<{ errorText?: string }>('Page.navigate', { url }, this.sessionId);
    if (result.errorText) throw new Error(`navigation to ${url} failed: ${result.errorText}`);
  }

  /** Evaluates a JavaScript expression in the page and returns its value (JSON-serialisable values only). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.cdp.send<{ result: RemoteObject; exceptionDetails?: { text: string; exception?: RemoteObject } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
      this.sessionId,
    );
    if (exceptionDetails) throw new Error(`evaluate failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value as T;
  }

  /** Closes the tab (its WebSockets close with it). */
  async close(): Promise<void> {
    await this.cdp.send('Target.closeTarget', { targetId: this.targetId });
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    const { data } = await this.cdp.send<{ data: string }>('Page.captureScreenshot', { format: 'png' }, this.sessionId);
    return Buffer.from(data, 'base64');
  }
}

export interface Browser {
  newPage(): Promise<Page>;
  /** Closes the browser, kills its process group and removes its profile. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts headless Chromium with a throw-away profile and connects to its DevTools endpoint. */
export async function launchBrowser(options: { executable?: string; width?: number; height?: number } = {}): Promise<Browser> {
  const executable = options.executable ?? findChromium();
  if (!executable) throw new Error('Chromium not found: install Debian\'s "chromium" package or set CHROMIUM_PATH');
  const profile = mkdtempSync(join(tmpdir(), 'shopgraph-chromium-'));
  const child = spawn(
    executable,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      `--window-size=${options.width ?? 1000},${options.height ?? 900}`,
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    // Its own process group: Chromium's renderer and helper processes go down with it.
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );

  let closed = false;
  const close = async (cdp?: CdpConnection) => {
    if (closed) return;
    closed = true;
    if (cdp) await cdp.send('Browser.close').catch(() => undefined);
    cdp?.close();
    await killGroup(child);
    rmSync(profile, { recursive: true, force: true });
  };

  let cdp: CdpConnection;
  try {
    cdp = await CdpConnection.open(await devToolsUrl(child));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    newPage: async () => {
      const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
      const page = new Page(cdp, targetId, sessionId);
      await cdp.send('Runtime.enable', {}, sessionId);
      await cdp.send('Page.enable', {}, sessionId);
      return page;
    },
    close: () => close(cdp),
  };
}

/** Reads "DevTools listening on ws://..." from Chromium's stderr. */
function devToolsUrl(child: ChildProcess, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => finish(new Error(`Chromium did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match) finish(null, match[1]);
    };
    const onExit = (code: number | null) => finish(new Error(`Chromium exited (${code}) before DevTools was ready:\n${output}`));
    const onError = (error: Error) => finish(error);
    function finish(error: Error | null, url?: string) {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining stderr so Chromium never blocks on a full pipe.
      child.stderr!.resume();
      if (error) reject(error);
      else resolve(url!);
    }
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** SIGTERM to the whole process group, SIGKILL if it is still there after a moment. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
  // Helpers that outlived the main process.
  signal('SIGKILL');
}
