import type { AuthContext } from '@shopgraph/kit';
import type { ShippingRateRow } from './db/schema.ts';
import type { RatesService } from './services/rates.service.ts';

/** What every shipping resolver receives. */
export interface Context extends AuthContext {
  shippingRates: RatesService;
  /** Every rate, loaded once per request however many products ask. */
  rates: () => Promise<ShippingRateRow[]>;
}

export function createContextRates(service: RatesService): () => Promise<ShippingRateRow[]> {
  let loaded: Promise<ShippingRateRow[]> | undefined;
  return () => (loaded ??= service.allRates());
}
