import { createHash, randomBytes } from 'node:crypto';
import type { DbOrTx } from '../db/database.js';
import type { Clock } from '../clock.js';

// API tokens carry 256 random bits, so a fast hash is enough; only the hash is stored.
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The choices for a token's lifetime, in days; none means until revoked. */
export const tokenLifetimes = [30, 90, 365] as const;

export async function createApiToken(db: DbOrTx, clock: Clock, userId: number, name: string, lifetimeDays?: number): Promise<string> {
  const token = `bc_${randomBytes(32).toString('base64url')}`;
  const now = clock.now();
  const expiresAt = lifetimeDays === undefined ? null : new Date(now.getTime() + lifetimeDays * 24 * 3600 * 1000).toISOString();
  await db
    .insertInto('api_tokens')
    .values({ user_id: userId, name, token_hash: hashToken(token), created_at: now.toISOString(), expires_at: expiresAt })
    .execute();
  return token;
}

/** The user's tokens that are not revoked, expired ones included (marked) so they can be tidied away. */
export async function listApiTokens(db: DbOrTx, clock: Clock, userId: number) {
  const now = clock.now().toISOString();
  const tokens = await db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'created_at', 'last_used_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
  return tokens.map((token) => ({ ...token, expired: token.expires_at !== null && token.expires_at <= now }));
}

export async function revokeApiToken(db: DbOrTx, clock: Clock, userId: number, tokenId: number): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: clock.now().toISOString() })
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function revokeAllApiTokens(db: DbOrTx, clock: Clock, userId: number): Promise<number> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: clock.now().toISOString() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
