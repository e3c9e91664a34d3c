import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import type { Mailer } from '../mail/mailer.js';
import { ValidationFailed } from '../http/errors.js';
import { throttleKey, forgetFailures } from './login-throttle.js';
import { hashPassword } from './passwords.js';
import { revokeAllApiTokens } from './tokens.js';
import type { CurrentUser } from './users.service.js';

// Looking after accounts: changing and resetting passwords, signing out everywhere, deleting a
// user. Every function takes the database first and writes within the caller's transaction.

/** Ends every session of the user (the caller starts a fresh one when they stay signed in). */
export async function endAllSessions(db: DbOrTx, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** A new password: every session ends, and earlier failed sign-ins are forgotten. */
export async function setPassword(db: DbOrTx, clock: Clock, user: Pick<CurrentUser, 'id' | 'email'>, password: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: await hashPassword(password), updated_at: clock.now().toISOString() }).where('id', '=', user.id).execute();
  await endAllSessions(db, user.id);
  await forgetFailures(db, throttleKey('account', user.email));
}

export async function signOutEverywhere(db: DbOrTx, clock: Clock, userId: number, { revokeTokens }: { revokeTokens: boolean }): Promise<{ revokedTokens: number }> {
  await endAllSessions(db, userId);
  return { revokedTokens: revokeTokens ? await revokeAllApiTokens(db, clock, userId) : 0 };
}

// --- One-time reset links -------------------------------------------------------------------

const resetLinkLifetimeMs = 60 * 60 * 1000;
const hashResetToken = (token: string) => createHash('sha256').update(`password-reset:${token}`).digest('hex');

export interface ResetLink {
  url: string;
  expiresAt: string;
}

/**
 * A link that sets a new password, once, within the hour. Only its hash is stored, and a new
 * link replaces any earlier one of the same user that was not used.
 */
export async function createResetLink(db: DbOrTx, clock: Clock, baseUrl: string, userId: number, createdById: number | null): Promise<ResetLink> {
  const token = randomBytes(32).toString('base64url');
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + resetLinkLifetimeMs).toISOString();
  await db.deleteFrom('password_resets').where('user_id', '=', userId).where('used_at', 'is', null).execute();
  await db
    .insertInto('password_resets')
    .values({ user_id: userId, token_hash: hashResetToken(token), created_by_id: createdById, created_at: now.toISOString(), expires_at: expiresAt })
    .execute();
  // In the query string, not the path: request logs keep paths only.
  return { url: `${baseUrl}/reset-password?token=${token}`, expiresAt };
}

/** The active user a reset link is for, while it is unused and unexpired. */
export function findUserByResetToken(db: DbOrTx, clock: Clock, token: string) {
  return db
    .selectFrom('password_resets')
    .innerJoin('users', 'users.id', 'password_resets.user_id')
    .select(['users.id', 'users.email', 'users.name'])
    .where('password_resets.token_hash', '=', hashResetToken(token))
    .where('password_resets.used_at', 'is', null)
    .where('password_resets.expires_at', '>', clock.now().toISOString())
    .where('users.active', '=', 1)
    .executeTakeFirst();
}

/** Uses the link: it is marked used in the same statement that checks it, so it works only once. */
export async function resetPasswordWithToken(db: DbOrTx, clock: Clock, token: string, password: string): Promise<Pick<CurrentUser, 'id' | 'email'> | null> {
  const user = await findUserByResetToken(db, clock, token);
  if (!user) return null;
  const claimed = await db
    .updateTable('password_resets')
    .set({ used_at: clock.now().toISOString() })
    .where('token_hash', '=', hashResetToken(token))
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) return null;
  await setPassword(db, clock, user, password);
  return user;
}

