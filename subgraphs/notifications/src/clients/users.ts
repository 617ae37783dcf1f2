import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { CustomersForMessagesDocument, type CustomersForMessagesQuery } from '../__generated__/clients/users.ts';

/** A customer as messages address them, typed by users' schema. */
export type CustomerEntity = EntityOf<CustomersForMessagesQuery>;

/** Notifications' calls to the users subgraph (operations in users.graphql, typed by `npm run codegen`). */
export interface UsersClient {
  /** The users with these ids, in order, in one `_entities` request; null for unknown ids. */
  customersByIds(ids: readonly string[]): Promise<Array<CustomerEntity | null>>;
}

export function createUsersClient(subgraph: SubgraphClient): UsersClient {
  return { customersByIds: (ids) => fetchEntities(subgraph, CustomersForMessagesDocument, ids.map((id) => ({ id }))) };
}
