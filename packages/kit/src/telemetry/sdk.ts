import { IncomingMessage } from 'node:http';
import { context as apiContext, type Context, propagation, trace } from '@opentelemetry/api';
import type { ReadableSpan, Span as SdkSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { SERVICE_ATTRIBUTE, servicePorts } from './context.ts';

/** What {@link startTelemetry} started: flush before a test reads the receiver, shut down on exit. */
export interface Telemetry {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** `service.name` of spans no service claims (the process's own). */
  serviceName: string;
  /** OTLP/HTTP base URL (`…/v1/traces` is appended); default `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint?: string;
  /** Share of new traces kept (0..1); default `OTEL_TRACES_SAMPLER_ARG`, else 1. Child spans follow their parent. */
  sampleRatio?: number;
  /** Export each span at once (tests) rather than in batches. */
  simple?: boolean;
}

let started: Telemetry | null = null;

/**
 * Registers OpenTelemetry tracing for this process when an OTLP endpoint is configured, and does nothing
 * otherwise (the API stays a no-op: no SDK module is even loaded). Call it before the modules it instruments
 * are loaded: `node --import @shopgraph/kit/telemetry/register` (see register.ts), or first thing in a test.
 *
 * - W3C trace context and baggage propagation; AsyncLocalStorage context.
 * - Instrumentations: node:http (server and client), undici (global `fetch`: internal calls, the gateway's
 *   subgraph fetches, webhooks), ioredis (and so BullMQ's commands), graphql (parse, validate, execute).
 *   @apollo/gateway emits its own spans (request, plan, fetch per subgraph) through the global API.
 * - One OTLP resource per service: spans carry {@link SERVICE_ATTRIBUTE} (an incoming request's from the port
 *   it arrived on, others from their parent), so services sharing a process still export as themselves.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry | null> {
  if (started) return started;
  const endpoint = options.endpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return null;
  const [{ TracerProvider, BatchSpanProcessor, SimpleSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler }, { AsyncLocalStorageContextManager }, core, { resourceFromAttributes }, { OTLPTraceExporter }, { registerInstrumentations }, { HttpInstrumentation }, { UndiciInstrumentation }, { IORedisInstrumentation }, { GraphQLInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-undici'),
      import('@opentelemetry/instrumentation-ioredis'),
      import('@opentelemetry/instrumentation-graphql'),
    ]);

  const ratio = options.sampleRatio ?? Number(process.env.OTEL_TRACES_SAMPLER_ARG ?? 1);
  const base = options.serviceName;
  const resources = new Map<string, ReturnType<typeof resourceFromAttributes>>();
  const resourceOf = (service: string) => {
    let resource = resources.get(service);
    if (!resource) {
      resource = resourceFromAttributes({ 'service.name': service, 'service.namespace': 'shopgraph' });
      resources.set(service, resource);
    }
    return resource;
  };

  const otlp = new OTLPTraceExporter(endpoint ? { url: `${endpoint.replace(/\/$/, '')}/v1/traces` } : {});
  /** Hands each span to OTLP under its own service's resource (OTLP groups spans by resource). */
  const exporter: SpanExporter = {
    export: (spans, done) => {
      const attributed = spans.map((span) => {
        const service = String(span.attributes[SERVICE_ATTRIBUTE] ?? base);
        return Object.create(span, { resource: { value: resourceOf(service) } }) as ReadableSpan;
      });
      otlp.export(attributed, done);
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const exportProcessor = options.simple ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter });
  /** Gives a span without a service its parent's (a span's service is known when it starts). */
  const attribution = {
    onStart(span: SdkSpan, parent: Context) {
      if (span.attributes[SERVICE_ATTRIBUTE] !== undefined) return;
      const parentSpan = trace.getSpan(parent) as Partial<SdkSpan> | undefined;
      const inherited = parentSpan?.attributes?.[SERVICE_ATTRIBUTE];
      if (inherited !== undefined) span.setAttribute(SERVICE_ATTRIBUTE, inherited);
    },
    onEnd() {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new TracerProvider({
    resource: resourceOf(base),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(Number.isFinite(ratio) ? ratio : 1) }),
    spanProcessors: [attribution, exportProcessor],
  });
  apiContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // The service of an incoming request is the one listening on the port it came in on.
        requestHook: (span, request) => {
          if (request instanceof IncomingMessage) {
            const service = servicePorts.get(request.socket.localPort ?? -1);
            if (service) span.setAttribute(SERVICE_ATTRIBUTE, service);
          }
        },
        // Health checks and scrapes are not worth a trace each (nor an OTLP receiver's requests: a loop).
        ignoreIncomingRequestHook: (request) => ['/healthz', '/readyz', '/metrics', '/v1/traces'].includes((request.url ?? '').split('?')[0]!),
      }),
      new UndiciInstrumentation(),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true, depth: 2 }),
    ],
  });

  started = {
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      started = null;
    },
  };
  return started;
}
