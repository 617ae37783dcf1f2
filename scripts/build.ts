/**
 * `npm run build`: bundles every service of the registry (scripts/services.ts) into dist/<name>.js with
 * esbuild, plus dist/subgraphs.js (every subgraph in one process, what `npm start` runs by default) and
 * dist/keygen.js (the compose stack's one-shot credentials job), and writes dist/services.json.
 *
 * - ESM, one file per service, linked source maps (run with `node --enable-source-maps`).
 * - Packages from node_modules stay external (the image installs runtime dependencies with `npm ci
 *   --omit=dev`); workspace packages (@shopgraph/kit) are bundled, and the kit is side-effect free
 *   (`"sideEffects": false`), so a service loads only the kit modules, and their dependencies, it uses.
 * - drizzle-orm is bundled too: Node 24 (24.21, 24.22) reads a package's package.json once per module it
 *   loads, and drizzle-orm's is 180 kB for ~70 modules: importing it from node_modules costs 2 CPU-s and
 *   ~200 MB per process (0.15 s and ~50 MB on Node 20). Bundled, it costs neither. `postgres` stays external:
 *   patches/ applies to it in node_modules.
 * - Files a module reads beside itself (`new URL('../schema.graphql', import.meta.url)`: schemas, migrations,
 *   templates, the tracking page, supergraph.graphql) are copied into dist/ at their repository paths, and
 *   each module's `import.meta.url` is rewritten to its repository path under dist/: dist/ is self-contained.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build as esbuild, type Plugin } from 'esbuild';
import { SERVICES } from './services.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');

/** Packages bundled into the services rather than loaded from node_modules (see above). */
const BUNDLED = [/^@shopgraph\//, /^drizzle-orm(\/|$)/];

/** Build entries: every service, all subgraphs in one process, the credentials job, and the tracing preload. */
export function buildEntries(): Record<string, string> {
  return { ...Object.fromEntries(SERVICES.map((s) => [s.name, s.entry])), subgraphs: 'scripts/subgraphs-together.ts', keygen: 'scripts/keygen.ts', 'telemetry-register': 'packages/kit/src/telemetry/register.ts' };
}

const LITERAL_URL = /new URL\(\s*(['"`])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;

/**
 * Bundles workspace sources; every other bare import (npm packages, node: builtins) stays external. Rewrites
 * `import.meta.url` to the module's repository path under dist/, and collects the files the module reads
 * beside itself, to copy.
 */
function workspacePlugin(assets: Set<string>): Plugin {
  return {
    name: 'shopgraph-workspace',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (BUNDLED.some((pattern) => pattern.test(args.path))) return undefined;
        // An import whose names go unused is dropped (esbuild keeps unknown packages' imports for their side
        // effects otherwise): a kit module the router uses for one helper must not make it load @apollo/subgraph.
        // Our sources import no package for its side effects alone (test/services-registry.test.ts checks).
        return { path: args.path, external: true, sideEffects: false };
      });
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const rel = relative(ROOT, args.path);
        for (const match of source.matchAll(LITERAL_URL)) {
          // Not in a comment (a doc example of the pattern).
          const line = source.slice(source.lastIndexOf('\n', match.index) + 1, match.index).trim();
          if (line.startsWith('*') || line.startsWith('/*') || line.startsWith('//')) continue;
          assets.add(relative(ROOT, resolve(dirname(args.path), match[2]!)));
        }
        // Files beside a module that reads them by computed name (router/src/tracking: the page, its scripts).
        for (const sibling of readdirSync(dirname(args.path))) {
          const path = join(dirname(args.path), sibling);
          if (!sibling.endsWith('.ts') && statSync(path).isFile()) assets.add(relative(ROOT, path));
        }
        const virtual = JSON.stringify(`./${rel.split('\\').join('/')}`);
        return { contents: source.replaceAll('import.meta.url', `new URL(${virtual}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

export interface BuildResult {
  entries: string[];
  ms: number;
}

/**
 * Builds dist/ from scratch: into a directory of its own, which then replaces dist/, so that two builds at
 * once (two `npm start`s) never mix their files.
 */
export async function build(): Promise<BuildResult> {
  const started = performance.now();
  const out = join(ROOT, `.dist-${process.pid}-${Date.now()}`);
  try {
    const entries = await buildInto(out, buildEntries());
    rmSync(DIST, { recursive: true, force: true });
    renameSync(out, DIST);
    return { entries, ms: performance.now() - started };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Bundles `entries` (name → source) into `out`, with the files they read; returns the names. */
export async function buildInto(out: string, entries: Record<string, string>): Promise<string[]> {
  const assets = new Set<string>();
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: entries,
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [workspacePlugin(assets)],
  });
  for (const asset of assets) {
    const from = join(ROOT, asset);
    if (!existsSync(from)) throw new Error(`build: ${asset} is read at run time but does not exist`);
    const to = join(out, asset);
    mkdirSync(dirname(to), { recursive: true });
    if (statSync(from).isDirectory()) cpSync(from, to, { recursive: true });
    else copyFileSync(from, to);
  }
  // What the image needs to know about the service it runs (its port, for the healthcheck).
  const manifest = Object.fromEntries(SERVICES.map((s) => [s.name, { kind: s.kind, port: s.port }]));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  // Last: its modification time is the build's (see isStale).
  writeFileSync(join(out, 'services.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return Object.keys(entries);
}

/** What the bundles are made of: sources, schemas, migrations, templates, the build itself and the lockfile. */
const INPUTS = ['router', 'subgraphs', 'packages', 'scripts/services.ts', 'scripts/build.ts', 'scripts/subgraphs-together.ts', 'scripts/keygen.ts', 'supergraph.graphql', 'package-lock.json'];
const SKIP = new Set(['node_modules', 'test', 'dist', '.data']);

function newestMtime(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) if (!SKIP.has(name)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Whether dist/ is missing or older than any of its inputs. */
export function isStale(): boolean {
  const built = statSync(join(DIST, 'services.json'), { throwIfNoEntry: false });
  if (!built) return true;
  return INPUTS.some((input) => newestMtime(join(ROOT, input)) > built.mtimeMs);
}

/** Builds when dist/ is stale; `null` when it was up to date. */
export async function buildIfStale(): Promise<BuildResult | null> {
  return isStale() ? build() : null;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const result = await build();
  process.stdout.write(`built ${result.entries.length} entries into dist/ in ${(result.ms / 1000).toFixed(1)} s: ${result.entries.join(', ')}\n`);
}
