import { anyOf, type Database, ErrorCode, parseInput, userError } from '@shopgraph/kit';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { preferences, type schema } from '../db/schema.ts';

type Db = Database<typeof schema>;

/** The GraphQL `NotificationPreferences`. */
export interface Preferences {
  userId: string;
  email: boolean;
  sms: boolean;
  orderUpdates: boolean;
  marketing: boolean;
  phoneNumber: string | null;
}

/** What a customer without a row gets: order updates by email, nothing else. */
export const defaultPreferences = (userId: string): Preferences => ({ userId, email: true, sms: false, orderUpdates: true, marketing: false, phoneNumber: null });

const updateSchema = z
  .object({
    email: z.boolean().nullish(),
    sms: z.boolean().nullish(),
    orderUpdates: z.boolean().nullish(),
    marketing: z.boolean().nullish(),
    phoneNumber: z
      .string()
      .trim()
      .transform((s) => s.replace(/[\s()-]/g, ''))
      .refine((s) => /^\+[1-9]\d{7,14}$/.test(s), 'must be an E.164 phone number: + and 8 to 15 digits, e.g. +4915112345678')
      .nullish(),
  })
  .strict();

export type PreferencesUpdate = z.input<typeof updateSchema>;

/** Customers' notification preferences. */
export class PreferencesService {
  constructor(private readonly db: Db) {}

  /** Preferences of each user, in order (defaults for users without a row): one query per batch. */
  async byUserIds(userIds: readonly string[]): Promise<Preferences[]> {
    const rows = userIds.length ? await this.db.select().from(preferences).where(anyOf(preferences.userId, userIds)) : [];
    const byId = new Map(rows.map((row) => [row.userId, row]));
    return userIds.map((id) => {
      const row = byId.get(id);
      return row ? { userId: row.userId, email: row.email, sms: row.sms, orderUpdates: row.orderUpdates, marketing: row.marketing, phoneNumber: row.phoneNumber } : defaultPreferences(id);
    });
  }

  async of(userId: string): Promise<Preferences> {
    return (await this.byUserIds([userId]))[0]!;
  }

  /** Applies the given fields. SMS needs a phone number; removing the number turns SMS off. */
  async update(userId: string, input: PreferencesUpdate): Promise<Preferences> {
    const patch = parseInput(updateSchema, input);
    return this.db.transaction(async (tx) => {
      // Lock the user's row (or its absence, via the insert below) so two updates do not interleave.
      const [current] = await tx.select().from(preferences).where(sql`${preferences.userId} = ${userId}`).for('update');
      const next = { ...defaultPreferences(userId), ...(current ?? {}) };
      for (const key of ['email', 'sms', 'orderUpdates', 'marketing'] as const) if (patch[key] != null) next[key] = patch[key];
      if (patch.phoneNumber !== undefined) next.phoneNumber = patch.phoneNumber;
      if (patch.phoneNumber === null && patch.sms == null) next.sms = false;
      if (next.sms && !next.phoneNumber) {
        const message = 'SMS needs a phone number: set phoneNumber too';
        throw userError(ErrorCode.BAD_USER_INPUT, `Invalid input: sms: ${message}`, { fields: [{ field: 'sms', message }] });
      }
      const values = { userId, email: next.email, sms: next.sms, orderUpdates: next.orderUpdates, marketing: next.marketing, phoneNumber: next.phoneNumber, updatedAt: new Date() };
      await tx.insert(preferences).values(values).onConflictDoUpdate({ target: preferences.userId, set: values });
      return { userId, email: next.email, sms: next.sms, orderUpdates: next.orderUpdates, marketing: next.marketing, phoneNumber: next.phoneNumber };
    });
  }
}
