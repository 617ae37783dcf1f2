import { createLogger, loadEnvOrExit, runService } from '@shopgraph/kit';
import { routerEnvShape } from './env.ts';
import { createRouter } from './router.ts';

const logger = createLogger('router');

runService(logger, async (lifecycle) => {
  const env = loadEnvOrExit(routerEnvShape);
  const { http, metrics } = await createRouter({ env, logger });
  lifecycle.onStop('http', () => http.stop());
  const { port } = await http.listen(env.PORT, env.HOST);
  const { port: metricsPort } = await metrics.listen(env.METRICS_PORT, env.HOST);
  logger.info({ url: `http://localhost:${metricsPort}/metrics` }, 'router metrics ready');
  logger.info({ url: `http://localhost:${port}/graphql` }, 'router ready');
});
