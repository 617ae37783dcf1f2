import { fileURLToPath } from 'node:url';
import { baseEnvShape } from '@shopgraph/kit';
import { z } from 'zod';
import { corsEnvShape } from './cors.ts';
import { entityCacheEnvShape } from './entity-cache.ts';
import { loadSheddingEnvShape } from './load-shedding.ts';
import { subgraphResilienceEnvShape } from './subgraph-resilience.ts';
import { trustedDocumentsEnvShape } from './trusted-documents.ts';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** The router's variables. */
export const routerEnvShape = {
  ...baseEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  SUPERGRAPH_PATH: z.string().default(fileURLToPath(new URL('../../supergraph.graphql', import.meta.url))),
  /** Comma-separated `name=url` pairs that replace routing URLs of the supergraph (containers, clusters). */
  SUBGRAPH_URLS: z.string().default(''),
  /** Reload the supergraph when its file changes (defaults to on outside production). */
  SUPERGRAPH_WATCH: flag.optional(),
  JWKS_URL: z.string().url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().default('shopgraph-users'),
  JWT_AUDIENCE: z.string().default('shopgraph'),
  /** PKCS#8 PEM of the router's Ed25519 key; it signs the identity assertions subgraphs trust. */
  ROUTER_PRIVATE_KEY: z.string().min(1, 'is required (PEM of the router private key)'),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(262_144),
  MAX_DEPTH: z.coerce.number().int().positive().default(12),
  MAX_ALIASES: z.coerce.number().int().nonnegative().default(30),
  MAX_ROOT_FIELDS: z.coerce.number().int().positive().default(20),
  MAX_TOKENS: z.coerce.number().int().positive().default(5_000),
  /** Fields one operation may select once its fragments are expanded (src/limits.ts). */
  MAX_FIELDS: z.coerce.number().int().positive().default(1_000),
  /** Static cost budget of one operation (src/cost.ts), and the assumed length of a list without `first`. */
  MAX_COST: z.coerce.number().int().positive().default(10_000),
  COST_DEFAULT_LIST_SIZE: z.coerce.number().int().positive().default(10),
  /** Cost points one client (user, else address) may spend per window, shared by replicas through Redis; 0 turns it off. */
  RATE_LIMIT_POINTS: z.coerce.number().int().nonnegative().default(100_000),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /** Redis for the rate limits; without it each replica counts on its own. */
  REDIS_URL: z.string().url().optional(),
  /** Subscriptions (graphql-ws on /graphql): time a client has to send connection_init. */
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** Ping interval; a client that does not answer within the same time is dropped. 0 disables. */
  WS_KEEPALIVE_MS: z.coerce.number().int().nonnegative().default(12_000),
  /** Largest WebSocket message a client may send. */
  WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().positive().default(65_536),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().positive().default(25),
  WS_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().positive().default(200),
  WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().positive().default(20),
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  TRUST_PROXY: flag.default(false),
  /** Port of the router's Prometheus `/metrics` (never served on the public port); 0 picks a free one. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /**
   * Continue a client's trace (`traceparent` header) instead of starting a new one. Only behind a client or
   * proxy you run: otherwise callers could pick trace ids and force sampling.
   */
  OTEL_TRUST_INCOMING_TRACE: flag.default(false),
  ...corsEnvShape,
  ...trustedDocumentsEnvShape,
  ...subgraphResilienceEnvShape,
  ...loadSheddingEnvShape,
  ...entityCacheEnvShape,
};

export type RouterEnv = z.infer<z.ZodObject<typeof routerEnvShape>>;

/** Parses SUBGRAPH_URLS into a name -> URL map. */
export function subgraphUrlOverrides(value: string): Map<string, string> {
  return new Map(
    value
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const [name, ...rest] = pair.split('=');
        return [name!.trim(), rest.join('=').trim()] as [string, string];
      }),
  );
}
