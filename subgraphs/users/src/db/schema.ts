import { sql } from 'drizzle-orm';
import { index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const roleEnum = pgEnum('role', ['CUSTOMER', 'ADMIN']);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased; unique. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: roleEnum('role').notNull().default('CUSTOMER'),
    /** argon2id PHC string. */
    passwordHash: text('password_hash').notNull(),
    /** Milliseconds, like the keyset cursors that page on it. */
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), index('users_created_at_id_idx').on(t.createdAt.desc(), t.id.desc())],
);

export const addresses = pgTable(
  'addresses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    line1: text('line1').notNull(),
    line2: text('line2'),
    city: text('city').notNull(),
    region: text('region'),
    postalCode: text('postal_code').notNull(),
    country: text('country').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('addresses_user_id_idx').on(t.userId, t.createdAt)],
);

/**
 * Refresh tokens, stored as SHA-256 hashes. Tokens issued from one login form a family; each refresh
 * revokes the presented token and issues its successor. Presenting a revoked token revokes the family.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: uuid('family_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Why it was revoked: `rotated` (spent on a refresh), `logout`, or `reuse` (a spent token came back). */
    revokedReason: text('revoked_reason', { enum: ['rotated', 'logout', 'reuse'] }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_key').on(t.tokenHash),
    index('refresh_tokens_family_active_idx').on(t.familyId).where(sql`${t.revokedAt} is null`),
  ],
);

/** Ed25519 keys that sign access tokens. The newest active one signs; all unretired ones verify (JWKS). */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: jsonb('public_jwk').notNull(),
  privateJwk: jsonb('private_jwk').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** After this, the key no longer appears in the JWKS. */
  retiredAt: timestamp('retired_at', { withTimezone: true }),
});

export const schema = { users, addresses, refreshTokens, signingKeys };
export type UserRow = typeof users.$inferSelect;
export type AddressRow = typeof addresses.$inferSelect;
