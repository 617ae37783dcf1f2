import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ASSERTION_HEADER,
  createAssertionSigner,
  createInternalTokenIssuer,
  generateRouterKeyPair,
  INTERNAL_HEADER,
} from '@shopgraph/kit';
import { errorCode, gql, type GraphQLResponse } from '@shopgraph/kit/testing';
import { getIntrospectionQuery } from 'graphql';
import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, newUserInput, REGISTER, startStack, type TestStack } from '../../test/support/stack.ts';

const BODY_LIMIT = 2048;

type SigningKey = Parameters<SignJWT['sign']>[0];

let stack: TestStack;
/** GraphQL requests that reached the users subgraph (JWKS fetches excluded). */
let usersGraphqlRequests = 0;

beforeAll(async () => {
  stack = await startStack();
  stack.users.http.server.on('request', (req: IncomingMessage) => {
    if ((req.url ?? '').startsWith('/graphql')) usersGraphqlRequests += 1;
  });
});
afterAll(() => stack?.stop());

async function register(): Promise<{ token: string; userId: string; email: string; password: string }> {
  const input = newUserInput();
  const res = await gql(stack.url, REGISTER, { input });
  expect(res.errors).toBeUndefined();
  return { token: res.data!.register.accessToken, userId: res.data!.register.user.id, email: input.email, password: input.password };
}

/** Sends a raw request to the router and parses the body as JSON when it is JSON. */
async function raw(url: string, init: RequestInit): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function expectUnauthenticated(res: GraphQLResponse<unknown>) {
  expect(res.status).toBe(401);
  expect(errorCode(res)).toBe('UNAUTHENTICATED');
  expect(res.data ?? undefined).toBeUndefined();
}

function hasLimitError(res: GraphQLResponse<unknown>, limit: string): boolean {
  return (res.errors ?? []).some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && e.extensions?.limit === limit);
}

describe('body limit', () => {
  let small: TestStack;
  beforeAll(async () => {
    small = await startStack({ routerEnv: { BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
  });
  afterAll(() => small?.stop());

  it('refuses a body over BODY_LIMIT_BYTES with 413 and keeps serving', async () => {
    const padding = 'x'.repeat(BODY_LIMIT * 2);
    const res = await gql(small.url, `{ me { id } } # ${padding}`);
    expect(res.status).toBe(413);
    expect(errorCode(res)).toBe('PAYLOAD_TOO_LARGE');
    expect(res.data ?? undefined).toBeUndefined();

    // Same without a content-length the server can trust up front (chunked body).
    const chunked = await raw(small.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([JSON.stringify({ query: `{ me { id } } # ${padding}` })]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(chunked.json?.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');

    const next = await gql(small.url, '{ me { id } }');
    expect(next.status).toBe(200);
    expect(next.errors).toBeUndefined();
    expect(next.data).toEqual({ me: null });
  });
});

describe('document limits', () => {
  it('refuses a query nested deeper than MAX_DEPTH', async () => {
    let selection = 'id';
    for (let i = 0; i < 29; i += 1) selection = `addresses { ${selection} }`;
    const query = `{ me { ${selection} } }`;
    const before = usersGraphqlRequests;
    const res = await gql(stack.url, query);
    expect(res.status).toBe(400);
    expect(res.data ?? undefined).toBeUndefined();
    // GraphQL's own field validation also complains (Address has no `addresses`); the depth rule must report too.
    expect(hasLimitError(res, 'depth')).toBe(true);
    expect(usersGraphqlRequests).toBe(before);

    // The depth is counted through fragments as well.
    let fragmented = 'id';
    for (let i = 0; i < 29; i += 1) fragmented = `... on Query { me { ${fragmented} } }`;
    const viaFragments = await gql(stack.url, `{ ${fragmented} }`);
    expect(hasLimitError(viaFragments, 'depth')).toBe(true);
  });

  it('serves legitimate queries and the Sandbox introspection query in development', async () => {
    const user = await register();
    const me = await gql(stack.url, '{ me { id email addresses { city country } } }', {}, { token: user.token });
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: { id: user.userId, email: user.email, addresses: [] } });

    const introspection = await gql(stack.url, getIntrospectionQuery());
    expect(introspection.status).toBe(200);
    expect(introspection.errors).toBeUndefined();
    const types = (introspection.data as any).__schema.types.map((t: { name: string }) => t.name);
    expect(types).toContain('User');
    expect(types).toContain('Query');
  });

  it('refuses more than MAX_ALIASES aliases without calling a subgraph', async () => {
    const query = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const before = usersGraphqlRequests;
    const res = await gql(stack.url, query);
    expect(res.status).toBe(400);
    expect(hasLimitError(res, 'aliases')).toBe(true);
    expect(res.data ?? undefined).toBeUndefined();
    expect(usersGraphqlRequests).toBe(before);
  });

  it('refuses a document with more than MAX_TOKENS tokens at parse time', async () => {
    const query = `{ me { ${'id '.repeat(6_000)} } }`;
    const before = usersGraphqlRequests;
    const res = await gql(stack.url, query);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.data ?? undefined).toBeUndefined();
    expect(usersGraphqlRequests).toBe(before);
  });
});

describe('CSRF and batching', () => {
  it('refuses a text/plain POST without a preflight header and executes nothing', async () => {
    const input = newUserInput();
    const res = await raw(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: REGISTER, variables: { input } }),
    });
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.json?.errors?.[0]?.message).toMatch(/CSRF/);
    expect(res.text).not.toContain('accessToken');

    const login = await gql(stack.url, LOGIN, { email: input.email, password: input.password });
    expect(errorCode(login)).toBe('UNAUTHENTICATED');
    expect(login.data?.login ?? null).toBeNull();
  });

  it('refuses a batched (JSON array) request', async () => {
    const before = usersGraphqlRequests;
    const res = await raw(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]),
    });
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.json?.data).toBeUndefined();
    expect(usersGraphqlRequests).toBe(before);
  });
});

