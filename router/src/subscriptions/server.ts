import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ServiceMap } from '@apollo/gateway';
import { type AssertionSigner, type Logger, PushStream, type Viewer } from '@shopgraph/kit';
import {
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AdmissionRequest } from '../admission.ts';
import { withoutSuggestions } from '../client-errors.ts';
import type { RouterEnv } from '../env.ts';
import type { TrustedDocuments } from '../trusted-documents.ts';
import { resolveEvent, SharedResolutions } from './executor.ts';
import { type CheckedDocument, CheckedDocuments, type OperationContext } from './documents.ts';
import { SubscriptionPlanner } from './planner.ts';
import { SharedUpstreams } from './shared-upstreams.ts';
import { UpstreamRefusal, UpstreamSubscriptions } from './upstream.ts';

/** Closed because the user already has as many connections as allowed. */
const TOO_MANY_CONNECTIONS = 4429;

export interface SubscriptionMetrics {
  connections: number;
  subscriptions: number;
  upstreamSubscriptions: number;
  /** Upstream subscriptions holding a resume cursor (the subgraph has told where they start). */
  resumableSubscriptions: number;
}

export interface RouterSubscriptions {
  /** Call with each new supergraph (the gateway's load and updates). */
  update(supergraphSdl: string): void;
  metrics(): SubscriptionMetrics;
  close(): Promise<void>;
}

interface Deps {
  server: Server;
  env: RouterEnv;
  logger: Logger;
  /** The public schema clients validate against (the gateway's API schema). */
  apiSchema: () => GraphQLSchema | undefined;
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
  verifyAccessToken: (token: string) => Promise<Viewer>;
  sign: AssertionSigner;
  clientIp: (req: IncomingMessage) => string | undefined;
  /** Whether the upgrade's Origin may open a connection (the CORS allow-list, src/cors.ts). */
  allowsOrigin: (req: IncomingMessage) => boolean;
  /** Trusted documents (src/trusted-documents.ts), when a mode is on. */
  trustedDocuments?: TrustedDocuments | null;
  /** The data source of each subgraph (by name and URL), for the fields resolved per event. */
  dataSource: (name: string, url: string) => ServiceMap[string];
  /** Routing URL overrides (SUBGRAPH_URLS). */
  overrides: Map<string, string>;
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Cost budget and rate limit (src/admission.ts): the refusal, or null to go on. */
  admit?: (request: AdmissionRequest) => Promise<GraphQLError | null>;
}

type ConnectionExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  viewer?: Viewer;
  releaseUser?: () => void;
  /** Closes the connection when its access token expires. */
  expiry?: NodeJS.Timeout;
};

/** What one client subscription carries from onSubscribe to subscribe. */
interface SubscriptionContext {
  planner: SubscriptionPlanner;
  services: ServiceMap;
  /** Each subgraph's GraphQL URL (routing URL or its SUBGRAPH_URLS override). */
  urls: Map<string, string>;
  operationContext: OperationContext;
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  viewer: Viewer;
  clientIp: string | undefined;
}

/**
 * Federated subscriptions over graphql-ws on the router's /graphql. Each subscription is planned with the
 * supergraph's query planner; the router subscribes to the subgraph of the plan's primary fetch and, for
 * every event, runs the rest of the plan against the other subgraphs. Which subgraph owns which field comes
 * from the supergraph alone.
 */
