import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, isListening } from '@shopgraph/kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor, type SupervisorOptions } from '../scripts/lib/supervisor.ts';

/**
 * The process supervisor behind `npm start`, driven with real child processes (test/fixtures/service.mjs)
 * that start slowly, crash, or crash later.
 */

const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));
const dirs: string[] = [];
const supervisors: Supervisor[] = [];

afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.stop(2_000);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function supervisor(options: Partial<SupervisorOptions> = {}) {
  const said: string[] = [];
  const created = new Supervisor({ say: (line) => said.push(line), restartDelayMs: 100, progressEveryMs: 200, ...options });
  supervisors.push(created);
  return { supervisor: created, said };
}

async function service(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'shopgraph-supervisor-'));
  dirs.push(dir);
  const port = await freePort();
  const startsFile = join(dir, 'starts');
  return {
    port,
    spec: (name: string) => ({ name, port, args: [SERVICE], env: { ...process.env, PORT: String(port), STARTS_FILE: startsFile, ...env } }),
    starts: () => {
      try {
        return readFileSync(startsFile, 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    },
  };
}

describe('npm start supervisor', () => {
  it('waits for a slow service as long as it is running, saying which ones are still starting', async () => {
    const { supervisor: sup, said } = supervisor();
    const slow = await service({ READY_AFTER_MS: '2500' });
    const quick = await service();
    sup.start(slow.spec('slow'));
    sup.start(quick.spec('quick'));
    await sup.waitReady(['slow', 'quick']);
    const notes = said.filter((line) => line.startsWith('still starting'));
    expect(notes.length).toBeGreaterThan(0);
    for (const note of notes) expect(note).toMatch(/^still starting after \d+s: (quick, )?slow(, quick)?$/);
    expect(said.some((line) => line.includes('exited'))).toBe(false);
  });

  it('gives up on a configured timeout, naming the service, its port and the variable that gives it longer', async () => {
    const { supervisor: sup } = supervisor({ readyTimeoutMs: 1_000 });
    const never = await service({ READY_AFTER_MS: '600000' });
    sup.start(never.spec('pricing'));
    await expect(sup.waitReady(['pricing'])).rejects.toThrow(
      new RegExp(`not ready after \\d+s: pricing \\(port ${never.port}\\).*START_TIMEOUT_SECONDS`),
    );
  });

  it('restarts a service that crashes while starting, says so, and waits for it', async () => {
    const { supervisor: sup, said } = supervisor();
    const flaky = await service({ CRASHES: '2' });
    sup.start(flaky.spec('orders'));
    await sup.waitReady(['orders']);
    expect(flaky.starts()).toBe(3);
    expect(said.filter((line) => line.startsWith('orders exited (exit code 3); restarting it in'))).toHaveLength(2);
  });

  it('gives up on a service that keeps crashing before it is ever ready, and says why', async () => {
    const { supervisor: sup } = supervisor({ maxCrashesBeforeReady: 3 });
    const broken = await service({ CRASHES: '1000' });
    sup.start(broken.spec('users'));
    await expect(sup.waitReady(['users'])).rejects.toThrow(/users exited 3 times before it was ever ready \(last: exit code 3\)/);
  });

  it('brings back a service that crashes after it was ready, and keeps the others running', async () => {
    const { supervisor: sup, said } = supervisor();
    const crashing = await service({ CRASH_FIRST_AFTER_MS: '500' });
    const steady = await service();
    sup.start(crashing.spec('inventory'));
    sup.start(steady.spec('products'));
    await sup.waitReady(['inventory', 'products']);
    const steadyPid = sup.processOf('products')!.pid;
    for (let i = 0; i < 100 && crashing.starts() < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(crashing.starts()).toBe(2);
    await sup.waitReady(['inventory']);
    expect(said).toContainEqual(expect.stringMatching(/^inventory exited \(exit code 3\); restarting it in 0\.1s \(crash 1 in a row\)$/));
    expect(sup.processOf('products')!.pid).toBe(steadyPid);
  });

  it('stops every service, and restarts none after stop', async () => {
    const { supervisor: sup, said } = supervisor();
    const a = await service();
    const b = await service();
    sup.start(a.spec('a'));
    sup.start(b.spec('b'));
    await sup.waitReady(['a', 'b']);
    await sup.stop();
    expect(await isListening(a.port)).toBe(false);
    expect(await isListening(b.port)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.starts() + b.starts()).toBe(2);
    expect(said.some((line) => line.includes('restarting'))).toBe(false);
  });
});
