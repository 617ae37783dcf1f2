/** A reference to an entity another subgraph owns (User): its key is all notifications holds. */
export interface EntityRef {
  id: string;
}
