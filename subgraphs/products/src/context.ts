import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { CategoryRow, ProductRow } from './db/schema.ts';
import type { CatalogService } from './services/catalog.service.ts';

/** What every products resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  catalog: CatalogService;
  loaders: {
    productById: DataLoader<string, ProductRow | null>;
    productBySku: DataLoader<string, ProductRow | null>;
    categoryById: DataLoader<string, CategoryRow | null>;
  };
}

export function createLoaders(catalog: CatalogService): Context['loaders'] {
  return {
    productById: new DataLoader((ids) => catalog.productsByIds(ids)),
    productBySku: new DataLoader((skus) => catalog.productsBySkus(skus)),
    categoryById: new DataLoader((ids) => catalog.categoriesByIds(ids)),
  };
}
