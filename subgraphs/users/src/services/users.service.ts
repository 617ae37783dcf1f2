import { anyOf, badInput, conflict, type Database, decodeTimeIdCursor, ErrorCode, isUniqueViolation, isUuid, pageArgs, parseInput, postalAddressSchema, type Redis, toConnection, userError } from '@shopgraph/kit';
import { and, asc, desc, eq, lt, or } from 'drizzle-orm';
import { z } from 'zod';
import { addresses, type AddressRow, type schema, users, type UserRow } from '../db/schema.ts';
import { LoginGuard, type LoginLimits } from './login-guard.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { IssuedTokens, TokenService } from './tokens.service.ts';

type Db = Database<typeof schema>;

export type { LoginLimits } from './login-guard.ts';

const MAX_ADDRESSES_PER_USER = 50;

const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .email('must be a valid email address')
  .transform((s) => s.toLowerCase());
const password = z.string().min(10, 'must be at least 10 characters').max(256, 'must be at most 256 characters');
const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const registerInput = z.object({ email, password, name });
const updateProfileInput = z
  .object({ email: email.nullish(), name: name.nullish() })
  .refine((v) => v.email != null || v.name != null, 'give a name or an email to change');
const addressInput = postalAddressSchema;


/** Accounts, credentials and addresses. */
export class UsersService {
  private readonly loginGuard: LoginGuard;

  constructor(
    private readonly db: Db,
    redis: Redis,
    private readonly tokens: TokenService,
    limits: LoginLimits,
  ) {
    this.loginGuard = new LoginGuard(redis, limits);
  }

  async register(input: unknown): Promise<IssuedTokens & { user: UserRow }> {
    const values = parseInput(registerInput, input);
    const passwordHash = await hashPassword(values.password);
    try {
      return await this.db.transaction(async (tx) => {
        const [user] = await tx.insert(users).values({ email: values.email, name: values.name, passwordHash }).returning();
        return { ...(await this.tokens.issue(user!, tx)), user: user! };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('An account with this email already exists');
      throw error;
    }
  }

  /**
   * Signs in. Unknown email and wrong password give the same error after the same work. The attempt
   * is reserved against the sign-in limits before the password is checked (see LoginGuard).
   */
  async login(rawEmail: string, password: string, clientIp: string | undefined): Promise<IssuedTokens & { user: UserRow }> {
    const normalized = rawEmail.trim().toLowerCase();
    const attempt = await this.loginGuard.reserve(normalized, clientIp);
    const [user] = await this.db.select().from(users).where(eq(users.email, normalized)).limit(1);
    const ok = await verifyPassword(user?.passwordHash, password);
    if (!ok || !user) throw userError(ErrorCode.UNAUTHENTICATED, 'Email or password is incorrect');
    await attempt.succeeded();
    return { ...(await this.tokens.issue(user)), user };
  }

  async refresh(refreshToken: string): Promise<IssuedTokens & { user: UserRow }> {
    const { tokens, user } = await this.tokens.rotate(refreshToken, (id) => this.byId(id));
    return { ...tokens, user };
  }

  logout(refreshToken: string): Promise<boolean> {
    return this.tokens.revoke(refreshToken);
  }

  async byId(id: string): Promise<UserRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [user] = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    return user;
  }

  /** Loads many users in one query, in the order of `ids` (missing ones as null). */
  async byIds(ids: readonly string[]): Promise<Array<UserRow | null>> {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await this.db.select().from(users).where(anyOf(users.id, valid)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Addresses of many users in one query, oldest first. */
  async addressesOf(userIds: readonly string[]): Promise<AddressRow[][]> {
    const rows = await this.db.select().from(addresses).where(anyOf(addresses.userId, [...userIds])).orderBy(asc(addresses.createdAt), asc(addresses.id));
    return userIds.map((id) => rows.filter((r) => r.userId === id));
  }

  async list(args: { first?: number | null; after?: string | null }) {
    const { first, after } = pageArgs(args, decodeTimeIdCursor);
    const rows = await this.db
      .select()
      .from(users)
      .where(after ? or(lt(users.createdAt, after.createdAt), and(eq(users.createdAt, after.createdAt), lt(users.id, after.id))) : undefined)
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(first + 1);
    return toConnection(rows, first, (u) => [u.createdAt.toISOString(), u.id]);
  }

  async updateProfile(userId: string, input: unknown): Promise<UserRow> {
    const values = parseInput(updateProfileInput, input);
    try {
      const [user] = await this.db
        .update(users)
        .set({ ...(values.email ? { email: values.email } : {}), ...(values.name ? { name: values.name } : {}), updatedAt: new Date() })
        .where(eq(users.id, userId))
        .returning();
      if (!user) throw userError(ErrorCode.NOT_FOUND, 'User not found');
      return user;
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('An account with this email already exists');
      throw error;
    }
  }

  async addAddress(userId: string, input: unknown): Promise<AddressRow> {
    const values = parseInput(addressInput, input);
    return this.db.transaction(async (tx) => {
      // Lock the user row so concurrent adds cannot pass the limit together.
      await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
      const existing = await tx.$count(addresses, eq(addresses.userId, userId));
      if (existing >= MAX_ADDRESSES_PER_USER) throw badInput(`A user can keep at most ${MAX_ADDRESSES_PER_USER} addresses`);
      const [address] = await tx.insert(addresses).values({ ...values, userId }).returning();
      return address!;
    });
  }

  async removeAddress(userId: string, addressId: string): Promise<boolean> {
    if (!isUuid(addressId)) return false;
    const removed = await this.db
      .delete(addresses)
      .where(and(eq(addresses.id, addressId), eq(addresses.userId, userId)))
      .returning({ id: addresses.id });
    return removed.length > 0;
  }

  /** Creates the configured admin account when no account has that email yet. */
  async ensureAdmin(adminEmail: string, adminPassword: string): Promise<void> {
    const normalized = adminEmail.toLowerCase();
    const [existing] = await this.db.select({ id: users.id }).from(users).where(eq(users.email, normalized));
    if (existing) return;
    await this.db
      .insert(users)
      .values({ email: normalized, name: 'Admin', role: 'ADMIN', passwordHash: await hashPassword(adminPassword) })
      .onConflictDoNothing();
  }
}
