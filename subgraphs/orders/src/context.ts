import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { OrderItemRow, OrderRow, StatusHistoryRow } from './db/schema.ts';
import type { LiveAccounts } from './services/accounts.ts';
import type { CartService, CartView } from './services/cart.service.ts';
import type { CheckoutService } from './services/checkout.service.ts';
import type { OrdersService } from './services/orders.service.ts';
import type { OrderStatusStreams } from './services/status-streams.ts';

/** What every orders resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  orders: OrdersService;
  checkout: CheckoutService;
  carts: CartService;
  accounts: LiveAccounts;
  statusStreams: OrderStatusStreams;
  loaders: {
    /** Orders by id: every Order of one `_entities` batch in one query. */
    order: DataLoader<string, OrderRow | null>;
    items: DataLoader<string, OrderItemRow[]>;
    history: DataLoader<string, StatusHistoryRow[]>;
    cart: DataLoader<string, CartView | null>;
  };
}

export function createLoaders(orders: OrdersService, carts: CartService): Context['loaders'] {
  return {
    order: new DataLoader((ids) => orders.byIds(ids)),
    items: new DataLoader((ids) => orders.itemsOf(ids)),
    history: new DataLoader((ids) => orders.historyOf(ids)),
    cart: new DataLoader((ids) => carts.byIds(ids)),
  };
}
