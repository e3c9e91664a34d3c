import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { NotFound } from '../http/errors.js';
import type { Paging } from '../http/pagination.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import { logTouchpoint } from '../touchpoints/touchpoints.service.js';
import type { CurrentUser } from '../users/users.service.js';
import { type Invitation, readInvitations } from './invitation-reader.js';
import type { MeetingStatus } from './mail-in.table.js';

// Invitations become planned meetings on the account; an update with a higher SEQUENCE moves one,
// a cancellation cancels it, and once past it is held: a `meeting` touchpoint with the
// invitation's location text. Whether it was outside the office is the rep's one-tap answer.

export type MeetingOutcome = { kind: 'meetings'; accountIds: number[] };

/** A newer version of the invitation: a higher SEQUENCE, or the same one stamped later. */
const isNewer = (invitation: Invitation, stored: { sequence: number; stamped_at: string | null }) =>
  invitation.sequence > stored.sequence ||
  (invitation.sequence === stored.sequence && invitation.stampedAt !== null && (stored.stamped_at === null || invitation.stampedAt > stored.stamped_at));

/**
 * Applies the invitations of a message for the user: null when none of them involves a contact
 * the user may see (the message is then handled like any other).
 */
export async function handleInvitations(db: DbOrTx, clock: Clock, user: CurrentUser, calendars: string[]): Promise<MeetingOutcome | null> {
  const invitations = calendars.flatMap((calendar) => readInvitations(calendar, user.time_zone));
  if (invitations.length === 0) return null;
  const moved = new Set<number>();
  let involvesContacts = false;
  for (const invitation of invitations) {
    const contacts =
      invitation.people.length === 0
        ? []
        : await db
            .selectFrom('contacts')
            .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
            .select(['contacts.id', 'contacts.account_id'])
            .where('contacts.email', 'in', invitation.people)
            .where('contacts.archived', '=', 0)
            .where('accounts.archived', '=', 0)
            .where(accountVisibleTo(user))
            .execute();
    const byAccount = new Map<number, number[]>();
    for (const contact of contacts) byAccount.set(contact.account_id, [...(byAccount.get(contact.account_id) ?? []), contact.id]);
    for (const [accountId, contactIds] of byAccount) if (await applyInvitation(db, clock, user, accountId, contactIds, invitation)) moved.add(accountId);
    involvesContacts ||= byAccount.size > 0;
  }
  // A planned meeting with a decision-maker shows in the meeting clock.
  if (moved.size > 0) await riskInputsChanged(db, [...moved]);
  return involvesContacts ? { kind: 'meetings', accountIds: [...moved] } : null;
}

