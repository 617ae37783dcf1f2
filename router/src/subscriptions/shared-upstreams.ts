import type { UpstreamHandlers, UpstreamRequest, UpstreamSubscriptions } from './upstream.ts';

/** One upstream subscription and the client subscriptions it serves. */
interface Group {
  readonly members: Set<UpstreamHandlers>;
  /** The subgraph marked the stream joinable (changes from now on, no replay of its own). */
  joinable: boolean;
  /** At least one event has been handed out. */
  delivered: boolean;
  close: () => void;
}

/**
 * Identical subscriptions to a subgraph served by one. Client subscriptions that send the same request to the
 * same subgraph for the same viewer — a customer with the shop open on three devices, a support desk on one
 * order — share one upstream subscription, and every event it brings is handed to each of them (the same
 * object, so what is derived from it can be shared too: see `SharedResolutions`). The subgraph resolves and
 * sends each event once per viewer rather than once per client, and the router parses it once.
 *
 * A later subscriber joins a running upstream subscription only when it receives from then on exactly what a
 * fresh one would: while nothing has been delivered yet, or once the subgraph has marked the stream joinable
 * (see the kit's `subscriptionCursor`). A client that asked for a replay (`orderStatusChanged` with
 * `afterSequence`) gets its own once the first subscriber's replay has begun.
 *
 * Requests differing only in who asks are not shared: the viewer is part of the request the subgraph
 * authorises, and the upstream subscription carries the assertion of the first subscriber's viewer.
 */
export class SharedUpstreams {
  /** Groups that later subscribers may still join, by request. */
  private readonly joinable = new Map<string, Group>();

  constructor(private readonly upstream: UpstreamSubscriptions) {}

  /** Subscribes `handlers` to what the subgraph at `url` sends for `request`; the returned function leaves. */
  join(url: string, request: UpstreamRequest, handlers: UpstreamHandlers): () => void {
    const key = requestKey(url, request);
    const group = this.joinable.get(key) ?? this.open(key, url, request);
    group.members.add(handlers);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      group.members.delete(handlers);
      if (group.members.size > 0) return;
      this.forget(key, group);
      group.close();
    };
  }

  private open(key: string, url: string, request: UpstreamRequest): Group {
    const group: Group = { members: new Set(), joinable: false, delivered: false, close: () => undefined };
    this.joinable.set(key, group);
    // Error and complete end the upstream subscription: every member hears it, and nobody joins it any more.
    const end = (notify: (member: UpstreamHandlers) => void) => {
      this.forget(key, group);
      for (const member of group.members) notify(member);
    };
    group.close = this.upstream.subscribe(url, request, {
      next: (event) => {
        if (!group.delivered) {
          group.delivered = true;
          if (!group.joinable) this.forget(key, group);
        }
        for (const member of group.members) member.next(event);
      },
      error: (refusal) => end((member) => member.error(refusal)),
      complete: () => end((member) => member.complete()),
      live: (joinable) => {
        group.joinable = joinable;
        if (!joinable && group.delivered) this.forget(key, group);
      },
    });
    return group;
  }

  private forget(key: string, group: Group): void {
    if (this.joinable.get(key) === group) this.joinable.delete(key);
  }
}

function requestKey(url: string, request: UpstreamRequest): string {
  const viewer = request.viewer ? `${request.viewer.userId}\u0000${request.viewer.role}` : '';
  return [url, request.subgraph, request.operationName ?? '', request.query, JSON.stringify(request.variables), viewer].join('\u0000');
}
