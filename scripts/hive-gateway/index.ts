/**
 * Hive Gateway (`@graphql-hive/gateway-runtime`, a development dependency) serving shopgraph's supergraph, for
 * `npm run bench:gateways` only: the peer the router is measured against. Run as its own process so that its CPU
 * time can be read from /proc:
 *
 *   SUPERGRAPH_PATH=… PORT=… ROUTER_PRIVATE_KEY=… JWKS_URL=… SUBGRAPH_URLS='{"http://…/graphql":"products",…}' \
 *     node --import tsx scripts/hive-gateway/index.ts
 *
 * Subgraphs only answer requests that carry the router's assertion, so a small plugin does for Hive Gateway what
 * router/src/datasource.ts does for the router: it verifies the client's access token with the router's own
 * verifier (jose against the users subgraph's JWKS, once per client request), then signs an assertion for each
 * subgraph fetch, bound to that subgraph and to the exact body sent (Ed25519, the same signer). Hive Gateway
 * thus does the same identity work per request as the router, and nothing else of the router's (no limits,
 * cost budget, rate limit, entity cache, circuit breakers): that leans in Hive Gateway's favour. Its in-flight
 * deduplication of subgraph requests is turned off (see below).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { ASSERTION_HEADER, createAssertionSigner, type Viewer } from '@shopgraph/kit';
import { bearerToken, createAccessTokenVerifier } from '../../router/src/jwt.ts';

const env = (name: string) => process.env[name] ?? (console.error(`hive-gateway: ${name} is required`), process.exit(2));

const sign = createAssertionSigner(env('ROUTER_PRIVATE_KEY'));
const verifyAccessToken = createAccessTokenVerifier({ jwksUrl: env('JWKS_URL'), issuer: 'shopgraph-users', audience: 'shopgraph' });
const subgraphOf = new Map(Object.entries(JSON.parse(env('SUBGRAPH_URLS')) as Record<string, string>));

/** The viewer of one client request, verified once however many subgraph fetches its plan makes. */
const viewers = new WeakMap<Request, Promise<Viewer | null>>();
function viewerOf(request: Request): Promise<Viewer | null> {
  let viewer = viewers.get(request);
  if (!viewer) {
    const token = bearerToken(request.headers.get('authorization') ?? undefined);
    viewer = token ? verifyAccessToken(token) : Promise.resolve(null);
    viewers.set(request, viewer);
  }
  return viewer;
}

const shopgraphAssertions: GatewayPlugin = {
  async onFetch({ url, options, setOptions, context }) {
    const audience = subgraphOf.get(url);
    if (!audience || typeof options.body !== 'string') return;
    const body = JSON.parse(options.body) as { query?: string; operationName?: string; variables?: Record<string, unknown> };
    const request = (context as { request?: Request }).request;
    const viewer = request ? await viewerOf(request) : null;
    const assertion = await sign({ audience, request: { query: body.query, operationName: body.operationName, variables: body.variables }, viewer });
    setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), [ASSERTION_HEADER]: assertion } });
  },
};

const gateway = createGatewayRuntime({
  supergraph: readFileSync(env('SUPERGRAPH_PATH'), 'utf8'),
  plugins: () => [shopgraphAssertions],
  // On by default in Hive Gateway: identical subgraph requests in flight at once are sent once and the answer
  // shared. It keys on the request before our plugin adds the viewer's assertion, so it would share one
  // viewer's answer with another — wrong for viewer-dependent data, and not what the router does. Off, so that
  // both gateways do the same work (with it on, the subgraphs did a tenth of the work behind Hive Gateway).
  transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
  logging: 'error',
  landingPage: false,
  graphqlEndpoint: '/graphql',
});

const server = createServer(gateway);
server.listen(Number(env('PORT')), '127.0.0.1', () => console.log(`hive-gateway listening on ${env('PORT')}`));
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
