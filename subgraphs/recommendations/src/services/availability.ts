import type { InventoryClient } from '../clients/inventory.ts';
import type { ProductsClient } from '../clients/products.ts';

/**
 * Which candidates may be recommended: listed (not archived) and in stock. One `_entities` call to products and
 * one to inventory per batch of candidates, in parallel, however many lists ask.
 */
export class Availability {
  constructor(
    private readonly products: ProductsClient,
    private readonly inventory: InventoryClient,
  ) {}

  async availableOf(ids: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Set();
    const [facts, stock] = await Promise.all([this.products.facts(unique), this.inventory.inStock(unique)]);
    return new Set(unique.filter((_, i) => facts[i]?.active === true && stock[i] === true));
  }
}
