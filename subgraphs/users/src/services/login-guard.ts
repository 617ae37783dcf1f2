import { ErrorCode, type Redis, userError } from '@shopgraph/kit';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  windowSeconds: number;
  /** Sign-in attempts (right or wrong, any account) from one client address per window. */
  maxAttemptsPerIp: number;
  /** Consecutive wrong passwords for one account from one client address per window. */
  maxFailuresPerAccountAndIp: number;
  /**
   * Wrong passwords for one account per window from every address it has not signed in from: the
   * account-wide cap, which a stranger cannot reach alone and which never locks out a known address.
   */
  maxFailuresPerAccount: number;
  /** How long an address the account signed in from stays known. */
  knownAddressDays: number;
}

/** A reserved sign-in attempt: settle it once the password has been checked. */
export interface LoginAttempt {
  succeeded(): Promise<void>;
}

/**
 * Sign-in limits after OWASP's authentication cheat sheet, built on rate-limiter-flexible's
 * brute-force recipe (consecutive failures by account + address, attempts by address), plus an
 * account-wide cap that exempts addresses the account has signed in from before.
 *
 * Every limit is reserved before the password is checked (one atomic INCR in Redis per limiter,
 * shared by replicas), so concurrent wrong passwords cannot check more passwords than the limit.
 * A success gives the reservations back. A stranger can exhaust the (account, their address)
 * budget and, with many addresses, the account-wide one; neither stops the owner signing in from an
 * address they have used before.
 */
export class LoginGuard {
  private readonly byIp: RateLimiterRedis;
  private readonly byAccountAndIp: RateLimiterRedis;
  private readonly byAccount: RateLimiterRedis;

  constructor(
    private readonly redis: Redis,
    private readonly limits: LoginLimits,
  ) {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration: limits.windowSeconds });
    this.byIp = limiter('login:ip', limits.maxAttemptsPerIp);
    this.byAccountAndIp = limiter('login:account-ip', limits.maxFailuresPerAccountAndIp);
    this.byAccount = limiter('login:account', limits.maxFailuresPerAccount);
  }

  /**
   * Reserves one attempt for `account` (the normalized email, known or not) from `clientIp`, or
   * throws RATE_LIMITED with `retryAfterSeconds`. Until `succeeded()` the attempt counts as a failure.
   */
  async reserve(account: string, clientIp: string | undefined): Promise<LoginAttempt> {
    const ip = clientIp ?? 'unknown';
    const pair = `${account}|${ip}`;
    const knownKey = `login:known:${account}|${ip}`;
    await consume(this.byIp, ip);
    await consume(this.byAccountAndIp, pair);
    const known = (await this.redis.exists(knownKey)) === 1;
    if (!known) {
      try {
        await consume(this.byAccount, account);
      } catch (error) {
        // Refused without a password check: not a failure of this address.
        await this.byAccountAndIp.reward(pair, 1);
        throw error;
      }
    }
    return {
      succeeded: async () => {
        await Promise.all([
          this.byAccountAndIp.delete(pair),
          known ? undefined : this.byAccount.reward(account, 1),
          this.redis.set(knownKey, '1', 'EX', this.limits.knownAddressDays * 86_400),
        ]);
      },
    };
  }
}

async function consume(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    throw userError(ErrorCode.RATE_LIMITED, 'Too many sign-in attempts; try again later', {
      retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
    });
  }
}
