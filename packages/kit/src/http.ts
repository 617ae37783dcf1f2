import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from './logger.ts';
import { withRequestId } from './telemetry/context.ts';
import { boundedLabel, graphqlMetrics } from './telemetry/metrics.ts';

/** Thrown by {@link readBody} when the body is larger than allowed. */
export class PayloadTooLargeError extends Error {}

/** Reads a request body as text, refusing more than `limitBytes`. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new PayloadTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a webhook's body, or answers 413 (`{ error: { code: 'PAYLOAD_TOO_LARGE' } }`, connection closed) and
 * returns null when it is larger than `limitBytes`.
 */
export async function readWebhookBody(req: IncomingMessage, res: ServerResponse, limitBytes: number): Promise<string | null> {
  try {
    return await readBody(req, limitBytes);
  } catch (error) {
    if (!(error instanceof PayloadTooLargeError)) throw error;
    res.setHeader('connection', 'close');
    sendJson(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: `Request body is larger than ${limitBytes} bytes` } });
    req.resume();
    return null;
  }
}

/** Sends a JSON body with a status code. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends a GraphQL-shaped error response (used before a request reaches GraphQL execution). */
export function sendGraphQLError(res: ServerResponse, status: number, message: string, code: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/** The request id: the caller's `x-request-id` when well-formed, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export interface GraphQLHandlerOptions<TContext extends BaseContext> {
  bodyLimitBytes: number;
  /** Builds the operation context; throwing an {@link HttpError} answers with its status. `body` is the parsed POST body. */
  context: (req: IncomingMessage, requestId: string, body: unknown) => Promise<TContext>;
  /**
   * Service name and logger: one access line per request (operation, status, duration, first error code, and
   * `cost` when the context's `access` has one) and the RED metrics `shopgraph_graphql_requests_total` /
   * `shopgraph_graphql_request_duration_seconds` of that service.
   */
  observe?: { service: string; logger: Logger };
}

/** An error that ends a request with an HTTP status before GraphQL runs. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * A Node `http` handler for an Apollo Server 5 instance: body limit (413), JSON parsing, request ids,
 * and Apollo's own CSRF prevention, landing page and GET handling.
 */
export function graphqlHttpHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  options: GraphQLHandlerOptions<TContext>,
) {
  const metrics = options.observe ? graphqlMetrics(options.observe.service) : null;
  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string, seen: Seen<TContext>): Promise<void> => {
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      let body: unknown = undefined;
      if (req.method === 'POST') {
        const text = await readBody(req, options.bodyLimitBytes);
        const type = headers.get('content-type') ?? '';
        if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) {
          try {
            body = text.length > 0 ? JSON.parse(text) : {};
          } catch {
            throw new HttpError(400, 'Request body is not valid JSON', 'BAD_REQUEST');
          }
        } else {
          body = text;
        }
      }
      seen.operation = operationNameOf(body, req.url);
      const context = await options.context(req, requestId, body);
      seen.context = context;
      const url = new URL(req.url ?? '/', 'http://localhost');
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: async () => context,
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        seen.code = firstErrorCode(response.body.string);
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof PayloadTooLargeError) {
        sendGraphQLError(res, 413, `Request body is larger than ${options.bodyLimitBytes} bytes`, 'PAYLOAD_TOO_LARGE');
        req.resume();
      } else if (error instanceof HttpError) {
        seen.code = error.code;
        sendGraphQLError(res, error.status, error.message, error.code);
      } else {
        throw error;
      }
    }
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    // Log lines written while serving the request, and jobs it enqueues, carry its id.
    await withRequestId(requestId, async () => {
      const started = process.hrtime.bigint();
      const seen: Seen<TContext> = {};
      try {
        await handle(req, res, requestId, seen);
      } finally {
        if (options.observe && metrics) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const status = res.statusCode;
          const operation = boundedLabel(`${options.observe.service}:operation`, seen.operation);
          metrics.requests.inc({ operation, status: String(status), code: boundedLabel('code', seen.code ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'none'), 30) });
          metrics.duration.observe({ operation }, seconds);
          const cost = (seen.context as { access?: { cost?: unknown } } | undefined)?.access?.cost;
          options.observe.logger.info(
            {
              operation: seen.operation ?? null,
              status,
              durationMs: Math.round(seconds * 1e4) / 10,
              ...(seen.code ? { code: seen.code } : {}),
              ...(typeof cost === 'number' ? { cost } : {}),
              client: req.headers['apollographql-client-name'] ?? req.headers['user-agent'] ?? null,
            },
            'graphql request',
          );
        }
      }
    });
  };
}

/** What the access line and metrics of a request learn while it is handled. */
interface Seen<TContext> {
  operation?: string;
  code?: string;
  context?: TContext;
}

/** The operation name a request names (POST body or GET query string). */
function operationNameOf(body: unknown, url: string | undefined): string | undefined {
  if (typeof body === 'object' && body !== null && typeof (body as { operationName?: unknown }).operationName === 'string') {
    return (body as { operationName: string }).operationName;
  }
  if (url?.includes('operationName=')) return new URL(url, 'http://localhost').searchParams.get('operationName') ?? undefined;
  // Without operationName, the name of the document's (first) operation, read without parsing the document.
  const query = typeof body === 'object' && body !== null ? (body as { query?: unknown }).query : undefined;
  return typeof query === 'string' ? OPERATION_NAME.exec(query)?.[1] : undefined;
}

const OPERATION_NAME = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** The `extensions.code` of a response's first error, read only when the response has errors. */
function firstErrorCode(body: string): string | undefined {
  if (!body.includes('"errors"')) return undefined;
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    const code = parsed.errors?.[0]?.extensions?.code;
    return typeof code === 'string' ? code : parsed.errors?.length ? 'UNKNOWN' : undefined;
  } catch {
    return undefined;
  }
}
