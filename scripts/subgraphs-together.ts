/**
 * Every subgraph in one process (see the kit's `runSubgraphs`): what `npm start` runs by default, built into
 * dist/subgraphs.js. `SHOPGRAPH_SUBGRAPHS` holds, by subgraph name, the variables that differ between them
 * (PORT, DATABASE_URL); the rest comes from this process's environment. The definitions are found by name,
 * `subgraphs/<name>/src/subgraph.ts` (esbuild bundles every file that pattern matches).
 */
import { type AnySubgraphDefinition, runSubgraphs } from '@shopgraph/kit';

const own = JSON.parse(process.env.SHOPGRAPH_SUBGRAPHS ?? '{}') as Record<string, Record<string, string>>;

async function definitionOf(name: string): Promise<AnySubgraphDefinition> {
  const module = (await import(`../subgraphs/${name}/src/subgraph.ts`)) as Record<string, unknown>;
  const definition = Object.values(module).find((value): value is AnySubgraphDefinition => (value as AnySubgraphDefinition | undefined)?.name === name);
  if (!definition) throw new Error(`subgraphs/${name}/src/subgraph.ts exports no definition named ${name}`);
  return definition;
}

const definitions = await Promise.all(Object.keys(own).map(definitionOf));
runSubgraphs(definitions, (name) => ({ ...process.env, ...own[name] }));
