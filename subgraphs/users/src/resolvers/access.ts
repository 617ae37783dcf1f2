import { forbidden, optionalViewer } from '@shopgraph/kit';
import type { Context } from '../context.ts';

/** A user's data is visible to that user, to admins, and to internal services. */
export function assertCanSeeUser(ctx: Context, userId: string): void {
  if (ctx.caller.kind === 'internal') return;
  const viewer = optionalViewer(ctx);
  if (viewer && (viewer.role === 'ADMIN' || viewer.userId === userId)) return;
  throw forbidden('You may only read your own account');
}
