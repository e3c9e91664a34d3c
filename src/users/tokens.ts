import { createHash, randomBytes } from 'node:crypto';
import type { DbOrTx } from '../db/database.js';
import type { Clock } from '../clock.js';

// API tokens carry 256 random bits, so a fast hash is enough; only the hash is stored.
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createApiToken(db: DbOrTx, clock: Clock, userId: number, name: string): Promise<string> {
  const token = `bc_${randomBytes(32).toString('base64url')}`;
  await db
    .insertInto('api_tokens')
    .values({ user_id: userId, name, token_hash: hashToken(token), created_at: clock.now().toISOString() })
    .execute();
  return token;
}

export function listApiTokens(db: DbOrTx, userId: number) {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'created_at', 'last_used_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
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
