/** A reference to an entity another subgraph owns (Product, User): its key is all orders holds. */
export interface EntityRef {
  id: string;
}
