import { readFileSync, watch } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
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
import { subgraphUrlOverrides, type RouterEnv } from './env.ts';
import { bearerToken, createAccessTokenVerifier } from './jwt.ts';
import { subgraphDataSource } from './datasource.ts';
import { clientErrorPlugins } from './client-errors.ts';
import { createCorsPolicy } from './cors.ts';
import { aliasLimit, depthLimit, fieldLimit, rootFieldLimit } from './limits.ts';
import { createAdmission } from './admission.ts';
import { withRequestSignal } from './cancellation.ts';
import { attachRouterSubscriptions, type RouterSubscriptions } from './subscriptions/server.ts';
import { INVOICE_PATH, proxyInvoice } from './invoice-proxy.ts';
import { trackingOperations, trackingRoutes } from './tracking/tracking.ts';
import { createTrustedDocuments } from './trusted-documents.ts';
import { createLoadShedder } from './load-shedding.ts';
import { createEntityCache } from './entity-cache.ts';
import { subgraphBreakers, unavailabilityGuard, unavailableResponsePlugin } from './subgraph-resilience.ts';
import { metricsHandler } from '@shopgraph/kit/telemetry';
import { observeSubscriptions, ROUTER_SERVICE } from './metrics.ts';

/** What the router knows about one client request. */
export interface RouterContext {
  viewer: Viewer | null;
  requestId: string;
  /** The client's address, asserted to subgraphs (each subgraph request is signed for that subgraph alone). */
  clientIp?: string;
  /**
   * What the access line reports beside status and duration: the operation's cost (set by admission). An object
   * of its own because Apollo hands plugins a shallow copy of the context.
   */
  access?: { cost?: number };
}

export interface Router {
  http: HttpService;
  /** Prometheus `/metrics`, on a port of its own (`METRICS_PORT`): the public port never serves it. */
  metrics: HttpService;
  gateway: ApolloGateway;
  subscriptions: RouterSubscriptions;
}

/**
 * Builds the router: @apollo/gateway over the committed supergraph, served by Apollo Server 5 on a
 * plain Node HTTP server (the WebSocket endpoint shares it).
 */
