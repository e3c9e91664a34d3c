import { type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database, DbOrTx } from '../db/database.js';
import { lockAccountOf, lockAccounts } from '../db/row-locks.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { type Changes, diff, recordAudit } from '../audit/audit.service.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import type { CurrentUser } from '../users/users.service.js';
import { recomputeTouchSummaries } from './touch-summaries.js';
import type { TouchpointPatch } from './touchpoints.schemas.js';
import { type Touchpoint, withParticipants } from './touchpoints.service.js';
import { kindNeedsParticipants, participantsRequired, restorableDays, type TouchpointRow } from './touchpoints.table.js';

// A logged touchpoint can be corrected or removed by its author, the account's owner, the owner's
// manager and an admin (the owner, manager and admin are exactly who sees the account). Every
// change is audited; touch summaries and risk follow in the same transaction.

/** May change this touchpoint: sees its account, or wrote it. */
function mayCorrect(user: CurrentUser) {
  return (eb: ExpressionBuilder<Database, 'accounts' | 'touchpoints'>): Expression<SqlBool> =>
    eb.or([accountVisibleTo(user)(eb as never), eb('touchpoints.author_id', '=', user.id)]);
}

export async function getTouchpointForUser(db: DbOrTx, user: CurrentUser, touchpointId: number): Promise<Touchpoint> {
  const row = await db
    .selectFrom('touchpoints')
    .innerJoin('accounts', 'accounts.id', 'touchpoints.account_id')
    .selectAll('touchpoints')
    .where('touchpoints.id', '=', touchpointId)
    .where(mayCorrect(user))
    .executeTakeFirst();
  if (!row) throw new NotFound('That touchpoint');
  return (await withParticipants(db, [row]))[0]!;
}

const editable = ['kind', 'occurred_at', 'location', 'summary', 'internal_notes', 'value_delivered', 'testimonial_url', 'next_step', 'next_step_due_on'] as const;
/** Text columns that are never null: clearing them leaves them empty. */
const emptyWhenCleared = new Set(['summary', 'internal_notes', 'value_delivered']);

export async function editTouchpoint(db: DbOrTx, clock: Clock, user: CurrentUser, touchpointId: number, patch: TouchpointPatch): Promise<Touchpoint> {
  await lockAccountOf(db, 'touchpoints', touchpointId);
  const before = await getTouchpointForUser(db, user, touchpointId);
  const beforeIds = before.contacts.map((contact) => contact.id);
  const requested: Record<string, unknown> = {};
  for (const field of editable) {
    const value = patch[field];
    if (value !== undefined) requested[field] = value === null && emptyWhenCleared.has(field) ? '' : value;
  }
  if (patch.contact_ids !== undefined) requested.contact_ids = [...new Set(patch.contact_ids)];
  const changes = diff({ ...before, contact_ids: beforeIds }, requested);
  if (Object.keys(changes).length === 0) return before;

  const after = { ...before, ...requested } as TouchpointRow & { contact_ids?: number[] };
  const contactIds = (requested.contact_ids as number[] | undefined) ?? beforeIds;
  await checkCorrection(db, clock, before.account_id, after, contactIds, beforeIds);

  const columns = Object.fromEntries(Object.keys(changes).filter((field) => field !== 'contact_ids').map((field) => [field, requested[field] ?? null]));
  if (Object.keys(columns).length > 0) await db.updateTable('touchpoints').set(columns).where('id', '=', touchpointId).execute();
  // Participants carry a copy of when, what and where, for the per-contact summaries' index.
  const copied = { occurred_at: after.occurred_at, kind: after.kind, location: after.location };
  if (changes.occurred_at || changes.kind || changes.location)
    await db.updateTable('touchpoint_contacts').set(copied).where('touchpoint_id', '=', touchpointId).execute();
  if (changes.contact_ids) {
    const removed = beforeIds.filter((id) => !contactIds.includes(id));
    const added = contactIds.filter((id) => !beforeIds.includes(id));
    if (removed.length > 0) await db.deleteFrom('touchpoint_contacts').where('touchpoint_id', '=', touchpointId).where('contact_id', 'in', removed).execute();
    if (added.length > 0)
      await db
        .insertInto('touchpoint_contacts')
        .values(added.map((contactId) => ({ touchpoint_id: touchpointId, contact_id: contactId, account_id: before.account_id, ...copied })))
        .execute();
  }
  if (changes.next_step || changes.next_step_due_on || changes.contact_ids) await followNextStep(db, clock, user, after, contactIds);

  await recordAudit(db, touchpointAudit(user, before, 'updated', changes, clock));
  await recomputeTouchSummaries(db, before.account_id, [...beforeIds, ...contactIds]);
  await riskInputsChanged(db, [before.account_id]);
  return getTouchpointForUser(db, user, touchpointId);
}

