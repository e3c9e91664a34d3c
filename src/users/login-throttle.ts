import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';

// Failed sign-ins are counted in the database, per account and per client address, so every app
// process sees one count. An attempt is *reserved* before the password is checked: one atomic
// upsert adds it to the count and sets the wait that follows it, and is refused while an earlier
// wait is still running. So a burst of simultaneous guesses cannot slip past the count, and a
// refused attempt costs no password hash. A correct password gives its reservation back.

export interface ThrottlePolicy {
  /** Attempts that are followed by no wait at all. */
  freeAttempts: number;
  /** The wait after the first attempt past the free ones; it doubles with each further one. */
  firstDelaySeconds: number;
  /** From this many failures on, the key is locked: lockMinutes, doubling, at most a day. */
  lockAfter: number;
  lockMinutes: number;
  /** A key whose last failure is older than this starts again from zero. */
  forgetAfterHours: number;
}

/** One person mistyping: four tries free, then 15 s, 30 s … 4 min, locked for 15 minutes at ten. */
export const accountPolicy: ThrottlePolicy = { freeAttempts: 4, firstDelaySeconds: 15, lockAfter: 10, lockMinutes: 15, forgetAfterHours: 24 };
/** A whole office behind one address signs in too: a wider allowance, then the same growing waits. */
export const addressPolicy: ThrottlePolicy = { freeAttempts: 20, firstDelaySeconds: 5, lockAfter: 50, lockMinutes: 15, forgetAfterHours: 1 };

const longestWaitSeconds = 24 * 3600;

/** How long every attempt is refused after the attempt that made the count `failures`. */
export function waitAfter(policy: ThrottlePolicy, failures: number): number {
  if (failures <= policy.freeAttempts) return 0;
  const lockSeconds = policy.lockMinutes * 60;
  if (failures < policy.lockAfter) return Math.min(policy.firstDelaySeconds * 2 ** (failures - policy.freeAttempts - 1), lockSeconds);
  return Math.min(lockSeconds * 2 ** (failures - policy.lockAfter), longestWaitSeconds);
}

export const throttleKey = (kind: 'account' | 'address', value: string) => createHash('sha256').update(`${kind}:${value}`).digest('hex');

export type Reservation = { allowed: true; failures: number } | { allowed: false; retryAfterSeconds: number; failures: number };

/**
 * Counts one attempt against `key` unless the key is waiting. Answers the count including this
 * attempt, or how long to wait.
 */
export async function reserveAttempt(db: DbOrTx, clock: Clock, key: string, policy: ThrottlePolicy): Promise<Reservation> {
  const now = clock.now();
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
  const forgetBefore = new Date(now.getTime() - policy.forgetAfterHours * 3600 * 1000).toISOString();
  const failures = sql<number>`case when ${sql.ref('login_throttles.last_failed_at')} < ${forgetBefore} then 1 else ${sql.ref('login_throttles.failures')} + 1 end`;
  // The wait after each possible count, precomputed: the same SQL on SQLite and PostgreSQL.
  const counts = Array.from({ length: policy.lockAfter + 8 - policy.freeAttempts }, (_, index) => policy.freeAttempts + 1 + index);
  const blockedUntil = sql<string | null>`case when ${failures} <= ${policy.freeAttempts} then null ${sql.join(
    counts.map((count) => sql`when ${failures} = ${count} then cast(${at(waitAfter(policy, count))} as text)`),
    sql` `,
  )} else cast(${at(longestWaitSeconds)} as text) end`;

  const reserved = await db
    .insertInto('login_throttles')
    .values({ key, failures: 1, last_failed_at: now.toISOString(), blocked_until: waitAfter(policy, 1) > 0 ? at(waitAfter(policy, 1)) : null })
    .onConflict((conflict) =>
      conflict
        .column('key')
        .doUpdateSet({ failures, blocked_until: blockedUntil, last_failed_at: now.toISOString() })
        .where((eb) => eb.or([eb('login_throttles.blocked_until', 'is', null), eb('login_throttles.blocked_until', '<=', now.toISOString())])),
    )
    .returning('failures')
    .executeTakeFirst();
  if (reserved) return { allowed: true, failures: Number(reserved.failures) };

  const waiting = await db.selectFrom('login_throttles').select(['blocked_until', 'failures']).where('key', '=', key).executeTakeFirst();
  const until = waiting?.blocked_until ? Date.parse(waiting.blocked_until) : now.getTime();
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((until - now.getTime()) / 1000)), failures: Number(waiting?.failures ?? 0) };
}

/** A correct password: the account starts again from zero. */
export async function forgetFailures(db: DbOrTx, key: string): Promise<void> {
  await db.deleteFrom('login_throttles').where('key', '=', key).execute();
}

/** A correct password from an address: its reservation is given back, earlier failures still count. */
export async function giveBackAttempt(db: DbOrTx, key: string): Promise<void> {
  await db
    .updateTable('login_throttles')
    .set((eb) => ({ failures: eb('failures', '-', 1) }))
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

/** Rows nobody has failed on for a day are only history: removed now and then, not on a timer. */
export async function pruneThrottles(db: DbOrTx, clock: Clock): Promise<void> {
  const dayAgo = new Date(clock.now().getTime() - longestWaitSeconds * 1000).toISOString();
  await db.deleteFrom('login_throttles').where('last_failed_at', '<', dayAgo).where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', clock.now().toISOString())])).execute();
}
