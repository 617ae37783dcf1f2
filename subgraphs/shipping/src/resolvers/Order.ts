import type { OrderResolvers } from '../__generated__/resolvers-types.ts';
import { canSeeShipment } from '../services/shipments.service.ts';

export const Order: OrderResolvers = {
  // Any id resolves: an order without a shipment (or someone else's) simply has shipment: null.
  __resolveReference: ({ id }) => ({ id }),
  // Batched: every Order of one request (e.g. one `_entities` call) is loaded with one query.
  shipment: async (order, _args, ctx) => {
    const shipment = await ctx.loaders.shipmentByOrder.load(order.id);
    return shipment && canSeeShipment(ctx.caller, shipment) ? shipment : null;
  },
};
