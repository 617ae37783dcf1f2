/**
 * `npm run compose` writes supergraph.graphql from supergraph.yaml.
 * `npm run compose -- --check` fails when the committed supergraph.graphql is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { composeSupergraph } from '../router/src/compose.ts';

const CONFIG = 'supergraph.yaml';
const OUTPUT = 'supergraph.graphql';
const check = process.argv.includes('--check');

let sdl: string;
try {
  sdl = `${composeSupergraph(CONFIG).trimEnd()}\n`;
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

if (check) {
  const committed = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
  if (committed !== sdl) {
    console.error(`${OUTPUT} is stale: run \`npm run compose\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${OUTPUT} is up to date.`);
} else {
  writeFileSync(OUTPUT, sdl);
  console.log(`Wrote ${OUTPUT}.`);
}
