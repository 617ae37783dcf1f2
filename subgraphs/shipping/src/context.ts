import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { ShipmentEventRow, ShipmentRow, ShippingRateRow } from './db/schema.ts';
import type { RatesService } from './services/rates.service.ts';
import type { ShipmentsService } from './services/shipments.service.ts';

/** What every shipping resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  shippingRates: RatesService;
  shipments: ShipmentsService;
  /** Every rate, loaded once per request however many products ask. */
  rates: () => Promise<ShippingRateRow[]>;
  loaders: {
    /** The shipment of each order: every Order of one `_entities` batch in one query. */
    shipmentByOrder: DataLoader<string, ShipmentRow | null>;
    /** Events of each shipment, oldest first, in one query per batch. */
    shipmentEvents: DataLoader<string, ShipmentEventRow[]>;
  };
}

export function createContextRates(service: RatesService): () => Promise<ShippingRateRow[]> {
  let loaded: Promise<ShippingRateRow[]> | undefined;
  return () => (loaded ??= service.allRates());
}

export function createLoaders(shipments: ShipmentsService): Context['loaders'] {
  return {
    shipmentByOrder: new DataLoader((orderIds) => shipments.byOrderIds(orderIds)),
    shipmentEvents: new DataLoader((shipmentIds) => shipments.eventsOf(shipmentIds)),
  };
}
