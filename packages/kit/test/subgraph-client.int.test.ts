import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphClient, fetchEntities, SubgraphCallError, type TypedDocumentNode } from '../src/index.ts';

/**
 * The kit's typed client against a real Apollo subgraph: it sends the document it is given and answers with its
 * data; `fetchEntities` takes the `__typename` of the representations from the type the document selects on and
 * answers in the order of the keys.
 */

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Product @key(fields: "id") { id: ID! name: String! }
  type Category @key(fields: "id") { id: ID! }
  type Query { ping(word: String!): String! }
`);

const products: Record<string, { id: string; name: string }> = { p1: { id: 'p1', name: 'Scarf' }, p2: { id: 'p2', name: 'Hat' } };
const representations: Array<Record<string, unknown>> = [];

const server = new ApolloServer({
  schema: buildSubgraphSchema({
    typeDefs,
    resolvers: {
      Query: { ping: (_: unknown, { word }: { word: string }) => `pong ${word}` },
      Product: {
        __resolveReference: (ref: { id: string; __typename: string }) => {
          representations.push(ref);
          return products[ref.id] ?? null;
        },
      },
      Category: { __resolveReference: (ref: { id: string }) => ref },
    },
  }),
  plugins: [ApolloServerPluginInlineTraceDisabled()],
});
let url = '';
beforeAll(async () => {
  ({ url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } }));
});
afterAll(() => server.stop());

const client = () => createSubgraphClient({ url, service: 'orders', internalSecret: 'x'.repeat(32) });

// What `npm run codegen` generates from an operation, written out: the document typed by its answer and variables.
const Ping = parse('query Ping($word: String!) { ping(word: $word) }') as TypedDocumentNode<{ ping: string }, { word: string }>;
type ProductsQuery = { _entities: Array<{ id: string; name: string } | Record<PropertyKey, never> | null> };
const ProductNames = parse('query ProductNames($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id name } } }') as TypedDocumentNode<
  ProductsQuery,
  { representations: Array<Record<string, unknown>> }
>;

describe('typed internal calls', () => {
  it('sends the document with its variables and answers with its data', async () => {
    const answer = await client().request(Ping, { word: 'hi' });
    expect(answer.ping).toBe('pong hi');
  });

  it('looks entities up in the order of the keys, null for unknown ones, with the type of the document', async () => {
    representations.length = 0;
    const found = await fetchEntities(client(), ProductNames, [{ id: 'p2' }, { id: 'nope' }, { id: 'p1' }]);
    expect(found).toEqual([{ id: 'p2', name: 'Hat' }, null, { id: 'p1', name: 'Scarf' }]);
    expect(representations.map((ref) => ref.__typename)).toEqual(['Product', 'Product', 'Product']);
    // The answer's type is the selected member of `_Entity`: `name` is a string without a cast.
    expect(found[0]?.name.toUpperCase()).toBe('HAT');
    expect(await fetchEntities(client(), ProductNames, [])).toEqual([]);
  });

  it('refuses a lookup that selects on more than one type, before sending anything', async () => {
    const both = parse('query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id } ... on Category { id } } }') as TypedDocumentNode<
      { _entities: Array<{ id: string } | null> },
      { representations: Array<Record<string, unknown>> }
    >;
    representations.length = 0;
    await expect(fetchEntities(client(), both, [{ id: 'p1' }])).rejects.toThrow('An entity lookup selects fields on exactly one type, not Product, Category');
    expect(representations).toEqual([]);
  });

  it('reports the GraphQL error of a document the subgraph refuses', async () => {
    const wrong = parse('query { nothing }') as TypedDocumentNode<{ nothing: string }, Record<string, never>>;
    const error = await client().request(wrong, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SubgraphCallError);
    expect((error as SubgraphCallError).code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
