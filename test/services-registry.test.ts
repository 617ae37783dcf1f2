/**
 * The service registry (scripts/services.ts) is the one declaration of every service: whatever else lists
 * services is written from it (`npm run services`) or must agree with it. A service declared in one place
 * and missing, or different, in another fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { routerEnvShape } from '../router/src/env.ts';
import { buildEntries, ROOT } from '../scripts/build.ts';
import { envName, ROUTER, SERVICES, SUBGRAPHS, WORKERS } from '../scripts/services.ts';
import { generatedFiles, render } from '../scripts/services-sync.ts';
import { SUBGRAPHS as STACK } from './support/stack.ts';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const port = (name: string) => SUBGRAPHS.find((s) => s.name === name)!.port;
/** The default of a zod field (what a service uses when the variable is unset). */
const defaultOf = (schema: unknown) => (schema as { parse(value: unknown): unknown }).parse(undefined);

describe('service registry', () => {
  it('declares each service once, with its own port, and every folder of subgraphs/', () => {
    expect(new Set(SERVICES.map((s) => s.name)).size).toBe(SERVICES.length);
    const ports = SERVICES.filter((s) => s.port !== null).map((s) => s.port);
    expect(new Set(ports).size).toBe(ports.length);
    const folders = readdirSync(join(ROOT, 'subgraphs'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(SUBGRAPHS.map((s) => s.name).sort()).toEqual(folders.sort());
    for (const s of SERVICES) expect(() => read(s.entry), s.entry).not.toThrow();
    for (const s of SUBGRAPHS) for (const callee of s.calls) expect(SUBGRAPHS.map((c) => c.name), `${s.name} calls ${callee}`).toContain(callee);
    expect(WORKERS.map((w) => w.of).sort()).toEqual(SUBGRAPHS.filter((s) => readdirSync(join(ROOT, 'subgraphs', s.name, 'src')).includes('worker.ts')).map((s) => s.name).sort());
    // A worker process runs its subgraph definition's `worker` through the kit's runWorker.
    for (const w of WORKERS) {
      expect(STACK[w.of as keyof typeof STACK].worker, `${w.of} has src/worker.ts but its definition declares no worker`).toBeTypeOf('function');
      expect(read(w.entry), w.entry).toMatch(/runWorker\(/);
    }
  });

  it('generated regions of supergraph.yaml, docker-compose.yml and .env.example are up to date (npm run services)', () => {
    for (const [file, regions] of Object.entries(generatedFiles())) {
      const text = read(file);
      expect(render(file, text, regions), `${file} is stale: run npm run services`).toBe(text);
    }
  });

  it('supergraph.yaml composes exactly the registered subgraphs, from their folders', () => {
    const config = parse(read('supergraph.yaml')) as { subgraphs: Record<string, { routing_url: string; schema: { file: string } }> };
    expect(Object.keys(config.subgraphs)).toEqual(SUBGRAPHS.map((s) => s.name));
    for (const s of SUBGRAPHS) {
      expect(config.subgraphs[s.name]).toEqual({ routing_url: `http://localhost:${s.port}/graphql`, schema: { file: `./subgraphs/${s.name}/schema.graphql` } });
    }
  });

  it('docker-compose.yml runs every subgraph on its port and database, and the router reaches each', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { build?: { args?: { SERVICE?: string } }; environment?: Record<string, string | number>; depends_on?: Record<string, unknown> }>;
    };
    for (const s of SUBGRAPHS) {
      const service = compose.services[s.name];
      expect(service?.build?.args?.SERVICE, s.name).toBe(s.name);
      expect(Number(service!.environment!.PORT)).toBe(s.port);
      expect(String(service!.environment!.DATABASE_URL)).toMatch(new RegExp(`^postgres://${s.name}_svc:.*@postgres:5432/${s.database}$`));
      for (const callee of s.calls) expect(service!.environment![`${envName(callee)}_URL`]).toBe(`http://${callee}:${port(callee)}/graphql`);
    }
    const router = compose.services.router!;
    expect(router.build?.args?.SERVICE).toBe('router');
    expect(Number(router.environment!.PORT)).toBe(ROUTER.port);
    expect(String(router.environment!.SUBGRAPH_URLS).split(',')).toEqual(SUBGRAPHS.map((s) => `${s.name}=http://${s.name}:${s.port}/graphql`));
    expect(String(router.environment!.JWKS_URL)).toBe(`http://users:${port('users')}/.well-known/jwks.json`);
    for (const s of SUBGRAPHS) expect(router.depends_on, `router waits for ${s.name}`).toHaveProperty(s.name);
    // One database and role per subgraph: init.sh creates those compose names, and has no list of its own.
    expect(String(compose.services.postgres!.environment!.SHOPGRAPH_SUBGRAPHS).split(' ')).toEqual(SUBGRAPHS.map((s) => s.name));
    const init = read('docker/postgres/init.sh');
    expect(init).toContain('subgraphs="${SHOPGRAPH_SUBGRAPHS:?');
    expect(init).toContain('shopgraph_${name}');
    for (const s of SUBGRAPHS) expect(s.database).toBe(`shopgraph_${s.name}`);
  });

  it('the test stack starts every registered subgraph, each after the subgraphs it calls', () => {
    const order = Object.keys(STACK);
    expect([...order].sort()).toEqual(SUBGRAPHS.map((s) => s.name).sort());
    for (const s of SUBGRAPHS) for (const callee of s.calls) expect(order.indexOf(callee), `${callee} before ${s.name}`).toBeLessThan(order.indexOf(s.name));
  });

  it("each subgraph's env defaults are its registered port and the URLs of exactly the subgraphs it calls", () => {
    const names = new Set(SUBGRAPHS.map((s) => envName(s.name)));
    for (const s of SUBGRAPHS) {
      const shape = STACK[s.name as keyof typeof STACK].envShape as Record<string, unknown>;
      expect(Number(defaultOf(shape.PORT)), `${s.name} PORT`).toBe(s.port);
      const urls = Object.keys(shape).filter((key) => key.endsWith('_URL') && names.has(key.slice(0, -4)));
      expect(urls.sort(), `${s.name} calls`).toEqual(s.calls.map((c) => `${envName(c)}_URL`).sort());
      for (const callee of s.calls) expect(defaultOf(shape[`${envName(callee)}_URL`]), `${s.name} ${callee}`).toBe(`http://127.0.0.1:${port(callee)}/graphql`);
    }
    expect(Number(defaultOf(routerEnvShape.PORT))).toBe(ROUTER.port);
    expect(defaultOf(routerEnvShape.JWKS_URL)).toBe(`http://127.0.0.1:${port('users')}/.well-known/jwks.json`);
  });

  it('npm run build bundles every service, and the image and npm start find them by name', () => {
    expect(Object.keys(buildEntries())).toEqual([...SERVICES.map((s) => s.name), 'subgraphs', 'keygen', 'telemetry-register']);
    expect(read('Dockerfile')).toContain('dist/${SERVICE}.js');
  });

  it('no source imports a package for its side effects alone (the build drops unused package imports)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) {
          if (entry.name !== 'node_modules' && entry.name !== 'test') walk(path);
        } else if (entry.name.endsWith('.ts') && /^import\s+['"][^./]/m.test(read(path))) offenders.push(path);
      }
    };
    for (const dir of ['router/src', 'packages/kit/src', ...SUBGRAPHS.map((s) => `subgraphs/${s.name}/src`)]) walk(dir);
    expect(offenders).toEqual([]);
  });
});
