import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, parse } from 'graphql';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createSubgraphClient, DependencyUnavailableError, maskErrors, SubgraphCallError } from '../src/index.ts';
import { freePort } from '../src/testing/index.ts';

/**
 * Internal subgraph-to-subgraph calls fail fast through a circuit breaker, retry only what is safe to repeat,
 * and an unavailable dependency (another subgraph, the database) reaches clients as SERVICE_UNAVAILABLE.
 * Calls reaching the stand-in servers are counted; nothing depends on how long anything takes.
 */
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A stand-in subgraph: counts requests and answers each with `behave` (hang, reset…). */
async function standIn(behave: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    calls += 1;
    req.resume();
    behave(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, calls: () => calls };
}

const client = (url: string, failureThreshold = 5) =>
  createSubgraphClient({ url, service: 'orders', internalSecret: 'x'.repeat(32), timeoutMs: 200, breaker: { failureThreshold, halfOpenAfterMs: 600_000 } });

const masked = (error: unknown) => maskErrors(createLogger('test', 'silent'))({ message: 'x', extensions: {} }, error instanceof GraphQLError ? error : new GraphQLError('x', { originalError: error as Error }));

describe('internal calls', () => {
  it('open the circuit after consecutive timeouts: later calls fail at once without reaching the subgraph', async () => {
    const hanging = await standIn(() => {});
    const pricing = client(hanging.url, 2);
    for (let i = 0; i < 2; i++) await expect(pricing.request(parse('query { a }'), {})).rejects.toBeInstanceOf(SubgraphCallError);
    expect(hanging.calls()).toBe(2);
    const refused = await pricing.request(parse('query { a }'), {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SubgraphCallError);
    expect((refused as Error).cause).toBeInstanceOf(DependencyUnavailableError);
    expect(hanging.calls()).toBe(2);
    expect(masked(refused).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });

  it('retry a query once when its connection is reset, and never a mutation', async () => {
    const resetting = await standIn((_req, res) => res.socket?.destroy());
    await expect(client(resetting.url).request(parse('query { a }'), {})).rejects.toBeInstanceOf(SubgraphCallError);
    expect(resetting.calls()).toBe(2);
    await expect(client(resetting.url).request(parse('mutation { capture }'), {})).rejects.toBeInstanceOf(SubgraphCallError);
    expect(resetting.calls()).toBe(3);
  });

  it('are SERVICE_UNAVAILABLE for clients when the other subgraph is down, and when it says it is', async () => {
    const down = await client(`http://127.0.0.1:${await freePort()}/graphql`).request(parse('query { a }'), {}).catch((error: unknown) => error);
    expect(masked(down).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    const degraded = await standIn((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'db down', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }));
    });
    const answer = await client(degraded.url).request(parse('query { a }'), {}).catch((error: unknown) => error);
    expect(masked(answer).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });
});

describe('database outages', () => {
  it('map a PostgreSQL connection error to SERVICE_UNAVAILABLE, retryable, and nothing about the host', async () => {
    const sql = postgres(`postgres://nobody@127.0.0.1:${await freePort()}/none`, { max: 1, connect_timeout: 5, onnotice: () => {} });
    const error = await sql`select 1`.catch((e: unknown) => e);
    await sql.end({ timeout: 0 });
    const formatted = masked(error);
    expect(formatted.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(JSON.stringify(formatted)).not.toContain('127.0.0.1');
  });

  it('keep a bug a bug: other errors are still INTERNAL_SERVER_ERROR', () => {
    expect(masked(new TypeError('x is undefined')).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });
});
