import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { clientOutputs } from '../codegen.ts';

/**
 * Calls between subgraphs are typed by the owner's schema: a change to a subgraph's schema.graphql breaks the
 * code of the subgraphs that call it. Each case copies an owner's schema with one change to a temporary folder,
 * generates the caller's typed documents against the copy (with the same settings as `npm run codegen`), and
 * type-checks the caller's sources with the TypeScript compiler API, the generated file replaced in memory.
 */

const scratch = mkdtempSync(join(tmpdir(), 'shopgraph-typed-calls-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The owner's schema.graphql with `from` replaced by `to` (exactly once), in the scratch folder. */
function changedSchema(owner: string, from: string, to: string): string {
  const original = readFileSync(`subgraphs/${owner}/schema.graphql`, 'utf8');
  expect(original.split(from)).toHaveLength(2);
  const file = join(scratch, `${owner}-${Math.random().toString(36).slice(2)}.graphql`);
  writeFileSync(file, original.replace(from, to));
  return file;
}

/** The caller's generated client for `owner`, built against `schemaFile` instead of the owner's schema. */
async function generateClient(caller: string, owner: string, schemaFile: string): Promise<{ path: string; content: string }> {
  const target = `subgraphs/${caller}/src/__generated__/clients/${owner}.ts`;
  const outputs = clientOutputs(caller, (name) => (name === owner ? schemaFile : `subgraphs/${name}/schema.graphql`)) ?? {};
  const files: Array<{ filename: string; content: string }> = await generate({ silent: true, generates: { [target]: outputs[target]! } }, false);
  expect(files).toHaveLength(1);
  return { path: resolve(target), content: files[0]!.content };
}

const parsed = ts.getParsedCommandLineOfConfigFile('tsconfig.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } })!;
// Library and untouched source files parsed once for every program of this file.
const sourceFiles = new Map<string, ts.SourceFile | undefined>();

/** Type errors in the caller's sources, with `overlay` (absolute path → text) standing in for files on disk. */
function typeErrors(caller: string, overlay: Map<string, string> = new Map()): string[] {
  const host = ts.createCompilerHost(parsed.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => overlay.get(resolve(file)) ?? readFile(file);
  host.getSourceFile = (file, language) => {
    const replaced = overlay.get(resolve(file));
    if (replaced !== undefined) return ts.createSourceFile(file, replaced, language, true);
    if (!sourceFiles.has(file)) {
      const text = readFile(file);
      sourceFiles.set(file, text === undefined ? undefined : ts.createSourceFile(file, text, language, true));
    }
    return sourceFiles.get(file);
  };
  const program = ts.createProgram({ rootNames: [resolve(`subgraphs/${caller}/src/server.ts`)], options: parsed.options, host });
  const sources = resolve(`subgraphs/${caller}/src`);
  // Only the caller's own files are checked (what they use of other files is resolved as needed).
  return program
    .getSourceFiles()
    .filter((file) => file.fileName.startsWith(sources))
    .flatMap((file) => program.getSemanticDiagnostics(file))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${d.file!.fileName.slice(resolve('.').length + 1)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
}

describe('typed calls between subgraphs', () => {
  it.each([
    // Checkout sends each product's weight to shipping, which needs a number.
    { caller: 'orders', owner: 'products', change: 'Product.weightGrams nullable', from: 'depend on it)."\n  weightGrams: Int!', to: 'depend on it)."\n  weightGrams: Int', breaks: 'subgraphs/orders/src/services/checkout.service.ts' },
    // Pricing refuses archived products by comparing `active` with false.
    { caller: 'pricing', owner: 'products', change: 'Product.active a String', from: 'active: Boolean!', to: 'active: String!', breaks: 'subgraphs/pricing/src/services/quotes.service.ts' },
    // Messages show formatted money, which the templates need as text.
    { caller: 'notifications', owner: 'orders', change: 'Money.formatted nullable', from: 'formatted: String!', to: 'formatted: String', breaks: 'subgraphs/notifications/src/services/order-data.ts' },
  ])('a changed field type in $owner breaks the typecheck of $caller ($change)', async ({ owner, caller, from, to, breaks }) => {
    // The caller type-checks against what the owner's schema says today…
    const today = await generateClient(caller, owner, `subgraphs/${owner}/schema.graphql`);
    expect(today.content).toBe(readFileSync(today.path, 'utf8'));
    expect(typeErrors(caller)).toEqual([]);
    // …and not against the changed schema.
    const changed = await generateClient(caller, owner, changedSchema(owner, from, to));
    expect(changed.content).not.toBe(today.content);
    const errors = typeErrors(caller, new Map([[changed.path, changed.content]]));
    expect(errors.some((error) => error.startsWith(`${breaks}:`)), errors.join('\n')).toBe(true);
  });

  it.each([
    { caller: 'inventory', owner: 'products', from: '  active: Boolean!', to: '  isActive: Boolean!', field: 'active', type: 'Product' },
    { caller: 'orders', owner: 'payments', from: 'validatePaymentToken(', to: 'checkPaymentToken(', field: 'validatePaymentToken', type: 'Query' },
    { caller: 'notifications', owner: 'shipping', from: 'trackingNumber: String!', to: 'tracking: String!', field: 'trackingNumber', type: 'Shipment' },
  ])('a field renamed in $owner fails the generation of $caller’s client ($field)', async ({ caller, owner, from, to, field, type }) => {
    await expect(generateClient(caller, owner, changedSchema(owner, from, to))).rejects.toThrow(`Cannot query field "${field}" on type "${type}"`);
  });
});
