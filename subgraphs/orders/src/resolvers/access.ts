import { forbidden, optionalViewer } from '@shopgraph/kit';
import type { Context } from '../context.ts';
import type { OrderRow } from '../db/schema.ts';
import { canSee } from '../services/orders.service.ts';

/** A user's orders and cart are visible to that user, to admins, and to internal services. */
export function assertOwnerOrAdmin(ctx: Context, userId: string): void {
  if (ctx.caller.kind === 'internal') return;
  const viewer = optionalViewer(ctx);
  if (viewer && (viewer.role === 'ADMIN' || viewer.userId === userId)) return;
  throw forbidden("You may only read your own orders and cart");
}

/** The order if the caller may see it, else null (whether it exists is not revealed). */
export function visible(ctx: Context, order: OrderRow | null): OrderRow | null {
  return order && canSee(optionalViewer(ctx), ctx.caller.kind === 'internal', order) ? order : null;
}
