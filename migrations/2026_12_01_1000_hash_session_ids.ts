import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

// Sessions are now kept by the SHA-256 of their id (the cookie carries the id itself). Sessions
// saved before are re-keyed, so nobody is signed out by the upgrade.

const hashOf = (sid: string) => createHash('sha256').update(sid).digest('hex');
const isHash = (sid: string) => /^[0-9a-f]{64}$/.test(sid);

export async function up(db: Kysely<any>): Promise<void> {
  const sessions: { sid: string }[] = await db.selectFrom('sessions').select('sid').execute();
  for (const { sid } of sessions.filter((session) => !isHash(session.sid)))
    await db.updateTable('sessions').set({ sid: hashOf(sid) }).where('sid', '=', sid).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // A hash cannot be turned back into the id: those sessions end.
  await db.deleteFrom('sessions').execute();
}
