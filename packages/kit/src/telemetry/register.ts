/**
 * Preload that turns tracing on before anything it instruments is loaded:
 * `node --import @shopgraph/kit/telemetry/register dist/orders.js` (the Dockerfile and `npm start` add it).
 * Does nothing unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The service name is `OTEL_SERVICE_NAME`, else
 * `SERVICE` (the container's), else `shopgraph`.
 */
import { startTelemetry } from './sdk.ts';

const telemetry = await startTelemetry({ serviceName: process.env.OTEL_SERVICE_NAME ?? process.env.SERVICE ?? 'shopgraph' });
if (telemetry) {
  // Spans still in the batch go out before the process ends (the service's own lifecycle has stopped by then).
  process.once('beforeExit', () => void telemetry.shutdown());
}
