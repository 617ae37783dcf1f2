import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';

export interface SubgraphConfig {
  name: string;
  url: string;
  schemaPath: string;
}

/** Reads a rover-format `supergraph.yaml` (file-based schemas only). */
export function readSupergraphConfig(configPath: string): SubgraphConfig[] {
  const config = parseYaml(readFileSync(configPath, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
  };
  const base = dirname(resolve(configPath));
  return Object.entries(config.subgraphs ?? {}).map(([name, entry]) => {
    if (!entry.routing_url || !entry.schema?.file) throw new Error(`${configPath}: subgraph "${name}" needs routing_url and schema.file`);
    return { name, url: entry.routing_url, schemaPath: resolve(base, entry.schema.file) };
  });
}

/**
 * Composes the subgraphs named in `supergraph.yaml` into a supergraph SDL with @apollo/composition.
 * `urlOverrides` replaces routing URLs (tests point them at in-process subgraphs); `only` composes a subset.
 * Throws with every composition error listed.
 */
export function composeSupergraph(configPath: string, urlOverrides: Record<string, string> = {}, only?: string[]): string {
  const subgraphs = readSupergraphConfig(configPath)
    .filter((s) => !only || only.includes(s.name))
    .map((s) => ({
    name: s.name,
    url: urlOverrides[s.name] ?? s.url,
    typeDefs: parse(readFileSync(s.schemaPath, 'utf8')),
  }));
  const result = composeServices(subgraphs);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
