import { type AuthContext, requireViewer, type SubgraphClient, unauthenticated } from '@shopgraph/kit';
import { createUsersClient } from '../clients/users.ts';

/** Whether users still has an account, as orders asks it (users' `_entities`, internal credential). */
export type AccountLookup = (userId: string) => Promise<boolean>;

export function accountLookup(users: SubgraphClient): AccountLookup {
  return createUsersClient(users).accountExists;
}

const MAX_CACHED = 10_000;

/**
 * The signed-in customer, checked to still exist before orders writes anything for them. An access token
 * stays valid until it expires (15 minutes by default) even when its account has been deleted meanwhile;
 * the router cannot know, so orders asks users before a cart change or an order, and refuses with
 * UNAUTHENTICATED. Accounts seen to exist are remembered for `cacheSeconds`, so a busy shopper costs users
 * one call per interval: that is also how long a deleted account may still act here.
 */
export class LiveAccounts {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly lookup: AccountLookup,
    private readonly cacheSeconds: number,
  ) {}

  /** The viewer's user id when they are signed in and their account exists; else UNAUTHENTICATED. */
  async requireViewer(ctx: AuthContext): Promise<string> {
    const { userId } = requireViewer(ctx);
    const until = this.seen.get(userId);
    if (until !== undefined && until > Date.now()) return userId;
    this.seen.delete(userId);
    if (!(await this.lookup(userId))) throw unauthenticated('This account no longer exists; sign in again');
    if (this.cacheSeconds > 0) {
      // Oldest first in a Map: drop the oldest entry when full.
      if (this.seen.size >= MAX_CACHED) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(userId, Date.now() + this.cacheSeconds * 1000);
    }
    return userId;
  }
}