export function attachRouterSubscriptions(deps: Deps): RouterSubscriptions {
  const { env, logger } = deps;
  // As over HTTP: no "Did you mean …?" where introspection is off (see client-errors.ts).
  const hideSchemaDetails = env.NODE_ENV === 'production';
  const upstream = new UpstreamSubscriptions(deps.sign, logger);
  const sharedUpstreams = new SharedUpstreams(upstream);
  const shared = new SharedResolutions();
  const validationRules = [...specifiedRules, ...deps.validationRules];
  const documents = new CheckedDocuments((schema, document) => validate(schema, document, validationRules), deps.parseOptions);
  let planner: SubscriptionPlanner | null = null;
  let services: ServiceMap = {};
  let urls = new Map<string, string>();
  let subscriptions = 0;
  const perIp = new Counter();
  const perUser = new Counter();

  const wss = new WebSocketServer({ noServer: true, maxPayload: env.WS_MAX_PAYLOAD_BYTES });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/graphql') return refuseUpgrade(socket, 404, 'Not Found');
    // Browsers let any page open a WebSocket anywhere: the Origin check is the router's own.
    if (!deps.allowsOrigin(req)) return refuseUpgrade(socket, 403, 'Forbidden');
    const ip = deps.clientIp(req) ?? 'unknown';
    if (perIp.count(ip) >= env.WS_MAX_CONNECTIONS_PER_IP) return refuseUpgrade(socket, 429, 'Too Many Requests');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const release = perIp.add(ip);
      ws.once('close', release);
      wss.emit('connection', ws, req);
    });
  };
  deps.server.on('upgrade', onUpgrade);

  const fail = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

  const disposable = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      connectionInitWaitTimeout: env.WS_CONNECTION_INIT_TIMEOUT_MS,
      onConnect: async (ctx) => {
        const token = accessTokenIn(ctx.connectionParams);
        if (!token) return false;
        try {
          ctx.extra.viewer = await deps.verifyAccessToken(token);
        } catch (error) {
          logger.debug({ err: error }, 'subscription access token rejected');
          return false;
        }
        const user = ctx.extra.viewer.userId;
        if (perUser.count(user) >= env.WS_MAX_CONNECTIONS_PER_USER) {
          ctx.extra.socket.close(TOO_MANY_CONNECTIONS, 'Too many connections for this user');
          return false;
        }
        ctx.extra.releaseUser = perUser.add(user);
        // A connection lives no longer than the token that opened it: the client reconnects with a fresh one.
        const expiresInMs = (decodeJwt(token).exp ?? 0) * 1000 - Date.now();
        const socket = ctx.extra.socket;
        ctx.extra.expiry = setTimeout(() => socket.close(CloseCode.Unauthorized, 'Access token expired'), Math.min(Math.max(expiresInMs, 0), 2 ** 31 - 1));
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiry);
        ctx.extra.releaseUser?.();
      },
      onSubscribe: async (ctx, _id, payload) => {
        if (Object.keys(ctx.subscriptions).length > env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return fail(`At most ${env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`, 'BAD_USER_INPUT');
        }
        const schema = deps.apiSchema();
        if (!schema || !planner) return fail('The router is not ready yet', 'SERVICE_UNAVAILABLE');
        // Trusted documents: refused before parsing, or the listed document put in place of its id.
        const untrusted = deps.trustedDocuments?.admitSubscription(payload, ctx.extra.viewer ?? null);
        if (untrusted) return [untrusted];
        let checked: CheckedDocument;
        try {
          checked = documents.check(schema, payload.query);
        } catch (error) {
          return [withCode(error instanceof GraphQLError ? error : new GraphQLError('Could not parse the operation'), 'GRAPHQL_PARSE_FAILED')];
        }
        const { document, errors } = checked;
        if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED', hideSchemaDetails));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return fail('Could not identify the operation to run (name it in operationName)', 'BAD_USER_INPUT');
        if (operation.operation !== 'subscription') {
          return fail('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', 'BAD_USER_INPUT');
        }
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 10 });
        if (coerced.errors) return coerced.errors.map((error) => withCode(error, 'BAD_USER_INPUT', hideSchemaDetails));
        const refusal = await deps.admit?.({ schema, document, operation, variables: coerced.coerced, viewer: ctx.extra.viewer ?? null, clientIp: deps.clientIp(ctx.extra.request) });
        if (refusal) return [refusal];
        let plan;
        try {
          plan = planner.plan(document, payload.operationName ?? undefined, payload.query);
        } catch (error) {
          logger.error({ err: error }, 'subscription planning failed');
          return fail('The subscription could not be planned', 'INTERNAL_SERVER_ERROR');
        }
        const context: SubscriptionContext = {
          planner,
          services,
          urls,
          operationContext: documents.operationContext(checked, schema, payload.operationName ?? undefined),
          query: payload.query,
          operationName: payload.operationName ?? undefined,
          // Coerced: defaults applied, values in their input types, as the subgraphs will see them.
          variables: coerced.coerced,
          viewer: ctx.extra.viewer!,
          clientIp: deps.clientIp(ctx.extra.request),
        };
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: { context, plan } };
      },
      subscribe: (args: ExecutionArgs) => {
        const { context, plan } = args.contextValue as { context: SubscriptionContext; plan: ReturnType<SubscriptionPlanner['plan']> };
        return start(context, plan);
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map((e) => deps.format(e.toJSON(), e)) } : undefined),
      onError: (_ctx, _id, _payload, errors) =>
        errors.flatMap((error) => (error.originalError instanceof UpstreamRefusal ? [...error.originalError.errors] : [deps.format(error.toJSON(), error)])),
    },
    wss,
    env.WS_KEEPALIVE_MS,
  );

  /** Starts one client subscription: the upstream subscription, and per event the rest of the plan. */
  function start(context: SubscriptionContext, plan: ReturnType<SubscriptionPlanner['plan']>): AsyncIterableIterator<ExecutionResult> {
    const requestId = randomUUID();
    const out = new PushStream<ExecutionResult>(() => {
      subscriptions -= 1;
      unsubscribe();
    });
    subscriptions += 1;
    // Events are resolved one after another, so they reach the client in the order the subgraph sent them.
    let chain = Promise.resolve();
    // Subscribers who would resolve an event alike share the resolution (see SharedResolutions).
    const sameResolution = [context.operationName ?? '', context.query, JSON.stringify(context.variables), context.viewer.userId, context.viewer.role].join('\u0000');
    // Identical subscriptions share one upstream subscription, and so each event object (see SharedUpstreams).
    const unsubscribe = sharedUpstreams.join(
      context.urls.get(plan.primary.serviceName) ?? '',
      {
        subgraph: plan.primary.serviceName,
        query: plan.primary.operation,
        variables: pick(context.variables, plan.primary.variableUsages),
        operationName: plan.primary.operationName,
        viewer: context.viewer,
        requestId,
      },
      {
        next: (event) => {
          chain = chain.then(async () => {
            if (out.closed) return;
            const resolve = async () => {
              // The data sources sign an assertion per fetch, for its subgraph: never stale, however long this lives.
              const routerContext = { viewer: context.viewer, requestId, ...(context.clientIp ? { clientIp: context.clientIp } : {}) };
              const request = { ...context, plan, context: routerContext };
              return resolveEvent(request, event, context.services, logger);
            };
            out.push(await shared.resolve(event, sameResolution, resolve));
          }).catch((error: unknown) => {
            logger.error({ err: error }, 'resolving a subscription event failed');
            out.push({ data: null, errors: [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] });
          });
        },
        error: (refusal) => void chain.then(() => out.fail(refusal)),
        complete: () => void chain.then(() => out.return()),
      },
    );
    return out;
  }

  return {
    update(supergraphSdl) {
      const next = new SubscriptionPlanner(supergraphSdl);
      planner = next;
      urls = new Map(next.subgraphs.map(({ name, url }) => [name, deps.overrides.get(name) ?? url]));
      services = Object.fromEntries([...urls].map(([name, url]) => [name, deps.dataSource(name, url)]));
    },
    metrics: () => ({ connections: wss.clients.size, subscriptions, upstreamSubscriptions: upstream.count, resumableSubscriptions: upstream.resumableCount }),
    async close() {
      deps.server.off('upgrade', onUpgrade);
      await disposable.dispose();
      await upstream.close();
    },
  };
}