async function applyInvitation(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, contactIds: number[], invitation: Invitation): Promise<boolean> {
  const now = clock.now().toISOString();
  const stored = await db.selectFrom('planned_meetings').selectAll().where('account_id', '=', accountId).where('uid', '=', invitation.uid).executeTakeFirst();
  if (stored && (stored.status === 'held' || !isNewer(invitation, stored))) return false;
  if (invitation.method === 'CANCEL') {
    if (!stored) return false;
    await db.updateTable('planned_meetings').set({ status: 'cancelled', sequence: invitation.sequence, stamped_at: invitation.stampedAt, updated_at: now }).where('id', '=', stored.id).execute();
    return true;
  }
  const fields = {
    sequence: invitation.sequence,
    stamped_at: invitation.stampedAt,
    starts_at: invitation.startsAt,
    ends_at: invitation.endsAt,
    title: invitation.title,
    location: invitation.location,
    status: 'planned' as const,
    updated_at: now,
  };
  let meetingId: number;
  if (stored) {
    await db.updateTable('planned_meetings').set(fields).where('id', '=', stored.id).execute();
    await db.deleteFrom('planned_meeting_contacts').where('meeting_id', '=', stored.id).execute();
    meetingId = stored.id;
  } else {
    ({ id: meetingId } = await db
      .insertInto('planned_meetings')
      .values({ ...fields, account_id: accountId, uid: invitation.uid, outside_office: null, touchpoint_id: null, found_by: user.id, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow());
  }
  await db
    .insertInto('planned_meeting_contacts')
    .values([...new Set(contactIds)].map((contactId) => ({ meeting_id: meetingId, contact_id: contactId })))
    .execute();
  return true;
}

/** At most this many past meetings become touchpoints in one go; the rest on the next look. */
const holdBatch = 200;

/**
 * Past meetings that were not cancelled are held: each becomes a `meeting` touchpoint, once (the
 * status update decides which process does it). Runs when an account's meetings are looked at and
 * after each mailbox sync. Call inside a transaction.
 */
export async function holdPastMeetings(db: DbOrTx, clock: Clock, scope: { accountId?: number } = {}): Promise<number> {
  const now = clock.now().toISOString();
  let query = db.selectFrom('planned_meetings').selectAll().where('status', '=', 'planned').where('ends_at', '<=', now);
  if (scope.accountId !== undefined) query = query.where('account_id', '=', scope.accountId);
  const past = await query.orderBy('ends_at').limit(holdBatch).execute();
  if (past.length === 0) return 0;
  const [participants, authors] = await Promise.all([
    db.selectFrom('planned_meeting_contacts').select(['meeting_id', 'contact_id']).where('meeting_id', 'in', past.map((meeting) => meeting.id)).execute(),
    db.selectFrom('users').select(['id', 'email', 'name', 'role', 'manager_id', 'time_zone']).where('id', 'in', [...new Set(past.map((meeting) => meeting.found_by))]).execute(),
  ]);
  let held = 0;
  for (const meeting of past) {
    const claimed = await db.updateTable('planned_meetings').set({ status: 'held', updated_at: now }).where('id', '=', meeting.id).where('status', '=', 'planned').returning('id').executeTakeFirst();
    if (!claimed) continue;
    const author = authors.find((user) => user.id === meeting.found_by)!;
    const { touchpoint } = await logTouchpoint(db, clock, author, meeting.account_id, {
      contact_ids: participants.filter((row) => row.meeting_id === meeting.id).map((row) => row.contact_id),
      next_step_due_on: undefined,
      kind: 'meeting',
      location: locationOf(meeting),
      occurred_at: meeting.starts_at,
      summary: meeting.title,
      internal_notes: meeting.location ? `Location: ${meeting.location}` : undefined,
      contact_updates: [],
      new_contacts: [],
      gap_answers: {},
    });
    await db.updateTable('planned_meetings').set({ touchpoint_id: touchpoint.id }).where('id', '=', meeting.id).execute();
    held++;
  }
  return held;
}

/** Outside the office only when the rep said so; otherwise an online meeting or the customer's office. */
function locationOf(meeting: { outside_office: number | null; location: string }) {
  if (meeting.outside_office === 1) return 'outside_office' as const;
  return /https?:\/\/|teams|zoom|google meet|webex/i.test(meeting.location) ? ('virtual' as const) : ('customer_office' as const);
}

export async function getMeetingForUser(db: DbOrTx, user: CurrentUser, meetingId: number) {
  const meeting = await db
    .selectFrom('planned_meetings')
    .innerJoin('accounts', 'accounts.id', 'planned_meetings.account_id')
    .selectAll('planned_meetings')
    .where('planned_meetings.id', '=', meetingId)
    .where(accountVisibleTo(user))
    .executeTakeFirst();
  if (!meeting) throw new NotFound('That meeting');
  return meeting;
}

/**
 * The rep's one-tap answer. For a meeting already held, its touchpoint moves too, and an outside
 * meeting with a decision-maker restarts the meeting clock. Call inside a transaction.
 */
export async function answerOutsideOffice(db: DbOrTx, clock: Clock, user: CurrentUser, meetingId: number, outside: boolean) {
  const meeting = await getMeetingForUser(db, user, meetingId);
  await db.updateTable('planned_meetings').set({ outside_office: outside ? 1 : 0, updated_at: clock.now().toISOString() }).where('id', '=', meeting.id).execute();
  if (meeting.touchpoint_id !== null) {
    const location = locationOf({ outside_office: outside ? 1 : 0, location: meeting.location });
    await db.updateTable('touchpoints').set({ location }).where('id', '=', meeting.touchpoint_id).execute();
    await db.updateTable('touchpoint_contacts').set({ location }).where('touchpoint_id', '=', meeting.touchpoint_id).execute();
    if (outside) {
      const at = meeting.starts_at;
      await db
        .updateTable('contacts')
        .set({ last_outside_meeting_at: sql<string>`case when last_outside_meeting_at is null or last_outside_meeting_at < ${at} then ${at} else last_outside_meeting_at end` })
        .where('id', 'in', db.selectFrom('touchpoint_contacts').select('contact_id').where('touchpoint_id', '=', meeting.touchpoint_id))
        .execute();
    }
  }
  // Planned or held, the answer changes the meeting clock: a meeting not outside the office does not count as planned.
  await riskInputsChanged(db, [meeting.account_id]);
  return getMeetingForUser(db, user, meeting.id);
}

/** An account's meetings from invitations (already authorized), soonest last-first, one page at a time. */
export async function listMeetings(db: DbOrTx, accountId: number, paging: Paging, options: { status?: MeetingStatus } = {}) {
  let query = db.selectFrom('planned_meetings').where('account_id', '=', accountId);
  if (options.status) query = query.where('status', '=', options.status);
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('starts_at', options.status === 'planned' ? 'asc' : 'desc').orderBy('id').limit(paging.perPage).offset((paging.page - 1) * paging.perPage).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  const participants =
    rows.length === 0
      ? []
      : await db
          .selectFrom('planned_meeting_contacts')
          .innerJoin('contacts', 'contacts.id', 'planned_meeting_contacts.contact_id')
          .select(['planned_meeting_contacts.meeting_id', 'contacts.id', 'contacts.name'])
          .where('planned_meeting_contacts.meeting_id', 'in', rows.map((row) => row.id))
          .orderBy('contacts.name')
          .execute();
  return {
    rows: rows.map((row) => ({ ...row, contacts: participants.filter((p) => p.meeting_id === row.id).map(({ id, name }) => ({ id, name })) })),
    total: Number(count.total),
  };
}

export type Meeting = Awaited<ReturnType<typeof listMeetings>>['rows'][number];

export function meetingToJson(meeting: Meeting) {
  return {
    id: meeting.id,
    starts_at: meeting.starts_at,
    ends_at: meeting.ends_at,
    title: meeting.title,
    location: meeting.location,
    contact_ids: meeting.contacts.map((contact) => contact.id),
    status: meeting.status,
    outside_office: meeting.outside_office === null ? null : meeting.outside_office === 1,
  };
}
