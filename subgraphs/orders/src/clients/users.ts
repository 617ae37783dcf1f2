import { fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { AccountsForOrdersDocument } from '../__generated__/clients/users.ts';

/** Orders' calls to the users subgraph (operations in users.graphql, typed by `npm run codegen`). */
export interface UsersClient {
  /** Whether users still has this account (`_entities`, internal credential). */
  accountExists(userId: string): Promise<boolean>;
}

export function createUsersClient(subgraph: SubgraphClient): UsersClient {
  return { accountExists: async (userId) => (await fetchEntities(subgraph, AccountsForOrdersDocument, [{ id: userId }]))[0] != null };
}
