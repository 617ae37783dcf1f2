import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { type DocumentNode, parse } from 'graphql';
import type { Redis } from './redis.ts';
import { createCallerVerifier, type AuthContext, type Caller } from './auth.ts';
import { maskErrors } from './errors.ts';
import { cachePolicyPlugin } from './cache-policy.ts';
import { attachSubscriptionServer } from './subscriptions.ts';
import { unstorableTextPlugin } from './text-input.ts';
import { HttpError, graphqlHttpHandler, sendJson } from './http.ts';
import type { Logger } from './logger.ts';
import { registerServicePort } from './telemetry/context.ts';
import { metricsHandler } from './telemetry/metrics.ts';

/** A plain HTTP route served next to /graphql (e.g. a JWKS document or a webhook). */
export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
}

/** Named readiness checks; each throws when its dependency is not usable. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/** Reads and parses a subgraph's SDL: `loadTypeDefs(new URL('../schema.graphql', import.meta.url))`. */
export function loadTypeDefs(file: URL): DocumentNode {
  return parse(readFileSync(file, 'utf8'));
}

/** Readiness of a subgraph's own PostgreSQL database and, when it uses one, Redis. */
export function storageReadiness(db: { sql: (strings: TemplateStringsArray) => PromiseLike<unknown> }, redis?: Redis): ReadinessChecks {
  return {
    postgres: async () => db.sql`select 1`,
    ...(redis ? { redis: () => redis.ping() } : {}),
  };
}

export interface HttpService {
  server: Server;
  /** Starts listening; port 0 picks a free port. Resolves with the bound URL. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops accepting requests, lets in-flight ones finish, then stops Apollo. */
  stop(): Promise<void>;
}

/**
 * A Node HTTP server with `/healthz` (process is up), `/readyz` (every readiness check passes),
 * extra routes, and a request handler for everything else.
 */
export function createHttpService(options: {
  logger: Logger;
  readiness?: ReadinessChecks;
  routes?: HttpRoute[];
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  onStop?: () => Promise<void>;
  /**
   * The service this server is: its incoming request spans are attributed to it, and, unless `metricsPath` is
   * false, it serves its Prometheus metrics on `GET /metrics` (subgraphs: their port is internal).
   */
  service?: string;
  metricsPath?: boolean;
  /**
   * Ignore `traceparent`/`tracestate`/`baggage` sent by callers (a public endpoint: clients must not choose
   * trace ids or force sampling). The request starts a new trace.
   */
  dropIncomingTraceContext?: boolean;
}): HttpService {
  const routes = new Map((options.routes ?? []).map((r) => [`${r.method} ${r.path}`, r.handler]));
  if (options.service && options.metricsPath !== false) routes.set('GET /metrics', metricsHandler(options.service));
  const serverOptions = options.dropIncomingTraceContext ? { IncomingMessage: UntrustedTraceRequest } : {};
  const server = createServer(serverOptions, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.get(`${req.method} ${path}`);
    const work = async () => {
      if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz') return readiness(res, options.readiness ?? {});
      if (route) return route(req, res);
      return options.handle(req, res);
    };
    work().catch((error: unknown) => {
      options.logger.error({ err: error, url: req.url }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return {
    server,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const bound = (server.address() as AddressInfo).port;
          if (options.service) registerServicePort(bound, options.service);
          resolve({ url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`, port: bound });
        });
      }),
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await options.onStop?.();
    },
  };
}

/** Trace context headers a public endpoint ignores. */
const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'];
const cleaned = new WeakSet<IncomingMessage>();
const headersOf = Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'headers');

/**
 * A request whose trace context headers are gone before anyone reads them: OpenTelemetry's HTTP
 * instrumentation extracts the parent from `req.headers` before any request listener runs, so the headers
 * must be dropped when the request object is built. (Node builds `headers` lazily from `rawHeaders`.)
 */
class UntrustedTraceRequest extends IncomingMessage {}
if (headersOf?.get) {
  Object.defineProperty(UntrustedTraceRequest.prototype, 'headers', {
    configurable: true,
    get(this: IncomingMessage) {
      const headers = headersOf.get!.call(this) as IncomingMessage['headers'];
      if (!cleaned.has(this)) {
        for (const name of TRACE_HEADERS) delete headers[name];
        cleaned.add(this);
      }
      return headers;
    },
    set(this: IncomingMessage, value: unknown) {
      headersOf.set?.call(this, value);
    },
  });
}

async function readiness(res: ServerResponse, checks: ReadinessChecks): Promise<void> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await check();
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : 'failed'] as const;
      }
    }),
  );
  const ready = results.every(([, status]) => status === 'ok');
  sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
}

export interface SubgraphServerOptions<TContext extends AuthContext> {
  name: string;
  typeDefs: DocumentNode;
  /** Resolvers, typed by the subgraph with its generated `Resolvers` type. */
  resolvers: object;
  logger: Logger;
  env: { ROUTER_PUBLIC_KEY: string; INTERNAL_SECRET: string; BODY_LIMIT_BYTES: number };
  /** Builds the resolver context from the verified caller. */
  context: (caller: Caller, req: IncomingMessage) => TContext | Promise<TContext>;
  readiness?: ReadinessChecks;
  routes?: HttpRoute[];
}

/**
 * Builds a federated subgraph server. Every GraphQL request must carry a valid router assertion or
 * internal credential (else 401); errors are masked to stable codes; there is no landing page.
 */
export async function createSubgraphServer<TContext extends AuthContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<HttpService> {
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as never }]);
  const formatError = maskErrors(options.logger);
  const apollo = new ApolloServer<TContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // No Apollo usage reporting here, so federated traces would only cost time.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), unstorableTextPlugin(), cachePolicyPlugin()],
    // Our Lifecycle stops services in order; Apollo must not re-raise the signal itself.
    stopOnTerminationSignals: false,
    logger: options.logger,
  });
  await apollo.start();
  const verifyCaller = createCallerVerifier({
    routerPublicKey: options.env.ROUTER_PUBLIC_KEY,
    internalSecret: options.env.INTERNAL_SECRET,
    audience: options.name,
  });
  const handler = graphqlHttpHandler(apollo, {
    bodyLimitBytes: options.env.BODY_LIMIT_BYTES,
    observe: { service: options.name, logger: options.logger },
    context: async (req, _requestId, body) => {
      // Router assertions are bound to the request they were signed for (see requestDigest).
      const caller = await verifyCaller(req.headers, typeof body === 'object' && body !== null ? body : {});
      if (!caller) throw new HttpError(401, 'Requests must come through the router or an internal service', 'UNAUTHENTICATED');
      return options.context(caller, req);
    },
  });
  const http = createHttpService({
    logger: options.logger,
    service: options.name,
    readiness: options.readiness,
    routes: options.routes,
    handle: async (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/graphql' && path !== '/') return sendJson(res, 404, { error: 'not found' });
      await handler(req, res);
    },
    onStop: () => apollo.stop(),
  });
  if (!schema.getSubscriptionType()) return http;
  // A schema with a Subscription root also serves graphql-ws on /graphql, for the router.
  const stopSubscriptions = attachSubscriptionServer({
    server: http.server,
    schema,
    logger: options.logger,
    verifyCaller,
    context: options.context,
    format: formatError,
    maxPayloadBytes: options.env.BODY_LIMIT_BYTES,
  });
  let stopping: Promise<void> | null = null;
  return {
    ...http,
    // Open WebSockets would keep the HTTP server from closing: they go first. Stopping twice is stopping once.
    stop: () =>
      (stopping ??= (async () => {
        await stopSubscriptions();
        await http.stop();
      })()),
  };
}
