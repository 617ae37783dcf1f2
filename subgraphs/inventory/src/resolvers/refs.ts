/** A reference to an entity another subgraph owns (Product, User): its key is all inventory holds. */
export interface EntityRef {
  id: string;
}
