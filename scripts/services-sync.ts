/**
 * `npm run services`: writes what the service registry (scripts/services.ts) determines into the files
 * that list services — the regions between `# >>> services:<region>` and `# <<< services:<region>` in
 * supergraph.yaml, docker-compose.yml and .env.example. `npm run services -- --check` (CI) changes nothing
 * and fails when a file is out of date. Everything outside the markers is written by hand.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './build.ts';
import { envName, ROUTER, SUBGRAPHS } from './services.ts';

type Regions = Record<string, string[]>;

const url = (host: string, port: number | null) => `http://${host}:${port}/graphql`;

/** Extra compose variables of a subgraph, from its own folder (YAML lines, comments included). */
function composeExtras(name: string): string[] {
  const file = join(ROOT, 'subgraphs', name, 'compose.env.yml');
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n') : [];
}

function supergraphRegions(): Regions {
  return {
    subgraphs: SUBGRAPHS.flatMap((s) => [`${s.name}:`, `  routing_url: ${url('localhost', s.port)}`, '  schema:', `    file: ./subgraphs/${s.name}/schema.graphql`]),
  };
}

function composeRegions(): Regions {
  const blocks = SUBGRAPHS.flatMap((s) => [
    `${s.name}:`,
    '  <<: *subgraph',
    '  build:',
    '    context: .',
    '    args:',
    `      SERVICE: ${s.name}`,
    '  environment:',
    '    <<: *subgraph-env',
    `    PORT: ${s.port}`,
    `    DATABASE_URL: postgres://${s.name}_svc:\${${envName(s.name)}_DB_PASSWORD:-${s.name}-dev-password}@postgres:5432/${s.database}`,
    ...s.calls.map((callee) => `    ${envName(callee)}_URL: ${url(callee, SUBGRAPHS.find((c) => c.name === callee)!.port)}`),
    ...composeExtras(s.name).map((line) => (line ? `    ${line}` : line)),
    '',
  ]);
  return {
    'postgres-roles': [
      `SHOPGRAPH_SUBGRAPHS: ${SUBGRAPHS.map((s) => s.name).join(' ')}`,
      ...SUBGRAPHS.map((s) => `${envName(s.name)}_DB_PASSWORD: \${${envName(s.name)}_DB_PASSWORD:-${s.name}-dev-password}`),
    ],
    subgraphs: blocks.slice(0, -1),
    'router-depends-on': SUBGRAPHS.flatMap((s) => [`${s.name}:`, '  condition: service_healthy']),
    'router-subgraph-urls': [`SUBGRAPH_URLS: ${SUBGRAPHS.map((s) => `${s.name}=${url(s.name, s.port)}`).join(',')}`],
  };
}

/** `text` as comment lines of at most 110 characters. */
function comment(text: string): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + word.length < 110) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(`# ${word}`);
  }
  return lines;
}

function envExampleRegions(): Regions {
  const byPort = [...SUBGRAPHS].sort((a, b) => a.port! - b.port!);
  const called = byPort.filter((s) => SUBGRAPHS.some((caller) => caller.calls.includes(s.name)));
  return {
    ports: comment(
      `Port of one service instead of its default: ${[...byPort, ROUTER].map((s) => `${envName(s.name)}_PORT`).join(', ')} (the services then find each other on the new ports).`,
    ),
    'subgraph-ports': comment(`HTTP port; each subgraph has its own default (${byPort.map((s) => `${s.name} ${s.port}`).join(', ')}).`),
    'subgraph-urls': called.map((s) => `# ${envName(s.name)}_URL=${url('127.0.0.1', s.port)}`),
  };
}

/** The files with regions, and what belongs in them. */
export function generatedFiles(): Record<string, Regions> {
  return { 'supergraph.yaml': supergraphRegions(), 'docker-compose.yml': composeRegions(), '.env.example': envExampleRegions() };
}

const MARKER = /^([ \t]*)# >>> services:([\w-]+)[^\n]*\n[\s\S]*?^[ \t]*# <<< services:\2[^\n]*$/gm;

/** `text` with every region replaced by what the registry says; throws on a missing or unknown region. */
export function render(file: string, text: string, regions: Regions): string {
  const seen = new Set<string>();
  const out = text.replace(MARKER, (_all, indent: string, region: string) => {
    const lines = regions[region];
    if (!lines) throw new Error(`${file}: unknown region services:${region}`);
    seen.add(region);
    const body = lines.map((line) => (line ? `${indent}${line}` : '')).join('\n');
    return `${indent}# >>> services:${region} (written by \`npm run services\` from scripts/services.ts; do not edit)\n${body}\n${indent}# <<< services:${region}`;
  });
  const missing = Object.keys(regions).filter((r) => !seen.has(r));
  if (missing.length) throw new Error(`${file}: missing region(s) ${missing.map((r) => `services:${r}`).join(', ')}`);
  return out;
}

/** Files whose regions differ from the registry (after writing them, unless `check`). */
export function sync(check: boolean): string[] {
  const stale: string[] = [];
  for (const [file, regions] of Object.entries(generatedFiles())) {
    const path = join(ROOT, file);
    const text = readFileSync(path, 'utf8');
    const next = render(file, text, regions);
    if (next === text) continue;
    stale.push(file);
    if (!check) writeFileSync(path, next);
  }
  return stale;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const check = process.argv.includes('--check');
  const stale = sync(check);
  if (check && stale.length) {
    process.stderr.write(`out of date with scripts/services.ts: ${stale.join(', ')}. Run \`npm run services\` and commit the result.\n`);
    process.exit(1);
  }
  process.stdout.write(stale.length ? `wrote ${stale.join(', ')}\n` : 'services: every generated region is up to date\n');
}
