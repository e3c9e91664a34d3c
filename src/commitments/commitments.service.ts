import type { Clock } from '../clock.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import type { DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import type { Paging } from '../http/pagination.js';
import { LocalDay } from '../risk/risk.rules.js';
import { riskClockFor } from '../risk/risk.service.js';
import type { CurrentUser } from '../users/users.service.js';
import type { NewCommitmentInput } from './commitments.schemas.js';
import { lockAccountOf, lockAccounts } from '../db/row-locks.js';

// A commitment is a promise to the customer. It is late when its due date is before the owner's
// local today and it is not done (the `commitment_overdue` risk rule reads the same columns).

const commitmentColumns = [
  'commitments.id',
  'commitments.account_id',
  'accounts.name as account_name',
  'commitments.contact_id',
  'contacts.name as contact_name',
  'contacts.preferred_channel',
  'contacts.preferred_time',
  'commitments.owner_id',
  'users.name as owner_name',
  'commitments.description',
  'commitments.due_on',
  'commitments.done_at',
  'commitments.source',
  'commitments.touchpoint_id',
  'commitments.created_at',
] as const;

function commitmentsVisibleTo(db: DbOrTx, user: CurrentUser) {
  return db
    .selectFrom('commitments')
    .innerJoin('accounts', 'accounts.id', 'commitments.account_id')
    .innerJoin('users', 'users.id', 'commitments.owner_id')
    .leftJoin('contacts', 'contacts.id', 'commitments.contact_id')
    .where(accountVisibleTo(user));
}

type CommitmentRow = Awaited<ReturnType<typeof getCommitmentForUser>>;
export type Commitment = CommitmentRow & { late: boolean };

/** The viewer's local date, the day promises fall due against. */
export const localToday = (clock: Clock, user: Pick<CurrentUser, 'time_zone'>) => new LocalDay(riskClockFor(clock, user));

const withLateness = (rows: CommitmentRow[], today: string): Commitment[] =>
  rows.map((row) => ({ ...row, late: row.done_at === null && row.due_on < today }));

export async function getCommitmentForUser(db: DbOrTx, user: CurrentUser, commitmentId: number) {
  const row = await commitmentsVisibleTo(db, user).select(commitmentColumns).where('commitments.id', '=', commitmentId).executeTakeFirst();
  if (!row) throw new NotFound('That commitment');
  return row;
}

export type CommitmentStatus = 'open' | 'done';

/** One page of an account's promises: open ones soonest due first, done ones latest first. */
export async function listCommitmentsForAccount(
  db: DbOrTx,
  user: CurrentUser,
  accountId: number,
  { status, paging, today }: { status?: CommitmentStatus; paging: Paging; today: string },
) {
  let query = commitmentsVisibleTo(db, user).where('commitments.account_id', '=', accountId);
  if (status) query = query.where('commitments.done_at', status === 'open' ? 'is' : 'is not', null);
  const ordered =
    status === 'done'
      ? query.orderBy('commitments.done_at', 'desc')
      : query.orderBy('commitments.due_on').orderBy('commitments.id');
  const [rows, count] = await Promise.all([
    ordered
      .select(commitmentColumns)
      .limit(paging.perPage)
      .offset((paging.page - 1) * paging.perPage)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows: withLateness(rows, today), total: Number(count.total) };
}

export async function createCommitment(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, input: NewCommitmentInput) {
  await lockAccounts(db, [accountId]);
  if (input.contact_id !== undefined) {
    const contact = await db
      .selectFrom('contacts')
      .select('id')
      .where('id', '=', input.contact_id)
      .where('account_id', '=', accountId)
      .where('archived', '=', 0)
      .executeTakeFirst();
    if (!contact) throw new ValidationFailed({ contact_id: 'Choose someone at this account' });
  }
  const { id } = await db
    .insertInto('commitments')
    .values({
      account_id: accountId,
      contact_id: input.contact_id ?? null,
      owner_id: user.id,
      description: input.description,
      due_on: input.due_on,
      done_at: null,
      touchpoint_id: null,
      departed_contact_id: null,
      playbook_step: null,
      created_at: clock.now().toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await riskInputsChanged(db, [accountId]);
  return getCommitmentForUser(db, user, id);
}

/** Marks a promise kept (done) or reopens it; marking it done twice keeps the first time. */
export async function setCommitmentDone(db: DbOrTx, clock: Clock, user: CurrentUser, commitmentId: number, done: boolean) {
  await lockAccountOf(db, 'commitments', commitmentId);
  const before = await getCommitmentForUser(db, user, commitmentId);
  if (done === (before.done_at !== null)) return before;
  await db
    .updateTable('commitments')
    .set({ done_at: done ? clock.now().toISOString() : null })
    .where('id', '=', commitmentId)
    .execute();
  await riskInputsChanged(db, [before.account_id]);
  return getCommitmentForUser(db, user, commitmentId);
}

/**
 * For the viewer's dashboard: their own open promises that are late, and those due from today to
 * the end of this week (Monday–Sunday in their time zone). Three queries, a few rows of each.
 */
export async function promisesDue(db: DbOrTx, clock: Clock, user: CurrentUser, limit = 10) {
  const day = localToday(clock, user);
  const today = day.isoDate;
  const weekEnd = day.today.endOf('week').toISODate()!;
  const open = () =>
    commitmentsVisibleTo(db, user)
      .where('commitments.owner_id', '=', user.id)
      .where('commitments.done_at', 'is', null)
      .where('accounts.archived', '=', 0)
      .where('commitments.due_on', '<=', weekEnd);
  const [late, dueThisWeek, counts] = await Promise.all([
    open().select(commitmentColumns).where('commitments.due_on', '<', today).orderBy('commitments.due_on').orderBy('commitments.id').limit(limit).execute(),
    open().select(commitmentColumns).where('commitments.due_on', '>=', today).orderBy('commitments.due_on').orderBy('commitments.id').limit(limit).execute(),
    open()
      .select((eb) => [
        eb.fn.sum<number | null>(eb.case().when('commitments.due_on', '<', today).then(1).else(0).end()).as('late'),
        eb.fn.countAll<number>().as('total'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  const lateTotal = Number(counts.late ?? 0);
  return {
    today,
    week_ends_on: weekEnd,
    late: { rows: withLateness(late, today), total: lateTotal },
    due_this_week: { rows: withLateness(dueThisWeek, today), total: Number(counts.total) - lateTotal },
  };
}
export type PromisesDue = Awaited<ReturnType<typeof promisesDue>>;

export function commitmentToJson(commitment: CommitmentRow) {
  return {
    id: commitment.id,
    account_id: commitment.account_id,
    contact_id: commitment.contact_id,
    owner_id: commitment.owner_id,
    description: commitment.description,
    due_on: commitment.due_on,
    done: commitment.done_at !== null,
    done_at: commitment.done_at,
    source: commitment.source,
    touchpoint_id: commitment.touchpoint_id,
    created_at: commitment.created_at,
  };
}