/** The whole touchpoint as corrected must still make sense, as when it was logged. */
async function checkCorrection(db: DbOrTx, clock: Clock, accountId: number, after: TouchpointRow, contactIds: number[], beforeIds: number[]) {
  const problems: Record<string, string> = {};
  // People who took part may since have left or been archived; they stay, but anyone added must be here now.
  const added = contactIds.filter((id) => !beforeIds.includes(id));
  if (added.length > 0) {
    const known = await db.selectFrom('contacts').select('id').where('account_id', '=', accountId).where('archived', '=', 0).where('id', 'in', added).execute();
    const unknown = added.filter((id) => !known.some((row) => row.id === id));
    if (unknown.length > 0) problems.contact_ids = `Not a contact at this account: ${unknown.join(', ')}`;
  }
  if (!problems.contact_ids && kindNeedsParticipants(after.kind) && contactIds.length === 0) problems.contact_ids = participantsRequired;
  if (after.next_step_due_on && !after.next_step) problems.next_step = 'Say what the next step is, or clear its due date';
  if (after.occurred_at > new Date(clock.now().getTime() + 24 * 3600 * 1000).toISOString())
    problems.occurred_at = 'That is in the future; log a touchpoint after it happens';
  if (Object.keys(problems).length > 0) throw new ValidationFailed(problems);
}

/** The promise made as the next step follows its correction while it is still open. */
async function followNextStep(db: DbOrTx, clock: Clock, user: CurrentUser, after: TouchpointRow, contactIds: number[]) {
  const open = await db.selectFrom('commitments').select('id').where('touchpoint_id', '=', after.id).where('done_at', 'is', null).executeTakeFirst();
  if (!after.next_step || !after.next_step_due_on) {
    if (open) await db.deleteFrom('commitments').where('id', '=', open.id).execute();
    return;
  }
  const promise = { description: after.next_step, due_on: after.next_step_due_on, contact_id: contactIds[0] ?? null };
  if (open) await db.updateTable('commitments').set(promise).where('id', '=', open.id).execute();
  else if (!(await db.selectFrom('commitments').select('id').where('touchpoint_id', '=', after.id).executeTakeFirst()))
    await db
      .insertInto('commitments')
      .values({
        ...promise,
        account_id: after.account_id,
        owner_id: user.id,
        done_at: null,
        source: 'touchpoint',
        touchpoint_id: after.id,
        departed_contact_id: null,
        playbook_step: null,
        created_at: clock.now().toISOString(),
      })
      .execute();
}

function touchpointAudit(user: CurrentUser, touchpoint: TouchpointRow, action: string, changes: Changes, clock: Clock) {
  return { entity_type: 'touchpoint' as const, entity_id: touchpoint.id, account_id: touchpoint.account_id, user_id: user.id, action, changes, at: clock.now().toISOString() };
}

interface Snapshot {
  touchpoint: TouchpointRow;
  contact_ids: number[];
  commitment_ids: number[];
}

const restorableSince = (clock: Clock) => new Date(clock.now().getTime() - restorableDays * 86_400_000).toISOString();

/**
 * Deletes a touchpoint: it leaves the timeline, the report and the risk at once and is kept whole
 * for `restorableDays` days. The audit trail records who deleted what kind of touchpoint when, not
 * its text: whatever was deleted for being wrong or indiscreet is gone once the 30 days are over.
 */
export async function deleteTouchpoint(db: DbOrTx, clock: Clock, user: CurrentUser, touchpointId: number): Promise<Touchpoint> {
  await lockAccountOf(db, 'touchpoints', touchpointId);
  const touchpoint = await getTouchpointForUser(db, user, touchpointId);
  const { contacts, ...row } = touchpoint;
  const commitments = await db.selectFrom('commitments').select('id').where('touchpoint_id', '=', touchpointId).execute();
  const snapshot: Snapshot = { touchpoint: row, contact_ids: contacts.map((contact) => contact.id), commitment_ids: commitments.map((commitment) => commitment.id) };
  const now = clock.now().toISOString();
  await purgeExpiredDeletions(db, clock);
  await db
    .insertInto('deleted_touchpoints')
    .values({ touchpoint_id: touchpointId, account_id: row.account_id, author_id: row.author_id, deleted_by_id: user.id, deleted_at: now, snapshot: JSON.stringify(snapshot) })
    .execute();
  // A promise made at the meeting is still a promise: it stays, unlinked until a restore.
  if (commitments.length > 0) await db.updateTable('commitments').set({ touchpoint_id: null }).where('touchpoint_id', '=', touchpointId).execute();
  await db.deleteFrom('touchpoint_contacts').where('touchpoint_id', '=', touchpointId).execute();
  await db.deleteFrom('touchpoints').where('id', '=', touchpointId).execute();
  await recordAudit(db, touchpointAudit(user, row, 'deleted', { kind: [row.kind, null], occurred_at: [row.occurred_at, null] }, clock));
  await recomputeTouchSummaries(db, row.account_id, snapshot.contact_ids);
  await riskInputsChanged(db, [row.account_id]);
  return touchpoint;
}

