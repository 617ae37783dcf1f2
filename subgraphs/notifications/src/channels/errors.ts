/** A failure that retrying cannot fix (a refused address, a rejected request): the delivery goes DEAD at once. */
export class PermanentDeliveryError extends Error {}