export async function emailResetLink(mailer: Mailer, user: Pick<CurrentUser, 'email' | 'name' | 'time_zone'>, link: ResetLink, issuedBy: string): Promise<void> {
  const until = DateTime.fromISO(link.expiresAt).setZone(user.time_zone).toFormat('HH:mm ZZZZ');
  const text = [
    `Hello ${user.name},`,
    '',
    `${issuedBy} sent you a link to set a new Buychain password:`,
    link.url,
    '',
    `It works once, until ${until} (one hour). If you did not ask for it, ignore this email; your password stays as it is.`,
  ].join('\n');
  const html = `<p>Hello ${escapeHtml(user.name)},</p><p>${escapeHtml(issuedBy)} sent you a link to set a new Buychain password:</p><p><a href="${escapeHtml(link.url)}">Set a new password</a></p><p>It works once, until ${escapeHtml(until)} (one hour). If you did not ask for it, ignore this email; your password stays as it is.</p>`;
  await mailer.send({ to: user.email, subject: 'Set a new Buychain password', text, html });
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

// --- Deleting a user --------------------------------------------------------------------------

export interface DeletionFacts {
  user: { id: number; name: string; email: string; role: string };
  accounts: number;
  openPromises: number;
  reps: number;
  /** Why the user cannot be deleted, in a sentence; null when they can. */
  refusal: string | null;
}

/** What deleting the user would move, and whether it is allowed at all. */
/** `actingAdminId`: the admin deleting (null from the command line). */
export async function deletionFacts(db: DbOrTx, userId: number, actingAdminId: number | null): Promise<DeletionFacts | undefined> {
  const user = await db.selectFrom('users').select(['id', 'name', 'email', 'role', 'active']).where('id', '=', userId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!user) return undefined;
  const count = (query: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => query.executeTakeFirstOrThrow().then((row) => Number(row.n));
  const [accounts, openPromises, reps, otherAdmins] = await Promise.all([
    count(db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', userId)),
    count(db.selectFrom('commitments').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', userId).where('done_at', 'is', null)),
    count(db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('manager_id', '=', userId).where('deleted_at', 'is', null)),
    count(db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'admin').where('active', '=', 1).where('deleted_at', 'is', null).where('id', '!=', userId)),
  ]);
  const refusal =
    userId === actingAdminId
      ? 'You cannot delete yourself; ask another admin.'
      : user.role === 'admin' && user.active === 1 && otherAdmins === 0
        ? `${user.name} is the last admin; add another admin first (npm run cli -- user add … --role admin).`
        : reps > 0
          ? `${user.name} still manages ${reps} ${reps === 1 ? 'person' : 'people'}; give them another manager first.`
          : null;
  return { user: { id: user.id, name: user.name, email: user.email, role: user.role }, accounts, openPromises, reps, refusal };
}

/**
 * Deletes a user: their accounts and open promises go to `successorId` first (each account's
 * move recorded in its audit trail), their sessions, tokens and reset links end, and the row
 * stays only as a name, so the touchpoints and changes they made keep their author. Their email
 * is freed for a new user.
 */
export async function deleteUser(db: DbOrTx, clock: Clock, userId: number, successorId: number | undefined, actingAdminId: number | null): Promise<DeletionFacts & { successorName: string | null }> {
  const facts = await deletionFacts(db, userId, actingAdminId);
  if (!facts) throw new ValidationFailed({ _: 'That user was not found.' });
  if (facts.refusal) throw new ValidationFailed({ successor_id: facts.refusal }, facts.refusal);
  const needsSuccessor = facts.accounts > 0 || facts.openPromises > 0;
  const successor =
    successorId === undefined || successorId === userId
      ? undefined
      : await db.selectFrom('users').select(['id', 'name']).where('id', '=', successorId).where('active', '=', 1).where('deleted_at', 'is', null).executeTakeFirst();
  if (needsSuccessor && !successor) throw new ValidationFailed({ successor_id: `Choose who takes over ${facts.user.name}’s accounts` });

  const now = clock.now().toISOString();
  if (successor) {
    await db
      .insertInto('audit_events')
      .columns(['entity_type', 'entity_id', 'account_id', 'user_id', 'action', 'changes', 'context', 'at', 'entity_version'])
      .expression(
        db
          .selectFrom('accounts')
          .select((eb) => [
            eb.val('account').as('entity_type'),
            'id as entity_id',
            'id as account_id',
            sql<number | null>`cast(${actingAdminId} as integer)`.as('user_id'),
            eb.val('updated').as('action'),
            eb.val(JSON.stringify({ owner_id: [userId, successor.id] })).as('changes'),
            eb.val('user_deleted').as('context'),
            eb.val(now).as('at'),
            eb('version', '+', 1).as('entity_version'),
          ])
          .where('owner_id', '=', userId),
      )
      .execute();
    await db
      .updateTable('accounts')
      .set((eb) => ({ owner_id: successor.id, version: eb('version', '+', 1), updated_at: now }))
      .where('owner_id', '=', userId)
      .execute();
    await db.updateTable('commitments').set({ owner_id: successor.id }).where('owner_id', '=', userId).where('done_at', 'is', null).execute();
  }
  await endAllSessions(db, userId);
  await revokeAllApiTokens(db, clock, userId);
  await db.deleteFrom('password_resets').where('user_id', '=', userId).execute();
  await forgetFailures(db, throttleKey('account', facts.user.email));
  await db
    .updateTable('users')
    .set({ email: `deleted-user-${userId}@deleted.invalid`, password_hash: null, active: 0, manager_id: null, digest_opt_out: 1, deleted_at: now, updated_at: now })
    .where('id', '=', userId)
    .execute();
  return { ...facts, successorName: successor?.name ?? null };
}
