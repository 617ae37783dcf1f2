import type { StockMovementResolvers } from '../__generated__/resolvers-types.ts';

export const StockMovement: StockMovementResolvers = {
  id: (movement) => String(movement.id),
  product: (movement) => ({ id: movement.productId }),
  actor: (movement) => (movement.actorUserId ? { id: movement.actorUserId } : null),
  level: (movement) => ({ onHand: movement.onHandAfter, reserved: movement.reservedAfter, available: movement.availableAfter }),
};
