import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { PromotionRow } from './db/schema.ts';
import type { DisplayPrice } from './services/discounts.ts';
import { keyOf, type PriceKey, type PricesService } from './services/prices.service.ts';
import type { PromotionsService } from './services/promotions.service.ts';
import type { QuotesService } from './services/quotes.service.ts';
import type { RedemptionsService } from './services/redemptions.service.ts';
import type { TaxCategoriesService } from './services/tax-categories.service.ts';
import type { TaxCategory } from './services/tax.ts';

/** What every pricing resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  prices: PricesService;
  promotions: PromotionsService;
  quotes: QuotesService;
  redemptions: RedemptionsService;
  taxCategories: TaxCategoriesService;
  loaders: {
    /** Display price (with automatic promotions) of a product in its category; null without a price. */
    displayPrice: DataLoader<PriceKey, DisplayPrice | null, string>;
    promotion: DataLoader<string, PromotionRow | null>;
    /** Tax category of a product: one query per batch. */
    taxCategory: DataLoader<string, TaxCategory>;
  };
}

export function createLoaders(prices: PricesService, promotions: PromotionsService, taxCategories: TaxCategoriesService): Context['loaders'] {
  return {
    taxCategory: new DataLoader(async (ids) => {
      const found = await taxCategories.byProductIds(ids);
      return ids.map((id) => found.get(id) ?? 'STANDARD');
    }),
    displayPrice: new DataLoader((keys) => prices.displayPrices(keys), { cacheKeyFn: keyOf }),
    promotion: new DataLoader((ids) => promotions.byIds(ids)),
  };
}
