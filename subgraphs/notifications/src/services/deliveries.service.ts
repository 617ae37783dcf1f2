import { conflict, type Database, decodeTimeIdCursor, isUuid, notFound, pageArgs, toConnection } from '@shopgraph/kit';
import { and, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Channel, deliveries, type DeliveryRow, type DeliveryStatus, type schema } from '../db/schema.ts';
import type { DeliveryQueue } from '../jobs/delivery-queue.ts';

type Db = Database<typeof schema>;

export interface DeliveryFilter {
  orderId?: string | null;
  channel?: Channel | null;
  status?: DeliveryStatus | null;
}

/** The delivery log as admins see it, and resending. */
export class DeliveriesService {
  constructor(
    private readonly db: Db,
    private readonly queue: DeliveryQueue,
  ) {}

  async list(args: { first?: number | null; after?: string | null; filter?: DeliveryFilter | null }) {
    const { first, after } = pageArgs(args, decodeTimeIdCursor);
    const filter = args.filter ?? {};
    const conditions: Array<SQL | undefined> = [
      filter.orderId ? eq(deliveries.orderId, filter.orderId) : undefined,
      filter.channel ? eq(deliveries.channel, filter.channel) : undefined,
      filter.status ? eq(deliveries.status, filter.status) : undefined,
      after ? or(lt(deliveries.createdAt, after.createdAt), and(eq(deliveries.createdAt, after.createdAt), lt(deliveries.id, after.id))) : undefined,
    ];
    const rows = await this.db
      .select()
      .from(deliveries)
      .where(and(...conditions))
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(first + 1);
    return toConnection(rows, first, (row) => [row.createdAt.toISOString(), row.id]);
  }

  /**
   * Sends a FAILED or DEAD delivery again: back to PENDING and a new queue job with a fresh set of attempts
   * (its attempt count keeps growing). A SENT delivery is a CONFLICT: nothing is sent twice.
   */
  async resend(id: string): Promise<DeliveryRow> {
    if (!isUuid(id)) throw notFound('Notification delivery');
    const [row] = await this.db
      .update(deliveries)
      .set({ status: 'PENDING', resends: sql`${deliveries.resends} + 1`, updatedAt: new Date(), sendingClaim: null, sendingSince: null })
      .where(and(eq(deliveries.id, id), inArray(deliveries.status, ['FAILED', 'DEAD'])))
      .returning();
    if (!row) {
      const [existing] = await this.db.select({ status: deliveries.status }).from(deliveries).where(eq(deliveries.id, id));
      if (!existing) throw notFound('Notification delivery');
      throw conflict(`Only FAILED or DEAD deliveries can be resent; this one is ${existing.status}`);
    }
    // A FAILED delivery's previous job may still wait for its next attempt: the new job replaces it.
    await this.queue.remove(row.id, row.resends - 1);
    await this.queue.enqueue([row]);
    return row;
  }
}
