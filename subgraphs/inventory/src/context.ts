import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { ReservationService } from './services/reservations.service.ts';
import type { StockService } from './services/stock.service.ts';
import type { StockLevel } from './services/stock-rules.ts';

/** What every inventory resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  stock: StockService;
  reservations: ReservationService;
  loaders: {
    /** Stock by product id: every Product of one `_entities` batch in one query. */
    stockLevel: DataLoader<string, StockLevel>;
  };
}

export function createLoaders(stock: StockService): Context['loaders'] {
  return {
    stockLevel: new DataLoader((productIds) => stock.levelsOf(productIds)),
  };
}
