import type { ShipmentResolvers } from '../__generated__/resolvers-types.ts';

export const Shipment: ShipmentResolvers = {
  cancelled: (shipment) => shipment.voidedAt !== null,
  cancelledAt: (shipment) => shipment.voidedAt,
  events: (shipment, _args, ctx) => ctx.loaders.shipmentEvents.load(shipment.id),
};
