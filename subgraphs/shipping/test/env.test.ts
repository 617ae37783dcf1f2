import { EnvError, parseEnv } from '@shopgraph/kit';
import { describe, expect, it } from 'vitest';
import { shippingSubgraph } from '../src/subgraph.ts';

/** The shipping subgraph's variables: the carrier webhook secret and the demo carrier. */

const base = {
  DATABASE_URL: 'postgres://shipping@localhost:5432/shopgraph_shipping',
  ROUTER_PUBLIC_KEY: 'test-key',
  INTERNAL_SECRET: 'x'.repeat(32),
};
const parse = (env: Record<string, string>) => parseEnv(shippingSubgraph.envShape, { ...base, ...env }, shippingSubgraph.validateEnv);

describe('shipping env', () => {
  it('has development defaults: a webhook secret, a five-minute replay window, the demo carrier off', () => {
    const env = parse({});
    expect(env.CARRIER_WEBHOOK_SECRET).toBe('carrier-webhook-secret-change-me');
    expect(env.CARRIER_WEBHOOK_TOLERANCE_SECONDS).toBe(300);
    expect(env.DEMO_CARRIER_INTERVAL_SECONDS).toBe(0);
    expect(parse({ DEMO_CARRIER_INTERVAL_SECONDS: '20' }).DEMO_CARRIER_INTERVAL_SECONDS).toBe(20);
  });

  it('refuses the development webhook secret in production, and short secrets anywhere', () => {
    expect(() => parse({ NODE_ENV: 'production' })).toThrow(EnvError);
    expect(() => parse({ NODE_ENV: 'production' })).toThrow(/CARRIER_WEBHOOK_SECRET/);
    expect(parse({ NODE_ENV: 'production', CARRIER_WEBHOOK_SECRET: 'y'.repeat(40) }).CARRIER_WEBHOOK_SECRET).toBe('y'.repeat(40));
    expect(() => parse({ CARRIER_WEBHOOK_SECRET: 'short' })).toThrow(/CARRIER_WEBHOOK_SECRET: must be at least 32 characters/);
    expect(() => parse({ DEMO_CARRIER_INTERVAL_SECONDS: '-1' })).toThrow(/DEMO_CARRIER_INTERVAL_SECONDS/);
  });
});
