/**
 * `@shopgraph/kit/telemetry`: tracing set-up, span helpers and metrics. A narrow entry point so that a
 * preload (`register.ts`) loads no service dependency.
 */
export { startTelemetry, type Telemetry, type TelemetryOptions } from './sdk.ts';
export {
  captureTraceContext,
  currentRequestId,
  logCorrelation,
  registerServicePort,
  restoreTraceContext,
  SERVICE_ATTRIBUTE,
  SpanKind,
  type SpanOptions,
  withRequestId,
  withSpan,
} from './context.ts';
export * from './metrics.ts';