/** Deleted touchpoints of an account that can still be restored, newest deletion first. */
export async function listDeletedTouchpoints(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number) {
  const rows = await db
    .selectFrom('deleted_touchpoints')
    .innerJoin('accounts', 'accounts.id', 'deleted_touchpoints.account_id')
    .innerJoin('users', 'users.id', 'deleted_touchpoints.deleted_by_id')
    .select(['deleted_touchpoints.touchpoint_id', 'deleted_touchpoints.deleted_at', 'deleted_touchpoints.snapshot', 'users.name as deleted_by'])
    .where('deleted_touchpoints.account_id', '=', accountId)
    .where('deleted_touchpoints.deleted_at', '>=', restorableSince(clock))
    .where((eb) => eb.or([accountVisibleTo(user)(eb as never), eb('deleted_touchpoints.author_id', '=', user.id)]))
    .orderBy('deleted_touchpoints.deleted_at', 'desc')
    .limit(200)
    .execute();
  return rows.map(({ snapshot, ...row }) => ({ ...row, touchpoint: (JSON.parse(snapshot) as Snapshot).touchpoint }));
}

export async function restoreTouchpoint(db: DbOrTx, clock: Clock, user: CurrentUser, touchpointId: number): Promise<Touchpoint> {
  const deleted = await db
    .selectFrom('deleted_touchpoints')
    .innerJoin('accounts', 'accounts.id', 'deleted_touchpoints.account_id')
    .select(['deleted_touchpoints.id', 'deleted_touchpoints.snapshot'])
    .where('deleted_touchpoints.touchpoint_id', '=', touchpointId)
    .where('deleted_touchpoints.deleted_at', '>=', restorableSince(clock))
    .where((eb) => eb.or([accountVisibleTo(user)(eb as never), eb('deleted_touchpoints.author_id', '=', user.id)]))
    .executeTakeFirst();
  if (!deleted) throw new NotFound('That deleted touchpoint');
  const { touchpoint, contact_ids, commitment_ids } = JSON.parse(deleted.snapshot) as Snapshot;
  await lockAccounts(db, [touchpoint.account_id]);
  await db.deleteFrom('deleted_touchpoints').where('id', '=', deleted.id).execute();
  await db.insertInto('touchpoints').values(touchpoint).execute();
  // Someone merged into another contact since is no longer here; everyone else takes part again.
  const present = contact_ids.length === 0 ? [] : await db.selectFrom('contacts').select('id').where('account_id', '=', touchpoint.account_id).where('id', 'in', contact_ids).execute();
  if (present.length > 0)
    await db
      .insertInto('touchpoint_contacts')
      .values(present.map(({ id }) => ({ touchpoint_id: touchpoint.id, contact_id: id, account_id: touchpoint.account_id, occurred_at: touchpoint.occurred_at, kind: touchpoint.kind, location: touchpoint.location })))
      .execute();
  if (commitment_ids.length > 0)
    await db.updateTable('commitments').set({ touchpoint_id: touchpoint.id }).where('id', 'in', commitment_ids).where('touchpoint_id', 'is', null).execute();
  await recordAudit(db, touchpointAudit(user, touchpoint, 'restored', { kind: [null, touchpoint.kind], occurred_at: [null, touchpoint.occurred_at] }, clock));
  await recomputeTouchSummaries(db, touchpoint.account_id, present.map(({ id }) => id));
  await riskInputsChanged(db, [touchpoint.account_id]);
  return getTouchpointForUser(db, user, touchpoint.id);
}

/**
 * Past the restore window a deletion is final. Deleting the expired rows is idempotent, so any
 * process may do it at any time without a claim; it runs whenever a touchpoint is deleted, and a
 * row past the window is never shown or restored even before then.
 */
export async function purgeExpiredDeletions(db: DbOrTx, clock: Clock): Promise<void> {
  await db.deleteFrom('deleted_touchpoints').where('deleted_at', '<', restorableSince(clock)).execute();
}