/** Reads the access token from connectionParams: `{ authorization: "Bearer …" }` (any case) or `{ accessToken }`. */
function accessTokenIn(params: Record<string, unknown> | undefined): string | null {
  if (!params) return null;
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string') continue;
    if (key.toLowerCase() === 'authorization') {
      const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
      return match ? match[1]! : null;
    }
    if (key === 'accessToken' || key === 'token') return value;
  }
  const headers = params.headers;
  return typeof headers === 'object' && headers !== null ? accessTokenIn(headers as Record<string, unknown>) : null;
}

/** The error with `code` in its extensions unless it has one (as Apollo Server does for HTTP requests). */
function withCode(error: GraphQLError, code: string, hideSuggestions = false): GraphQLError {
  const message = hideSuggestions ? withoutSuggestions(error.message) : error.message;
  if (error.extensions.code && message === error.message) return error;
  const extensions = { ...error.extensions, code: error.extensions.code ?? code };
  return new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions });
}

function pick(variables: Record<string, unknown>, names: readonly string[] | undefined): Record<string, unknown> {
  return Object.fromEntries((names ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]));
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Live counts per key, e.g. connections per IP. */
class Counter {
  private readonly counts = new Map<string, number>();

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Counts one more for `key`; the returned function takes it back (once). */
  add(key: string): () => void {
    this.counts.set(key, this.count(key) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(key) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
  }
}

