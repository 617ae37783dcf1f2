/** A reference to an order (owned by orders): its key is all payments needs to find the payment. */
export interface OrderRef {
  id: string;
}
