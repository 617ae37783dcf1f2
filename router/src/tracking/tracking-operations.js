/*
 * The tracking page's GraphQL operations, loaded before tracking.js. The router reads this file too and trusts
 * these operations when it accepts only trusted documents (TRUSTED_DOCUMENTS_MODE=enforce), so keep every
 * operation the page sends here.
 */
// A global of the page (tracking.js reads it), hence a top-level `var`.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
var shopgraphTrackingOperations = (function () {
  'use strict';

  const EVENT_FIELDS = `sequence status previousStatus reason at
      order { id number status payment { status } shipment { trackingNumber status } }`;
  return Object.freeze({
    LOGIN: 'mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
    ORDER: `query TrackOrder($id: ID!) {
    order(id: $id) {
      id number status placedAt total { formatted }
      items { quantity productName }
      payment { status }
      shipment { trackingNumber status }
      statusHistory { status previousStatus reason at }
    }
  }`,
    STATUS_CHANGED: `subscription TrackOrder($id: ID!, $after: Int) { orderStatusChanged(orderId: $id, afterSequence: $after) { ${EVENT_FIELDS} } }`,
    MY_UPDATES: `subscription TrackMyOrders { myOrderUpdates { ${EVENT_FIELDS} } }`,
  });
})();