describe('access tokens', () => {
  let kid: string;
  let realKey: SigningKey;
  let user: Awaited<ReturnType<typeof register>>;

  beforeAll(async () => {
    user = await register();
    const jwksUrl = stack.usersUrl.replace('/graphql', '/.well-known/jwks.json');
    const jwks = (await (await fetch(jwksUrl)).json()) as { keys: JWK[] };
    kid = jwks.keys[0]!.kid!;
    expect(decodeProtectedHeader(user.token).kid).toBe(kid);
    // The users subgraph's signing key, to build tokens that differ from real ones in one respect only.
    const sql = postgres(stack.usersDatabaseUrl, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ private_jwk: JWK }[]>`select private_jwk from signing_keys where kid = ${kid}`;
      realKey = await importJWK(row!.private_jwk, 'EdDSA');
    } finally {
      await sql.end();
    }
  });

  const claims = () => ({ role: 'CUSTOMER' });
  const sign = (key: SigningKey, edit: (jwt: SignJWT) => SignJWT = (j) => j) =>
    edit(
      new SignJWT(claims())
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setSubject(user.userId)
        .setIssuer('shopgraph-users')
        .setAudience('shopgraph')
        .setIssuedAt()
        .setExpirationTime('5m'),
    ).sign(key);

  it('treats a request without a token as anonymous', async () => {
    const res = await gql(stack.url, '{ me { id } }');
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ me: null });
  });

  it('accepts a token built like the real ones (control for the cases below)', async () => {
    const res = await gql(stack.url, '{ me { id } }', {}, { token: await sign(realKey) });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: { id: user.userId } });
  });

  it('refuses a malformed Authorization header', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${user.token} extra`, 'Token abc']) {
      const res = await gql(stack.url, '{ me { id } }', {}, { headers: { authorization } });
      expectUnauthenticated(res);
    }
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(realKey, (j) => j.setIssuedAt(now - 3600).setExpirationTime(now - 60));
    expectUnauthenticated(await gql(stack.url, '{ me { id } }', {}, { token }));
  });

  it('refuses a tampered token', async () => {
    const [header, payload, signature] = user.token.split('.') as [string, string, string];
    const flipped = payload.slice(0, 10) + (payload[10] === 'A' ? 'B' : 'A') + payload.slice(11);
    expectUnauthenticated(await gql(stack.url, '{ me { id } }', {}, { token: `${header}.${flipped}.${signature}` }));

    // A well-formed but edited payload (role escalated) keeps the original signature.
    const escalated = base64url.encode(JSON.stringify({ ...decodeJwt(user.token), role: 'ADMIN' }));
    expectUnauthenticated(await gql(stack.url, '{ users { edges { node { id } } } }', {}, { token: `${header}.${escalated}.${signature}` }));
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid, typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ ...decodeJwt(user.token), role: 'ADMIN' }));
    expectUnauthenticated(await gql(stack.url, '{ me { id } }', {}, { token: `${header}.${payload}.` }));
  });

  it('refuses a token signed by another key under the same kid', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expectUnauthenticated(await gql(stack.url, '{ me { id } }', {}, { token: await sign(privateKey) }));
  });

  it('refuses a token with the wrong issuer or audience', async () => {
    const wrongIssuer = await sign(realKey, (j) => j.setIssuer('someone-else'));
    expectUnauthenticated(await gql(stack.url, '{ me { id } }', {}, { token: wrongIssuer }));
    const wrongAudience = await sign(realKey, (j) => j.setAudience('another-api'));
    expectUnauthenticated(await gql(stack.url, '{ me { id } }', {}, { token: wrongAudience }));
  });

  it('ignores identity headers sent by the client', async () => {
    const forged = await createAssertionSigner(stack.keys.privateKey)({ audience: 'users', request: { query: '{ me { id } }', variables: {} }, viewer: { userId: user.userId, role: 'ADMIN' } });
    const internal = await createInternalTokenIssuer('attacker', stack.internalSecret)();
    const res = await gql(stack.url, '{ me { id } }', {}, {
      headers: {
        [ASSERTION_HEADER]: forged,
        [INTERNAL_HEADER]: internal,
        'x-user-id': user.userId,
        'x-user-role': 'ADMIN',
      },
    });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: null });

    const admin = await gql(stack.url, '{ users { edges { node { id } } } }', {}, { headers: { [ASSERTION_HEADER]: forged } });
    expect(errorCode(admin)).toBe('UNAUTHENTICATED');
    expect(admin.data?.users ?? null).toBeNull();
  });
});

describe('subgraphs refuse callers other than the router', () => {
  it('refuses a request without credentials', async () => {
    const res = await gql(stack.usersUrl, '{ me { id } }');
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });

  it('refuses an assertion signed by another key', async () => {
    const user = await register();
    const forged = await createAssertionSigner(generateRouterKeyPair().privateKey)({ audience: 'users', request: { query: '{ me { id } }', variables: {} }, viewer: { userId: user.userId, role: 'ADMIN' } });
    const res = await gql(stack.usersUrl, '{ me { id } }', {}, { headers: { [ASSERTION_HEADER]: forged } });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    expect(res.data ?? undefined).toBeUndefined();
  });

  it('refuses an internal credential signed with another secret', async () => {
    const token = await createInternalTokenIssuer('test', 'x'.repeat(64))();
    const res = await gql(stack.usersUrl, '{ __typename }', {}, { headers: { [INTERNAL_HEADER]: token } });
    expect(res.status).toBe(401);
  });

  it('accepts a valid internal credential', async () => {
    const token = await createInternalTokenIssuer('test', stack.internalSecret)();
    const res = await gql(stack.usersUrl, '{ _service { sdl } }', {}, { headers: { [INTERNAL_HEADER]: token } });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect((res.data as any)._service.sdl).toContain('type User');
  });
});

describe('introspection and landing page', () => {
  it('serves the embedded Sandbox at GET /graphql outside production', async () => {
    const res = await raw(stack.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).toMatch(/sandbox/i);
  });

  describe('in production', () => {
    let production: TestStack;
    beforeAll(async () => {
      production = await startStack({ routerEnv: { NODE_ENV: 'production' } });
    });
    afterAll(() => production?.stop());

    it('refuses introspection', async () => {
      const res = await gql(production.url, '{ __schema { types { name } } }');
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors?.[0]?.extensions?.validationErrorCode).toBe('INTROSPECTION_DISABLED');
      expect(res.data ?? undefined).toBeUndefined();
      const type = await gql(production.url, '{ __type(name: "User") { fields { name } } }');
      expect(errorCode(type)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(type.data ?? undefined).toBeUndefined();
    });

    it('does not serve the Sandbox', async () => {
      const res = await raw(production.url, { headers: { accept: 'text/html' } });
      expect(res.status).not.toBe(200);
      expect(res.text).not.toMatch(/sandbox/i);
      expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      const root = await raw(production.routerOrigin, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect(root.status).toBe(404);
    });

    it('still serves operations', async () => {
      const res = await gql(production.url, '{ me { id } }');
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ me: null });
    });
  });
});

/** A fake subgraph on a free port. */
async function fakeSubgraph(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Asserts an error response that tells the client nothing about the subgraph behind it. */
function expectMasked(res: GraphQLResponse, port: number, expected = { status: 200, code: 'INTERNAL_SERVER_ERROR' }) {
  expect(res.status).toBe(expected.status);
  expect(res.errors?.length).toBeGreaterThan(0);
  expect(res.errors!.every((e) => e.extensions?.code === expected.code)).toBe(true);
  expect(res.data ?? { me: null }).toEqual({ me: null });
  const text = JSON.stringify({ errors: res.errors, data: res.data });
  for (const leak of ['127.0.0.1', 'localhost', String(port), 'fetch', 'users', 'ECONN', 'stack', '<html', 'status']) {
    expect(text.toLowerCase()).not.toContain(leak.toLowerCase());
  }
}

describe('subgraph failures', () => {
  it('times out a subgraph that never answers and reports it as SERVICE_UNAVAILABLE, masked', async () => {
    const hanging = await fakeSubgraph(() => {
      // Never answers.
    });
    const slow = await startStack({ urlOverrides: { users: hanging.url }, routerEnv: { SUBGRAPH_TIMEOUT_MS: '300' } });
    try {
      const res = await gql(slow.url, '{ me { id } }');
      // A subgraph that does not answer is an outage, not a bug: 503 SERVICE_UNAVAILABLE, retryable.
      expectMasked(res, hanging.port, { status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(res.errors![0]!.extensions).toMatchObject({ retryable: true });
      // The router itself is fine afterwards.
      const health = await fetch(`${slow.routerOrigin}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await slow.stop();
      await hanging.close();
    }
  });

  it('masks a subgraph that answers 500 with an HTML page', async () => {
    const broken = await fakeSubgraph((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html><body>Internal error at db-primary.internal:5432 (stack: at Object.query)</body></html>');
    });
    const stack500 = await startStack({ urlOverrides: { users: broken.url } });
    try {
      const res = await gql(stack500.url, '{ me { id } }');
      expectMasked(res, broken.port);
      expect(JSON.stringify(res.errors)).not.toContain('db-primary');
    } finally {
      await stack500.stop();
      await broken.close();
    }
  });

  it("masks a subgraph that refuses the router with HTTP 401 (not the client's fault, no address leaked)", async () => {
    const refusing = await fakeSubgraph((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Requests must come through the router', extensions: { code: 'UNAUTHENTICATED' } }] }));
    });
    const stack401 = await startStack({ urlOverrides: { users: refusing.url } });
    try {
      const res = await gql(stack401.url, '{ me { id } }');
      expectMasked(res, refusing.port);
      expect(JSON.stringify(res.errors)).not.toContain('through the router');
    } finally {
      await stack401.stop();
      await refusing.close();
    }
  });
});

describe('request ids', () => {
  it('gives every response an x-request-id', async () => {
    const res = await gql(stack.url, '{ me { id } }');
    expect(res.headers.get('x-request-id')).toMatch(/^[\w.-]{1,64}$/);
    const refused = await gql(stack.url, '{ me { id } }', {}, { headers: { authorization: 'Basic abc' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toMatch(/^[\w.-]{1,64}$/);
  });

  it('echoes a well-formed client request id and replaces a malformed one', async () => {
    const echoed = await gql(stack.url, '{ me { id } }', {}, { headers: { 'x-request-id': 'client-req.42_abc' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-req.42_abc');
    const malformed = 'bad id with spaces <script>';
    const replaced = await gql(stack.url, '{ me { id } }', {}, { headers: { 'x-request-id': malformed } });
    const id = replaced.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect(id).not.toBe(malformed);
    expect(id).toMatch(/^[\w.-]{1,64}$/);
  });
});
