import { readFileSync, watch } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  ASSERTION_HEADER,
  createAssertionSigner,
  createHttpService,
  graphqlHttpHandler,
  HttpError,
  type HttpService,
  type Logger,
  maskErrors,
  sendJson,
  type Viewer,
} from '@shopgraph/kit';
import { GraphQLError } from 'graphql';
import { subgraphUrlOverrides, type RouterEnv } from './env.ts';
import { bearerToken, createAccessTokenVerifier } from './jwt.ts';
import { aliasLimit, depthLimit, rootFieldLimit } from './limits.ts';

/** What the router knows about one client request. */
export interface RouterContext {
  viewer: Viewer | null;
  requestId: string;
  /** Identity assertion for subgraphs, signed once per request. */
  assertion: string;
}

/** Sends every subgraph request with the router's signed assertion and a timeout. */
class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('assertion' in context)) return;
    headers.set(ASSERTION_HEADER, context.assertion);
    headers.set('x-request-id', context.requestId);
  }

  /**
   * A non-2xx answer from a subgraph is a fault between router and subgraph, never the client's.
   * Apollo's default maps 401/403 to the public codes UNAUTHENTICATED/FORBIDDEN and attaches the
   * subgraph URL and response body in `extensions.response`, which masking would then let through.
   * Without a code the error is masked as INTERNAL_SERVER_ERROR (the details are logged).
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    await response.text().catch(() => undefined);
    return new GraphQLError(`Subgraph ${this.url} answered HTTP ${response.status} ${response.statusText}`);
  }
}

export interface Router {
  http: HttpService;
  gateway: ApolloGateway;
}

/**
 * Builds the router: @apollo/gateway over the committed supergraph, served by Apollo Server 5 on a
 * plain Node HTTP server (the WebSocket endpoint shares it).
 */
export async function createRouter(deps: { env: RouterEnv; logger: Logger; supergraphSdl?: string }): Promise<Router> {
  const { env, logger } = deps;
  const production = env.NODE_ENV === 'production';
  const overrides = subgraphUrlOverrides(env.SUBGRAPH_URLS);
  const watchFile = !deps.supergraphSdl && (env.SUPERGRAPH_WATCH ?? !production);

  const timeoutFetch: typeof fetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(env.SUBGRAPH_TIMEOUT_MS) });

  const gateway = new ApolloGateway({
    logger,
    supergraphSdl: async ({ update }) => {
      const read = () => deps.supergraphSdl ?? readFileSync(env.SUPERGRAPH_PATH, 'utf8');
      let last = read();
      const watcher = watchFile
        ? watch(env.SUPERGRAPH_PATH, () => {
            try {
              const next = read();
              if (next === last || next.trim() === '') return;
              last = next;
              update(next);
              logger.info('supergraph reloaded');
            } catch (error) {
              logger.error({ err: error }, 'supergraph reload failed; keeping the previous one');
            }
          })
        : undefined;
      return { supergraphSdl: last, cleanup: async () => watcher?.close() };
    },
    buildService: ({ name, url }) =>
      new SubgraphDataSource({
        url: overrides.get(name) ?? url,
        fetcher: timeoutFetch as never,
      }),
  });

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection: !production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    formatError: maskErrors(logger),
    // Our Lifecycle stops services in order; Apollo must not re-raise the signal itself.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: env.MAX_TOKENS },
    validationRules: [depthLimit(env.MAX_DEPTH), aliasLimit(env.MAX_ALIASES), rootFieldLimit(env.MAX_ROOT_FIELDS)],
    logger,
    plugins: [
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false, document: DEFAULT_SANDBOX_DOCUMENT }),
    ],
  });
  await apollo.start();

  const verifyAccessToken = createAccessTokenVerifier({ jwksUrl: env.JWKS_URL, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE });
  const signAssertion = createAssertionSigner(env.ROUTER_PRIVATE_KEY);

  const clientIp = (req: IncomingMessage): string | undefined => {
    if (env.TRUST_PROXY) {
      const forwarded = req.headers['x-forwarded-for'];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
      if (first) return first;
    }
    return req.socket.remoteAddress ?? undefined;
  };

  const handler = graphqlHttpHandler<RouterContext>(apollo, {
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    context: async (req, requestId) => {
      const token = bearerToken(req.headers.authorization);
      let viewer: Viewer | null = null;
      if (token === null) throw new HttpError(401, 'Authorization header must be "Bearer <access token>"', 'UNAUTHENTICATED');
      if (token) {
        try {
          viewer = await verifyAccessToken(token);
        } catch (error) {
          logger.debug({ err: error, requestId }, 'access token rejected');
          throw new HttpError(401, 'Access token is invalid or expired', 'UNAUTHENTICATED');
        }
      }
      // The assertion is built from verified facts only; client-sent identity headers are never read.
      const assertion = await signAssertion({ viewer, clientIp: clientIp(req), requestId });
      return { viewer, requestId, assertion };
    },
  });

  const http = createHttpService({
    logger,
    readiness: {
      supergraph: async () => {
        if (!gateway.schema) throw new Error('supergraph not loaded');
      },
    },
    handle: async (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/graphql') return handler(req, res);
      if (path === '/' && req.method === 'GET' && !production) {
        res.writeHead(302, { location: '/graphql' });
        return void res.end();
      }
      sendJson(res, 404, { error: 'not found' });
    },
    onStop: () => apollo.stop(),
  });
  return { http, gateway };
}

const DEFAULT_SANDBOX_DOCUMENT = `# Welcome to shopgraph. Sign in, then put the accessToken in the Headers tab:
#   Authorization: Bearer <accessToken>
mutation SignIn {
  login(email: "admin@example.com", password: "admin-password-change-me") {
    accessToken
    expiresAt
    user { id email role }
  }
}

query Me {
  me { id email name role addresses { city country } }
}
`;