export async function createRouter(deps: { env: RouterEnv; logger: Logger; supergraphSdl?: string }): Promise<Router> {
  const { env, logger } = deps;
  const production = env.NODE_ENV === 'production';
  const overrides = subgraphUrlOverrides(env.SUBGRAPH_URLS);
  /** Each subgraph's URL as the gateway uses it (the invoice download is proxied to payments). */
  const subgraphUrls = new Map<string, string>();
  const watchFile = !deps.supergraphSdl && (env.SUPERGRAPH_WATCH ?? !production);

  // @apollo/gateway exports usage metrics to Apollo (probing cloud metadata addresses on the way) unless this
  // is set. shopgraph sends nothing anywhere by itself; set it to false to opt in.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const signAssertion = createAssertionSigner(env.ROUTER_PRIVATE_KEY);
  // One circuit breaker per subgraph, shared by HTTP operations and subscription events.
  const breakerOf = subgraphBreakers(env);
  // Public entities in Redis, served stale while their subgraph is unavailable (src/entity-cache.ts).
  const entityCache = createEntityCache({ redisUrl: env.REDIS_URL, enabled: env.ENTITY_CACHE, staleSeconds: env.ENTITY_CACHE_STALE_SECONDS, logger });
  const resilience = (name: string) => ({ breaker: breakerOf(name), guard: unavailabilityGuard(name, breakerOf(name), logger, entityCache) });
  const gateway = new ApolloGateway({
    logger: gatewayLogger(logger),
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
    buildService: ({ name, url }) => {
      subgraphUrls.set(name, overrides.get(name) ?? url ?? '');
      return subgraphDataSource(name, overrides.get(name) ?? url ?? '', env.SUBGRAPH_TIMEOUT_MS, signAssertion, resilience(name));
    },
  });

  const validationRules = [depthLimit(env.MAX_DEPTH), aliasLimit(env.MAX_ALIASES), rootFieldLimit(env.MAX_ROOT_FIELDS), fieldLimit(env.MAX_FIELDS)];
  // Cost budget and per-client rate limit, after validation and before the gateway plans anything.
  const admission = createAdmission(env, logger);
  // Trusted documents: refused in the context function below, before Apollo parses anything; the plugin puts
  // a listed document in place of its id.
  const trustedDocuments = createTrustedDocuments(env, logger, trackingOperations());
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
    validationRules,
    logger,
    plugins: [
      ...(trustedDocuments ? [trustedDocuments.plugin] : []),
      ...clientErrorPlugins<RouterContext>({ hideSchemaDetails: production }),
      admission.plugin,
      unavailableResponsePlugin<RouterContext>(),
      ...(entityCache ? [entityCache.plugin] : []),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false, document: DEFAULT_SANDBOX_DOCUMENT }),
    ],
  });
  // Subscriptions are planned from the same supergraph; it must be followed from the first load on.
  let latestSupergraph: string | null = null;
  let subscriptions: RouterSubscriptions | null = null;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    if (!coreSupergraphSdl) return;
    latestSupergraph = coreSupergraphSdl;
    subscriptions?.update(coreSupergraphSdl);
  });
  await apollo.start();

  const cors = createCorsPolicy(env);
  const shedder = createLoadShedder(env);
  const verifyAccessToken = createAccessTokenVerifier({ jwksUrl: env.JWKS_URL, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE });

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
    observe: { service: ROUTER_SERVICE, logger },
    context: async (req, requestId, body) => {
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
      // Subgraph assertions are built from verified facts only; client-sent identity headers are never read.
      const ip = clientIp(req);
      trustedDocuments?.checkHttp(req, body, viewer);
      return { viewer, requestId, access: {}, ...(ip ? { clientIp: ip } : {}) };
    },
  });

  const http = createHttpService({
    logger,
    service: ROUTER_SERVICE,
    metricsPath: false,
    dropIncomingTraceContext: !env.OTEL_TRUST_INCOMING_TRACE,
    readiness: {
      supergraph: async () => {
        if (!gateway.schema) throw new Error('supergraph not loaded');
      },
    },
    handle: async (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      // CORS first: a preflight is answered here and never reaches GraphQL.
      if (path === '/graphql' && cors.handle(req, res)) return;
      if (path === '/graphql' && !shedder.admit(res)) return;
      if (path === '/graphql') return withRequestSignal(res, () => handler(req, res));
      if (trackingRoutes(req, res)) return;
      if (path === INVOICE_PATH && req.method === 'GET') return proxyInvoice(req, res, subgraphUrls.get('payments'), logger);
      if (path === '/' && req.method === 'GET' && !production) {
        res.writeHead(302, { location: '/graphql' });
        return void res.end();
      }
      sendJson(res, 404, { error: 'not found' });
    },
    onStop: async () => {
      shedder.close();
      await apollo.stop();
      await admission.close();
      await entityCache?.close();
    },
  });

  subscriptions = attachRouterSubscriptions({
    server: http.server,
    env,
    logger,
    apiSchema: () => gateway.schema,
    validationRules,
    parseOptions: { maxTokens: env.MAX_TOKENS },
    verifyAccessToken,
    sign: signAssertion,
    clientIp,
    allowsOrigin: cors.allowsWebSocket,
    trustedDocuments,
    dataSource: (name, url) => subgraphDataSource(name, url, env.SUBGRAPH_TIMEOUT_MS, signAssertion, resilience(name)),
    overrides,
    format: maskErrors(logger),
    admit: admission.admitSubscription,
  });
  if (latestSupergraph) subscriptions.update(latestSupergraph);
  const live = subscriptions;
  observeSubscriptions(live);
  const metrics = createHttpService({ logger, handle: async (req, res) => ((req.url ?? '/').split('?')[0] === '/metrics' ? metricsHandler(ROUTER_SERVICE)(req, res) : sendJson(res, 404, { error: 'not found' })) });
  return {
    gateway,
    metrics,
    subscriptions: live,
    http: {
      ...http,
      // Open WebSockets would keep the HTTP server from closing: they go first.
      stop: async () => {
        await live.close();
        await http.stop();
        await metrics.stop();
      },
    },
  };
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

/**
 * The gateway's logger: its multi-line announcements ("Gateway successfully loaded schema.\n\t* Mode:
 * unmanaged") keep their first line at info and the rest at debug, so that a log stays one line an event.
 */
function gatewayLogger(logger: Logger): Logger {
  const info = (message: unknown): void => {
    const [first, ...rest] = String(message).split('\n');
    if (rest.length) logger.debug({ detail: rest.map((line) => line.trim()).join(' ') }, first!.trim());
    logger.info(first!.trim());
  };
  return Object.assign(Object.create(logger) as Logger, { info });
}
