/**
 * The services `npm start` runs, in start order. Each subgraph gets its own database
 * (`shopgraph_<name>`) on the shared PostgreSQL server; the router starts last.
 */
export interface ServiceSpec {
  name: string;
  port: number;
  entry: string;
  /** Database name for subgraphs; the router has none. */
  database?: string;
}

export const SUBGRAPHS: ServiceSpec[] = [
  { name: 'users', port: 4001, entry: 'subgraphs/users/src/index.ts', database: 'shopgraph_users' },
  { name: 'products', port: 4002, entry: 'subgraphs/products/src/index.ts', database: 'shopgraph_products' },
  { name: 'inventory', port: 4003, entry: 'subgraphs/inventory/src/index.ts', database: 'shopgraph_inventory' },
  { name: 'pricing', port: 4004, entry: 'subgraphs/pricing/src/index.ts', database: 'shopgraph_pricing' },
  { name: 'payments', port: 4006, entry: 'subgraphs/payments/src/index.ts', database: 'shopgraph_payments' },
  { name: 'shipping', port: 4007, entry: 'subgraphs/shipping/src/index.ts', database: 'shopgraph_shipping' },
  { name: 'orders', port: 4005, entry: 'subgraphs/orders/src/index.ts', database: 'shopgraph_orders' },
  { name: 'notifications', port: 4008, entry: 'subgraphs/notifications/src/index.ts', database: 'shopgraph_notifications' },
];

export const ROUTER: ServiceSpec = { name: 'router', port: 4000, entry: 'router/src/index.ts' };
