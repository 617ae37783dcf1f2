import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type Database, type Executor, ErrorCode, userError } from '@shopgraph/kit';
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { refreshTokens, signingKeys, type schema, type UserRow } from '../db/schema.ts';

type Db = Database<typeof schema>;
type Exec = Executor<typeof schema>;

export interface TokenSettings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  signingKeyRotationDays: number;
  issuer: string;
  audience: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
}

interface ActiveKey {
  kid: string;
  key: Awaited<ReturnType<typeof importJWK>>;
  loadedAt: number;
}

const KEY_CACHE_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Access tokens (EdDSA JWTs signed with keys kept in this subgraph's database and published as JWKS)
 * and rotating refresh tokens (random, stored hashed, grouped in families).
 */
export class TokenService {
  private active: ActiveKey | undefined;

  constructor(
    private readonly db: Db,
    private readonly settings: TokenSettings,
  ) {}

  /** Ensures a signing key younger than the rotation period exists; rotates otherwise. */
  async ensureSigningKey(now = new Date()): Promise<void> {
    const rotateBefore = new Date(now.getTime() - this.settings.signingKeyRotationDays * 86_400_000);
    await this.db.transaction(async (tx) => {
      // Serialises rotation between replicas.
      await tx.execute(sql`select pg_advisory_xact_lock(4243)`);
      const [newest] = await tx.select().from(signingKeys).where(isNull(signingKeys.retiredAt)).orderBy(desc(signingKeys.createdAt)).limit(1);
      if (newest && newest.createdAt > rotateBefore) return;
      const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const kid = randomUUID();
      await tx.insert(signingKeys).values({
        kid,
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
        privateJwk: await exportJWK(privateKey),
        createdAt: now,
      });
      // Older keys keep verifying until every token they signed has expired.
      const retireAt = new Date(now.getTime() + this.settings.accessTokenTtlSeconds * 1000 + 60_000);
      await tx
        .update(signingKeys)
        .set({ retiredAt: retireAt })
        .where(and(isNull(signingKeys.retiredAt), sql`${signingKeys.kid} <> ${kid}`));
    });
    this.active = undefined;
  }

  /** The public keys that verify access tokens, as a JWK Set. */
  async jwks(now = new Date()): Promise<{ keys: JWK[] }> {
    const rows = await this.db
      .select({ publicJwk: signingKeys.publicJwk })
      .from(signingKeys)
      .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, now)))
      .orderBy(desc(signingKeys.createdAt));
    return { keys: rows.map((r) => r.publicJwk as JWK) };
  }

  private async signingKey(): Promise<ActiveKey> {
    if (this.active && Date.now() - this.active.loadedAt < KEY_CACHE_MS) return this.active;
    const [row] = await this.db.select().from(signingKeys).where(isNull(signingKeys.retiredAt)).orderBy(desc(signingKeys.createdAt)).limit(1);
    if (!row) throw new Error('No signing key: ensureSigningKey() was not run');
    this.active = { kid: row.kid, key: await importJWK(row.privateJwk as JWK, 'EdDSA'), loadedAt: Date.now() };
    return this.active;
  }

  /** Signs an access token and issues a refresh token in a new family (a fresh sign-in). */
  async issue(user: UserRow, db: Exec = this.db): Promise<IssuedTokens> {
    return this.issueInFamily(db, user, randomUUID());
  }

  private async issueInFamily(db: Exec, user: Pick<UserRow, 'id' | 'role'>, familyId: string): Promise<IssuedTokens> {
    const refreshToken = randomBytes(32).toString('base64url');
    await db.insert(refreshTokens).values({
      userId: user.id,
      familyId,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(Date.now() + this.settings.refreshTokenTtlDays * 86_400_000),
    });
    return { ...(await this.signAccessToken(user)), refreshToken };
  }

  private async signAccessToken(user: Pick<UserRow, 'id' | 'role'>): Promise<{ accessToken: string; expiresAt: Date }> {
    const { kid, key } = await this.signingKey();
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + this.settings.accessTokenTtlSeconds * 1000);
    const accessToken = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key);
    return { accessToken, expiresAt };
  }

  /**
   * Exchanges a refresh token for a new pair. The presented token is spent; presenting a spent token
   * again revokes its whole family (a stolen token has been used) and fails.
   */
  async rotate(refreshToken: string, loadUser: (id: string) => Promise<UserRow | undefined>): Promise<{ tokens: IssuedTokens; user: UserRow }> {
    const outcome = await this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashToken(refreshToken))).for('update');
      if (!row) return { error: 'Invalid refresh token' } as const;
      // A token revoked by signing out is simply over; a spent one presented again means it was stolen.
      if (row.revokedReason === 'logout') return { error: 'This sign-in has ended (signed out); sign in again' } as const;
      if (row.revokedAt) {
        await this.revokeFamily(tx, row.familyId, 'reuse');
        return { error: 'Refresh token was already used; every session of this sign-in has been revoked' } as const;
      }
      if (row.expiresAt <= new Date()) return { error: 'Refresh token has expired' } as const;
      const user = await loadUser(row.userId);
      if (!user) return { error: 'Invalid refresh token' } as const;
      await tx.update(refreshTokens).set({ revokedAt: new Date(), revokedReason: 'rotated' }).where(eq(refreshTokens.id, row.id));
      return { tokens: await this.issueInFamily(tx, user, row.familyId), user } as const;
    });
    if ('error' in outcome) throw userError(ErrorCode.UNAUTHENTICATED, outcome.error ?? 'Invalid refresh token');
    return outcome;
  }

  /** Revokes the family of `refreshToken`. True when an active token was revoked. */
  async revoke(refreshToken: string): Promise<boolean> {
    const [row] = await this.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashToken(refreshToken)));
    if (!row || row.revokedAt) return false;
    return (await this.revokeFamily(this.db, row.familyId, 'logout')) > 0;
  }

  private async revokeFamily(db: Exec, familyId: string, reason: 'logout' | 'reuse'): Promise<number> {
    const revoked = await db
      .update(refreshTokens)
      .set({ revokedAt: new Date(), revokedReason: reason })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
      .returning({ id: refreshTokens.id });
    return revoked.length;
  }
}
