import type { IncomingMessage, Server } from 'node:http';
import {
  createSourceEventStream,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  parse,
  validate,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type AssertedRequest, type AuthContext, type Caller, CONNECTION_INIT } from './auth.ts';
import { userError, ErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';
import { unstorableTextError } from './text-input.ts';

/**
 * Federated subscriptions, subgraph side. The router subscribes over graphql-ws to the subgraph that owns a
 * Subscription field and resolves the rest of the plan per event. Two conventions make that resumable
 * without the router knowing anything about the domain:
 *
 * - a subgraph's subscribe resolver may tag each event with an opaque resume cursor (`subscriptionEvent`);
 *   it reaches the router as `extensions.resumeCursor` of that event's result;
 * - when the router re-subscribes after losing the connection, it sends the last cursor it saw as
 *   `extensions.resumeAfter`; the subscribe resolver receives it as `root.resumeAfter` and replays
 *   whatever was committed after it before going live.
 *
 * A third lets the router serve many identical subscriptions with one: the cursor-only result that marks a
 * stream as live may say `joinable` (see `subscriptionCursor`).
 *
 * Identity: the connection must be opened by the router or an internal service (their credential in
 * `connectionParams.headers`, a router assertion bound to CONNECTION_INIT); each subscription carries the
 * router's assertion for its viewer in `extensions.headers`, bound to that subscription's query, operation
 * name and variables, and verified exactly like the HTTP headers of a query.
 */

const RESUME_CURSOR = Symbol('resumeCursor');

/** What a subscribe resolver receives as its `root` argument. */
export interface SubscriptionRoot {
  /** The cursor of the last event the subscriber received, when it is resuming. */
  resumeAfter: string | null;
}

/** One event of a subscription field, tagged with the cursor to resume after it. */
export function subscriptionEvent<K extends string, T>(field: K, value: T, cursor: string): { [P in K]: T } {
  return Object.assign({ [field]: value } as { [P in K]: T }, { [RESUME_CURSOR]: cursor });
}

/** The `root` a subscribe resolver receives (typed as empty by codegen). */
export const subscriptionRoot = (root: unknown): SubscriptionRoot => root as SubscriptionRoot;

const CURSOR_ONLY = Symbol('cursorOnly');
const JOINABLE = Symbol('joinable');

/**
 * A cursor without an event: sent once a subscription is live, so that a subscriber whose connection drops
 * before the first change still resumes from where it started rather than from whenever it reconnects.
 * It reaches the router as a result with `extensions.resumeCursor` only; the router keeps it to itself.
 *
 * `joinable` says that the stream is "from now on": anyone sending the same request now would receive from
 * here exactly what this subscription receives (no replay that a later subscriber would miss). The router
 * then lets later identical subscriptions share this one (`extensions.joinable`).
 */
export function subscriptionCursor<E>(cursor: string, options: { joinable?: boolean } = {}): E {
  // Typed as the stream's events so it can go into the same stream; the mapping below tells them apart.
  return { [RESUME_CURSOR]: cursor, [CURSOR_ONLY]: true, [JOINABLE]: options.joinable === true } as E;
}

function cursorOf(event: unknown): string | undefined {
  return typeof event === 'object' && event !== null ? (event as { [RESUME_CURSOR]?: string })[RESUME_CURSOR] : undefined;
}

/** Maps an async iterator; `return()` passes straight through to the source. */
function mapAsyncIterator<T, U>(source: AsyncIterator<T>, map: (value: T) => Promise<U> | U): AsyncIterableIterator<U> {
  return {
    async next() {
      const result = await source.next();
      return result.done ? { value: undefined, done: true } : { value: await map(result.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * graphql's `subscribe`, with two differences: each event is executed with a fresh context (`eventContext`),
 * so per-request caches such as DataLoaders never serve one event's data to the next; and each event's
 * resume cursor travels in `extensions.resumeCursor`.
 */
async function subscribeWithCursors(
  args: ExecutionArgs,
  eventContext: () => unknown,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  return mapAsyncIterator(stream as AsyncIterableIterator<unknown>, async (event) => {
    const marker = event as { [CURSOR_ONLY]?: boolean; [JOINABLE]?: boolean };
    if (marker[CURSOR_ONLY]) return { extensions: { resumeCursor: cursorOf(event), ...(marker[JOINABLE] ? { joinable: true } : {}) } } as ExecutionResult;
    const result = await execute({ ...args, rootValue: event, contextValue: await eventContext() });
    const cursor = cursorOf(event);
    return cursor === undefined ? result : { ...result, extensions: { ...result.extensions, resumeCursor: cursor } };
  });
}

export interface SubscriptionServerOptions<TContext extends AuthContext> {
  server: Server;
  schema: GraphQLSchema;
  logger: Logger;
  verifyCaller: (headers: Record<string, string | string[] | undefined>, request: AssertedRequest | typeof CONNECTION_INIT) => Promise<Caller | null>;
  context: (caller: Caller, req: IncomingMessage) => TContext | Promise<TContext>;
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  maxPayloadBytes: number;
  path?: string;
}

type Headers = Record<string, string | string[] | undefined>;

function headersIn(value: unknown): Headers | null {
  if (typeof value !== 'object' || value === null) return null;
  const headers = (value as { headers?: unknown }).headers;
  return typeof headers === 'object' && headers !== null ? (headers as Headers) : null;
}

/** Serves the schema's subscriptions over graphql-ws on the subgraph's HTTP server. Returns a stop function. */
export function attachSubscriptionServer<TContext extends AuthContext>(options: SubscriptionServerOptions<TContext>): () => Promise<void> {
  const path = options.path ?? '/graphql';
  const wss = new WebSocketServer({ server: options.server, path, maxPayload: options.maxPayloadBytes });
  type Extra = { connectionCaller?: Caller };
  // How to build a fresh context for each event of a subscription, keyed by its subscribe-time context.
  const eventContexts = new WeakMap<object, () => unknown>();
  const formatErrors = (errors: readonly GraphQLError[]) => errors.map((error) => options.format(error.toJSON(), error));

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.schema,
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const headers = headersIn(ctx.connectionParams);
        const caller = headers ? await options.verifyCaller(headers, CONNECTION_INIT) : null;
        if (!caller) return false;
        ctx.extra.connectionCaller = caller;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const headers = headersIn(payload.extensions);
        const caller = headers ? await options.verifyCaller(headers, payload) : ctx.extra.connectionCaller!;
        if (!caller) return [userError(ErrorCode.UNAUTHENTICATED, 'Subscription credentials are invalid or expired')];
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(options.schema, document);
        if (errors.length > 0) return errors;
        const textError = unstorableTextError(document, payload.variables);
        if (textError) return [textError];
        const resumeAfter = typeof payload.extensions?.resumeAfter === 'string' ? payload.extensions.resumeAfter : null;
        const request = (ctx.extra as unknown as { request: IncomingMessage }).request;
        const contextValue = await options.context(caller, request);
        eventContexts.set(contextValue, () => options.context(caller, request));
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          rootValue: { resumeAfter } satisfies SubscriptionRoot,
          contextValue,
        };
      },
      subscribe: (args) => subscribeWithCursors(args, eventContexts.get(args.contextValue as object) ?? (() => args.contextValue)),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: formatErrors(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => formatErrors(errors),
    },
    wss,
  );
  wss.on('error', (error) => options.logger.error({ err: error }, 'subscription server error'));
  return async () => {
    await disposable.dispose();
  };
}

