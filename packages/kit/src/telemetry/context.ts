import { AsyncLocalStorage } from 'node:async_hooks';
import { type Attributes, context, type Context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * The light half of the kit's telemetry: only `@opentelemetry/api`, which is a no-op until an SDK is registered
 * (see `startTelemetry` in `@shopgraph/kit/telemetry`). Every service loads this; none pays more than a no-op
 * tracer when `OTEL_EXPORTER_OTLP_ENDPOINT` is unset.
 */

/**
 * Span attribute naming the service a span belongs to. Several services can share a process (the test stack,
 * `npm start`'s subgraphs together): the exporter groups spans by it into one OTLP resource per service.
 */
export const SERVICE_ATTRIBUTE = 'shopgraph.service';

const TRACER = 'shopgraph';

/** What a request carries through async calls: its id (for log lines). */
interface RequestScope {
  requestId: string;
}

const requestScope = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` with `requestId` as the current request id (log lines and jobs enqueued meanwhile carry it). */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requestScope.run({ requestId }, fn);
}

/** The current request id, if any. */
export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/** Trace id, span id and request id of the current context: pino's mixin adds them to every line. */
export function logCorrelation(): Record<string, string> {
  const fields: Record<string, string> = {};
  const span = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  if (spanContext && trace.isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const requestId = currentRequestId();
  if (requestId) fields.request_id = requestId;
  return fields;
}

/** Local ports of HTTP servers by service name: the incoming request span of a port is that service's. */
export const servicePorts = new Map<number, string>();

/** Records that the HTTP server on `port` is service `name` (called when a service starts listening). */
export function registerServicePort(port: number, name: string): void {
  servicePorts.set(port, name);
}

/**
 * Serialises the current trace context (W3C `traceparent`/`tracestate`) and request id for a message that
 * leaves the process (a BullMQ job, an outbox row). Undefined when there is neither.
 */
export function captureTraceContext(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const requestId = currentRequestId();
  if (requestId) carrier['x-request-id'] = requestId;
  return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : undefined;
}

/** The context and request id a message was sent with (see {@link captureTraceContext}). */
export function restoreTraceContext(captured: string | null | undefined): { context: Context; requestId?: string } {
  if (!captured) return { context: ROOT_CONTEXT };
  try {
    const carrier = JSON.parse(captured) as Record<string, string>;
    const requestId = typeof carrier['x-request-id'] === 'string' ? carrier['x-request-id'] : undefined;
    return { context: propagation.extract(ROOT_CONTEXT, carrier), ...(requestId ? { requestId } : {}) };
  } catch {
    return { context: ROOT_CONTEXT };
  }
}

export interface SpanOptions {
  /** The service the span belongs to; by default its parent's. */
  service?: string;
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context (default: the active one). */
  parent?: Context;
}

/**
 * Runs `fn` in a new active span named `name`, ending it when `fn` settles; an exception marks the span as
 * failed and is rethrown. Without a registered SDK this is a no-op span.
 */
export function withSpan<T>(name: string, fn: (span: Span) => Promise<T>, options: SpanOptions = {}): Promise<T> {
  const attributes = { ...options.attributes, ...(options.service ? { [SERVICE_ATTRIBUTE]: options.service } : {}) };
  return trace.getTracer(TRACER).startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes }, options.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

export { SpanKind };
