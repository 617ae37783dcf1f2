/* Live order tracking: plain browser JavaScript, no build step. Served by the router at /track/tracking.js. */
/* global document, location, history, sessionStorage, URLSearchParams, graphqlWs, shopgraphTrackingOperations */
(function () {
  'use strict';

  const TOKEN_KEY = 'shopgraph.accessToken';
  const ORDER_ID = decodeURIComponent(location.pathname.split('/').pop() || '');
  // Relative to /track/<id>, so the page also works behind a proxy that mounts the router under a prefix.
  const HTTP_URL = new URL('../graphql', location.href).href;
  const WS_URL = (() => {
    const url = new URL('../graphql', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  })();
  /** The WebSocket close code the router uses for a missing, invalid or expired token. */
  const CLOSE_FORBIDDEN = 4403;
  const FINAL = ['DELIVERED', 'CANCELLED', 'REJECTED', 'PAYMENT_FAILED', 'REFUNDED'];

  const STATUS_LABELS = {
    PENDING: 'Order placed',
    RESERVED: 'Items reserved',
    PAID: 'Payment received',
    FULFILLING: 'Being packed',
    SHIPPED: 'On its way',
    DELIVERED: 'Delivered',
    CANCELLED: 'Cancelled',
    REJECTED: 'Could not be fulfilled',
    PAYMENT_FAILED: 'Payment failed',
    REFUNDED: 'Refunded',
  };

  /** What the page says about an order that has reached a final status. */
  const FINAL_MESSAGES = {
    DELIVERED: 'This order has been delivered.',
    CANCELLED: 'This order was cancelled.',
    REJECTED: 'This order could not be fulfilled.',
    PAYMENT_FAILED: 'The payment for this order failed.',
    REFUNDED: 'This order has been refunded.',
  };

  // In tracking-operations.js, which the router reads to trust them (trusted documents).
  const { LOGIN, ORDER, STATUS_CHANGED, MY_UPDATES } = shopgraphTrackingOperations;

  const WAITING = 'Waiting for this order… It appears here as soon as it is placed.';
  const NOT_VISIBLE = 'No order with this link is visible to your account.';

  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
    client: null,
    unsubscribe: null,
    /** Which subscription follows the order: 'order' (orderStatusChanged) or 'mine' (myOrderUpdates). */
    mode: 'order',
    retryTimer: null,
    reloadTimer: null,
    failures: 0,
    /** Whether the order query has found the order. */
    found: false,
    /** The newest known snapshot of the order, and the sequence it reflects. */
    order: null,
    snapshotSequence: 0,
    /** Status changes by sequence (1 = PENDING); history and live events meet here, so duplicates collapse. */
    timeline: new Map(),
    loading: null,
    reloadWanted: false,
  };

  class SessionEnded extends Error {}

  // ---- token ---------------------------------------------------------------------------------------------

  /** Moves a `#token=` fragment into sessionStorage and out of the address bar (and history). */
  function readToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const fromUrl = fragment.get('token');
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------

  async function graphql(query, variables) {
    const headers = { 'content-type': 'application/json' };
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    const response = await fetch(HTTP_URL, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
      cache: 'no-store',
    });
    if (response.status === 401 && state.token) throw new SessionEnded();
    try {
      return await response.json();
    } catch {
      throw new Error(`The server answered HTTP ${response.status}.`);
    }
  }

  const codeOf = (errors) => (errors && errors[0] && errors[0].extensions && errors[0].extensions.code) || null;
  const messageOf = (errors) => (errors && errors[0] && errors[0].message) || 'Something went wrong.';

  // ---- views ---------------------------------------------------------------------------------------------

  function showView(view) {
    document.body.dataset.view = view;
    $('sign-in').hidden = view !== 'sign-in';
    $('order').hidden = view !== 'order';
  }

  function setConnection(stateName, text) {
    $('connection').dataset.state = stateName;
    $('connection-text').textContent = text;
  }

  function setMessage(text) {
    $('order-message').textContent = text || '';
  }

  function showSignIn(message) {
    stopTracking();
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    showView('sign-in');
    setConnection('idle', 'Not connected');
    $('sign-in-error').textContent = message || '';
    $('email').focus();
  }

  async function onSignIn(event) {
    event.preventDefault();
    const email = $('email').value.trim();
    const password = $('password').value;
    const error = $('sign-in-error');
    if (!email || !password) {
      error.textContent = 'Enter your email and password.';
      return;
    }
    error.textContent = '';
    const button = event.submitter || $('sign-in-form').querySelector('button');
    button.disabled = true;
    try {
      const body = await graphql(LOGIN, { email, password });
      const token = body.data && body.data.login && body.data.login.accessToken;
      if (!token) {
        error.textContent = messageOf(body.errors);
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, token);
      $('password').value = '';
      startTracking(token);
    } catch (failure) {
      error.textContent = failure.message || 'Could not reach the shop. Try again.';
    } finally {
      button.disabled = false;
    }
  }

  // ---- rendering -----------------------------------------------------------------------------------------

  const label = (status) => STATUS_LABELS[status] || humanize(status);
  const humanize = (code) => (code ? code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, ' ') : '');
  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

  function timeElement(at) {
    const time = document.createElement('time');
    time.dateTime = at;
    const date = new Date(at);
    time.textContent = Number.isNaN(date.getTime()) ? at : dateFormat.format(date);
    return time;
  }

  function timelineItem(sequence, change) {
    const item = document.createElement('li');
    item.dataset.sequence = String(sequence);
    item.dataset.status = change.status;
    // Where the entry came from: the order's history (loaded over HTTP) or a live event.
    item.dataset.source = change.source;
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.dataset.status = change.status;
    badge.textContent = change.status;
    const title = document.createElement('strong');
    title.textContent = ` ${label(change.status)}`;
    item.append(badge, title, timeElement(change.at));
    if (change.reason) {
      const reason = document.createElement('span');
      reason.className = 'reason';
      reason.textContent = change.reason;
      item.append(reason);
    }
    return item;
  }

  /** Inserts the entries the list does not show yet, in sequence order; existing ones stay (no re-animation). */
  function renderTimeline() {
    const list = $('timeline');
    const shown = new Map([...list.children].map((li) => [Number(li.dataset.sequence), li]));
    const sequences = [...state.timeline.keys()].sort((a, b) => a - b);
    for (const sequence of sequences) {
      if (shown.has(sequence)) continue;
      const next = sequences.find((s) => s > sequence && shown.has(s));
      const item = timelineItem(sequence, state.timeline.get(sequence));
      list.insertBefore(item, next === undefined ? null : shown.get(next));
      shown.set(sequence, item);
    }
  }

  function render() {
    const order = state.order;
    if (!order) return;
    $('order-details').hidden = false;
    $('order-label').textContent = 'Order';
    $('order-number').textContent = order.number || '';
    const status = $('order-status');
    status.textContent = order.status;
    status.dataset.status = order.status;
    document.body.dataset.status = order.status;
    $('order-status-label').textContent = label(order.status);
    if (order.placedAt) {
      const placed = $('order-placed');
      placed.dateTime = order.placedAt;
      placed.textContent = timeElement(order.placedAt).textContent;
    }
    if (order.total) $('order-total').textContent = order.total.formatted;
    $('payment-status').textContent = order.payment ? humanize(order.payment.status) : 'Not started';
    const shipment = order.shipment;
    $('tracking-number').textContent =
      shipment && shipment.trackingNumber
        ? `${shipment.trackingNumber} (${humanize(shipment.status)})`
        : FINAL.includes(order.status)
          ? 'Not shipped'
          : 'Once your order ships';
    if (order.items) {
      $('items').replaceChildren(
        ...order.items.map((line) => {
          const item = document.createElement('li');
          item.textContent = `${line.quantity} × ${line.productName}`;
          return item;
        }),
      );
    }
    renderTimeline();
    if (FINAL.includes(order.status)) setMessage(FINAL_MESSAGES[order.status]);
    document.title = `Order ${order.number}: ${label(order.status)} · shopgraph`;
  }

  // ---- data ----------------------------------------------------------------------------------------------

  /** True when a status change between the first and `sequence` is unknown (missed while offline). */
  function hasGapBefore(sequence) {
    for (let s = 1; s < sequence; s += 1) if (!state.timeline.has(s)) return true;
    return false;
  }

  /** Loads the order over HTTP; calls made while one is in flight run once more after it. */
  function loadOrder() {
    if (state.loading) {
      state.reloadWanted = true;
      return state.loading;
    }
    state.loading = (async () => {
      do {
        state.reloadWanted = false;
        applyOrder(await graphql(ORDER, { id: ORDER_ID }));
      } while (state.reloadWanted && state.token);
    })()
      .catch(onFailure)
      .finally(() => {
        state.loading = null;
      });
    return state.loading;
  }

  function applyOrder(body) {
    if (!state.token) return;
    const order = body.data && body.data.order;
    if (!order) {
      if (body.errors) {
        if (codeOf(body.errors) === 'UNAUTHENTICATED') throw new SessionEnded();
        setMessage(`Could not load the order: ${messageOf(body.errors)}`);
      } else if (!state.found && state.timeline.size === 0 && state.mode === 'mine') {
        // (Not found while following the order itself: its subscription says why, NOT_FOUND or FORBIDDEN.)
        setMessage(WAITING);
      }
      return;
    }
    state.found = true;
    setMessage('');
    // The history is oldest first and its first entry is sequence 1: entry i is sequence i + 1.
    order.statusHistory.forEach((change, index) => {
      if (!state.timeline.has(index + 1)) state.timeline.set(index + 1, { ...change, source: 'history' });
    });
    if (order.statusHistory.length >= state.snapshotSequence) {
      state.order = order;
      state.snapshotSequence = order.statusHistory.length;
    } else {
      // A live event already told us more than this answer: keep its status, take the rest.
      state.order = { ...order, ...pick(state.order, ['status', 'payment', 'shipment']) };
    }
    render();
  }

  const pick = (object, keys) => Object.fromEntries(keys.filter((k) => object && k in object).map((k) => [k, object[k]]));

  function applyEvent(event) {
    // An event about the order proves it exists: stop saying we wait for it, before its load answers.
    if ($('order-message').textContent === WAITING) setMessage('');
    if (!state.timeline.has(event.sequence)) {
      const { status, previousStatus, reason, at } = event;
      state.timeline.set(event.sequence, { status, previousStatus, reason, at, source: 'live' });
    }
    if (event.sequence >= state.snapshotSequence) {
      state.order = { ...state.order, ...event.order, status: event.status };
      state.snapshotSequence = event.sequence;
    }
    if (!state.found || hasGapBefore(event.sequence)) void loadOrder();
    render();
  }

  // ---- live updates --------------------------------------------------------------------------------------

  function createClient() {
    const client = graphqlWs.createClient({
      url: WS_URL,
      connectionParams: () => ({ authorization: `Bearer ${state.token}` }),
      // Keep the socket across a quick re-subscribe; ping so idle proxies do not cut it.
      lazyCloseTimeout: 10000,
      keepAlive: 20000,
      retryAttempts: Infinity,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, backoff(retries))),
      // A refused token will not get better by retrying: sign in again instead.
      shouldRetry: (event) => !(event && event.code === CLOSE_FORBIDDEN),
      on: {
        connecting: (isRetry) => setConnection('connecting', isRetry ? 'Reconnecting…' : 'Connecting…'),
        connected: (_socket, _payload, wasRetry) => {
          setConnection('live', 'Live');
          // Status changes may have happened while we were away: the order query has them all.
          if (wasRetry) void loadOrder();
        },
        closed: () => {
          if (state.client === client && state.unsubscribe) setConnection('offline', 'Offline, reconnecting…');
        },
      },
    });
    return client;
  }

  /** Exponential backoff with jitter, 0.5 s to 10 s. */
  const backoff = (attempt) => Math.min(10000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);

  /**
   * The two ways to follow the order: `orderStatusChanged` for an order that exists, from the last change the
   * page knows (`afterSequence`: orders replays what came after it, so nothing falls between the load and the
   * subscription), and the customer's `myOrderUpdates`, filtered to this order, while it does not exist yet (a
   * storefront may open the page before `placeOrder` has answered).
   */
  const MODES = {
    order: {
      request: () => ({ query: STATUS_CHANGED, variables: { id: ORDER_ID, after: state.snapshotSequence } }),
      event: (data) => data.orderStatusChanged,
    },
    mine: {
      request: () => ({ query: MY_UPDATES }),
      event: (data) => (data.myOrderUpdates && data.myOrderUpdates.order.id === ORDER_ID ? data.myOrderUpdates : null),
    },
  };

  function subscribe(modeName) {
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    if (state.unsubscribe) state.unsubscribe();
    state.mode = modeName;
    const mode = MODES[modeName];
    const client = state.client;
    let failed = false;
    const current = () => state.client === client && state.mode === modeName && !failed;
    state.unsubscribe = client.subscribe(mode.request(), {
      next: (result) => {
        if (!current()) return;
        const event = result.data ? mode.event(result.data) : null;
        if (event) {
          state.failures = 0;
          applyEvent(event);
        } else if (result.errors) {
          failed = true;
          onSubscriptionErrors(result.errors);
        }
      },
      error: (error) => {
        if (!current()) return;
        failed = true;
        if (error && error.code === CLOSE_FORBIDDEN) showSignIn('Your session has ended. Please sign in again.');
        else if (Array.isArray(error)) onSubscriptionErrors(error);
        else {
          setConnection('offline', 'Offline');
          retrySubscription('Live updates stopped; trying again…');
        }
      },
      complete: () => {
        if (!current()) return;
        state.unsubscribe = null;
        if (state.order && FINAL.includes(state.order.status)) setConnection('idle', 'Finished');
        else retrySubscription('');
      },
    });
  }

  function retrySubscription(message) {
    if (!state.token || state.retryTimer) return;
    if (message) setMessage(message);
    if (state.unsubscribe) state.unsubscribe();
    state.unsubscribe = null;
    state.retryTimer = setTimeout(() => subscribe(state.mode), backoff(state.failures));
    state.failures += 1;
  }

  function onSubscriptionErrors(errors) {
    switch (codeOf(errors)) {
      case 'UNAUTHENTICATED':
        return showSignIn('Your session has ended. Please sign in again.');
      case 'NOT_FOUND':
        // Not placed yet: follow the customer's orders until it shows up, then load it.
        setMessage(WAITING);
        subscribe('mine');
        return void loadOrder();
      case 'FORBIDDEN':
        if (state.unsubscribe) state.unsubscribe();
        state.unsubscribe = null;
        setConnection('idle', 'Not connected');
        return setMessage(NOT_VISIBLE);
      default:
        return retrySubscription(`Live updates failed (${messageOf(errors)}); trying again…`);
    }
  }

  function onFailure(error) {
    if (error instanceof SessionEnded) return showSignIn('Your session has ended. Please sign in again.');
    setMessage(`Could not reach the shop (${error.message}). Retrying…`);
    clearTimeout(state.reloadTimer);
    state.reloadTimer = setTimeout(() => state.token && loadOrder(), backoff(3));
  }

  function stopTracking() {
    clearTimeout(state.reloadTimer);
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    const client = state.client;
    state.client = null;
    if (state.unsubscribe) state.unsubscribe();
    state.unsubscribe = null;
    if (client) void client.dispose();
  }

  /**
   * Load, then subscribe after the last change the load saw: orders replays anything newer, and sequences
   * dedupe overlap. (Subscribing first instead is not enough: graphql-ws does not say when a subscription has
   * reached orders, and a change before that would be in neither.)
   */
  function startTracking(token) {
    stopTracking();
    Object.assign(state, { token, failures: 0, found: false, order: null, snapshotSequence: 0 });
    state.timeline.clear();
    $('timeline').replaceChildren();
    $('order-details').hidden = true;
    $('order-label').textContent = 'Your order';
    $('order-number').textContent = '';
    showView('order');
    setMessage('Loading your order…');
    state.client = createClient();
    const client = state.client;
    void loadOrder().then(() => {
      if (state.client === client && state.token) subscribe('order');
    });
  }

  // ---- start ---------------------------------------------------------------------------------------------

  function main() {
    $('sign-in-form').addEventListener('submit', onSignIn);
    $('sign-out').addEventListener('click', () => showSignIn('Signed out.'));
    const token = readToken();
    if (token) startTracking(token);
    else showSignIn('');
  }

  main();
})();
