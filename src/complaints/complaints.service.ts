import { DateTime } from 'luxon';
import { riskInputsChanged } from '../risk/risk-cache.js';
import { type RawBuilder, sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { isPostgres, toFlag } from '../db/dialect.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { localToday } from '../commitments/commitments.service.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import type { Paging } from '../http/pagination.js';
import type { CurrentUser } from '../users/users.service.js';
import type { ComplaintPatch, NewComplaintInput } from './complaints.schemas.js';
import { lockAccountOf, lockAccounts } from '../db/row-locks.js';

// Service recovery in three steps, each with a date and a person: hear and agree there is a
// problem (acknowledged), fix it (resolution, and the response given to the customer), then follow
// up to verify the customer is satisfied. The follow-up is overdue when follow_up_due_on is before
// today and verified_on is null (the `complaint_follow_up_overdue` risk rule reads the same columns).

/** Days after the resolution by which we check back with the customer, unless told otherwise. */
export const followUpAfterDays = 14;

const complaintColumns = [
  'complaints.id',
  'complaints.account_id',
  'accounts.name as account_name',
  'complaints.contact_id',
  'contacts.name as contact_name',
  'contacts.preferred_channel',
  'contacts.preferred_time',
  'complaints.category',
  'complaints.issue',
  'complaints.raised_on',
  'complaints.acknowledged_on',
  'complaints.acknowledged_by_id',
  'acknowledgers.name as acknowledged_by_name',
  'complaints.resolution',
  'complaints.response',
  'complaints.resolved_on',
  'complaints.resolved_by_id',
  'resolvers.name as resolved_by_name',
  'complaints.follow_up_due_on',
  'complaints.verified_on',
  'complaints.verified_by_id',
  'verifiers.name as verified_by_name',
  'complaints.satisfied',
  'complaints.outcome',
  'complaints.internal_notes',
  'complaints.created_at',
  'complaints.updated_at',
] as const;

function complaintsVisibleTo(db: DbOrTx, user: CurrentUser) {
  return db
    .selectFrom('complaints')
    .innerJoin('accounts', 'accounts.id', 'complaints.account_id')
    .leftJoin('contacts', 'contacts.id', 'complaints.contact_id')
    .leftJoin('users as acknowledgers', 'acknowledgers.id', 'complaints.acknowledged_by_id')
    .leftJoin('users as resolvers', 'resolvers.id', 'complaints.resolved_by_id')
    .leftJoin('users as verifiers', 'verifiers.id', 'complaints.verified_by_id')
    .where(accountVisibleTo(user));
}

type ComplaintRow = Awaited<ReturnType<typeof findComplaint>>;
export type ComplaintStage = 'raised' | 'acknowledged' | 'resolved' | 'verified';
export type Complaint = NonNullable<ComplaintRow> & { stage: ComplaintStage; follow_up_overdue: boolean };

const stageOf = (row: { acknowledged_on: string | null; resolved_on: string | null; verified_on: string | null }): ComplaintStage =>
  row.verified_on ? 'verified' : row.resolved_on ? 'resolved' : row.acknowledged_on ? 'acknowledged' : 'raised';

const withStage = (row: NonNullable<ComplaintRow>, today: string): Complaint => ({
  ...row,
  stage: stageOf(row),
  follow_up_overdue: row.verified_on === null && row.follow_up_due_on !== null && row.follow_up_due_on < today,
});

const findComplaint = (db: DbOrTx, user: CurrentUser, complaintId: number) =>
  complaintsVisibleTo(db, user).select(complaintColumns).where('complaints.id', '=', complaintId).executeTakeFirst();

export async function getComplaintForUser(db: DbOrTx, clock: Clock, user: CurrentUser, complaintId: number): Promise<Complaint> {
  const row = await findComplaint(db, user, complaintId);
  if (!row) throw new NotFound('That complaint');
  return withStage(row, localToday(clock, user).isoDate);
}

/** One page of an account's complaints, newest first. */
export async function listComplaintsForAccount(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, paging: Paging) {
  const query = complaintsVisibleTo(db, user).where('complaints.account_id', '=', accountId);
  const [rows, count] = await Promise.all([
    query
      .select(complaintColumns)
      .orderBy('complaints.raised_on', 'desc')
      .orderBy('complaints.id', 'desc')
      .limit(paging.perPage)
      .offset((paging.page - 1) * paging.perPage)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  const today = localToday(clock, user).isoDate;
  return { rows: rows.map((row) => withStage(row, today)), total: Number(count.total) };
}

export function listCategories(db: DbOrTx, { includeRetired = false } = {}) {
  let query = db.selectFrom('complaint_categories').select(['id', 'name', 'active']).orderBy('position').orderBy('id');
  if (!includeRetired) query = query.where('active', '=', 1);
  return query.execute();
}

export async function addCategory(db: DbOrTx, name: string) {
  const existing = await db.selectFrom('complaint_categories').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) throw new ValidationFailed({ name: 'That category is already on the list' });
  const { last } = await db
    .selectFrom('complaint_categories')
    .select((eb) => eb.fn.max<number | null>('position').as('last'))
    .executeTakeFirstOrThrow();
  await db.insertInto('complaint_categories').values({ name, position: Number(last ?? 0) + 1 }).execute();
}

/** Categories are retired rather than deleted or renamed, so old complaints keep counting where they did. */
export async function setCategoryActive(db: DbOrTx, categoryId: number, active: boolean) {
  const { numUpdatedRows } = await db
    .updateTable('complaint_categories')
    .set({ active: toFlag(active) })
    .where('id', '=', categoryId)
    .executeTakeFirst();
  if (Number(numUpdatedRows) === 0) throw new NotFound('That category');
}

async function checkContact(db: DbOrTx, accountId: number, contactId: number | undefined) {
  if (contactId === undefined) return;
  const contact = await db
    .selectFrom('contacts')
    .select('id')
    .where('id', '=', contactId)
    .where('account_id', '=', accountId)
    .where('archived', '=', 0)
    .executeTakeFirst();
  if (!contact) throw new ValidationFailed({ contact_id: 'Choose someone at this account' });
}

export async function createComplaint(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, input: NewComplaintInput) {
  await lockAccounts(db, [accountId]);
  const today = localToday(clock, user).isoDate;
  const categories = await listCategories(db);
  if (!categories.some((category) => category.name === input.category))
    throw new ValidationFailed({ category: `Choose one of ${categories.map((category) => category.name).join(', ')}` });
  if (input.raised_on && input.raised_on > today) throw new ValidationFailed({ raised_on: 'That is in the future' });
  await checkContact(db, accountId, input.contact_id);
  const now = clock.now().toISOString();
  const { id } = await db
    .insertInto('complaints')
    .values({
      account_id: accountId,
      contact_id: input.contact_id ?? null,
      category: input.category,
      issue: input.issue,
      raised_on: input.raised_on ?? today,
      acknowledged_on: null,
      acknowledged_by_id: null,
      resolution: null,
      response: null,
      resolved_on: null,
      resolved_by_id: null,
      follow_up_due_on: null,
      verified_on: null,
      verified_by_id: null,
      satisfied: null,
      outcome: null,
      internal_notes: input.internal_notes ?? '',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await riskInputsChanged(db, [accountId]);
  return getComplaintForUser(db, clock, user, id);
}

type StepState = Pick<
  Complaint,
  'raised_on' | 'acknowledged_on' | 'resolution' | 'resolved_on' | 'follow_up_due_on' | 'verified_on' | 'satisfied' | 'outcome'
>;

/** The steps happen in order, on real days, none in the future: every broken rule names its field. */
function checkSteps(state: StepState, today: string) {
  const errors: Record<string, string> = {};
  const notBefore = (field: keyof StepState, earlier: string | null, what: string) => {
    const value = state[field];
    if (typeof value === 'string' && earlier && value < earlier) errors[field] ??= `Cannot be before ${what} (${earlier})`;
  };
  for (const field of ['acknowledged_on', 'resolved_on', 'verified_on'] as const)
    if (state[field] && state[field]! > today) errors[field] = 'That is in the future';
  if (state.resolved_on && !state.acknowledged_on) errors.resolved_on = 'Acknowledge the complaint first';
  if (state.resolved_on && !state.resolution) errors.resolution = 'Say what was done to fix it';
  if (state.follow_up_due_on && !state.resolved_on) errors.follow_up_due_on = 'Resolve the complaint first';
  if (state.verified_on && !state.resolved_on) errors.verified_on = 'Resolve the complaint first';
  if (state.verified_on && state.satisfied === null) errors.satisfied = 'Say whether the customer is satisfied';
  if (!state.verified_on && (state.satisfied !== null || state.outcome)) errors.verified_on = 'Say when you checked with the customer';
  notBefore('acknowledged_on', state.raised_on, 'it was raised');
  notBefore('resolved_on', state.acknowledged_on, 'it was acknowledged');
  notBefore('follow_up_due_on', state.resolved_on, 'it was resolved');
  notBefore('verified_on', state.resolved_on, 'it was resolved');
  if (Object.keys(errors).length > 0) throw new ValidationFailed(errors);
}

/** Moves a complaint through its steps; whoever records a step's date is recorded as having done it. */
export async function updateComplaint(db: DbOrTx, clock: Clock, user: CurrentUser, complaintId: number, patch: ComplaintPatch) {
  await lockAccountOf(db, 'complaints', complaintId);
  const before = await getComplaintForUser(db, clock, user, complaintId);
  const { satisfied, ...fields } = patch;
  const changes: Record<string, unknown> = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  if (satisfied !== undefined) changes.satisfied = satisfied === null ? null : toFlag(satisfied);
  const state = { ...before, ...changes } as StepState;
  // The follow-up date follows the resolution unless someone chose it.
  if (!state.resolved_on && changes.follow_up_due_on === undefined) state.follow_up_due_on = null;
  if (state.resolved_on && !state.follow_up_due_on)
    state.follow_up_due_on = DateTime.fromISO(state.resolved_on).plus({ days: followUpAfterDays }).toISODate()!;
  changes.follow_up_due_on = state.follow_up_due_on;
  checkSteps(state, localToday(clock, user).isoDate);

  for (const [date, by] of [
    ['acknowledged_on', 'acknowledged_by_id'],
    ['resolved_on', 'resolved_by_id'],
    ['verified_on', 'verified_by_id'],
  ] as const)
    if (changes[date] !== undefined && changes[date] !== before[date]) changes[by] = changes[date] === null ? null : user.id;
  await db
    .updateTable('complaints')
    .set({ ...changes, updated_at: clock.now().toISOString() })
    .where('id', '=', complaintId)
    .execute();
  await keepFollowUpPromise(db, clock, { ...before, ...state });
  await riskInputsChanged(db, [before.account_id]);
  return getComplaintForUser(db, clock, user, complaintId);
}

/**
 * The follow-up date is a promise to the customer, so it is kept as a commitment (listed with the
 * rep's promises): created or moved with the date, kept when the customer's satisfaction is
 * verified, withdrawn when the resolution is undone.
 */
async function keepFollowUpPromise(db: DbOrTx, clock: Clock, complaint: Pick<Complaint, 'id' | 'account_id' | 'contact_id' | 'issue' | 'follow_up_due_on' | 'verified_on'>) {
  const existing = await db.selectFrom('commitments').select(['id', 'done_at']).where('complaint_id', '=', complaint.id).executeTakeFirst();
  if (!complaint.follow_up_due_on) {
    if (existing && existing.done_at === null) await db.deleteFrom('commitments').where('id', '=', existing.id).execute();
    return;
  }
  const description = `Follow up on the complaint “${complaint.issue}”: is the customer 100% satisfied with the fix?`;
  const doneAt = complaint.verified_on ? (existing?.done_at ?? clock.now().toISOString()) : null;
  if (existing) {
    await db.updateTable('commitments').set({ description, due_on: complaint.follow_up_due_on, done_at: doneAt }).where('id', '=', existing.id).execute();
    return;
  }
  const { owner_id } = await db.selectFrom('accounts').select('owner_id').where('id', '=', complaint.account_id).executeTakeFirstOrThrow();
  await db
    .insertInto('commitments')
    .values({
      account_id: complaint.account_id,
      contact_id: complaint.contact_id,
      owner_id,
      description,
      due_on: complaint.follow_up_due_on,
      done_at: doneAt,
      source: 'complaint',
      touchpoint_id: null,
      departed_contact_id: null,
      playbook_step: null,
      complaint_id: complaint.id,
      created_at: clock.now().toISOString(),
    })
    .execute();
}

/** Whole days from one YYYY-MM-DD column to another. */
function daysBetween(db: DbOrTx, from: string, to: string): RawBuilder<number> {
  return isPostgres(db)
    ? sql<number>`(${sql.ref(to)}::date - ${sql.ref(from)}::date)`
    : sql<number>`cast(julianday(${sql.ref(to)}) - julianday(${sql.ref(from)}) as integer)`;
}

/** The median of a histogram of whole days; null when it is empty. */
export function medianOf(histogram: { days: number; count: number }[]): number | null {
  const sorted = histogram.map((row) => ({ days: Number(row.days), count: Number(row.count) })).sort((a, b) => a.days - b.days);
  const total = sorted.reduce((sum, row) => sum + row.count, 0);
  if (total === 0) return null;
  const valueAt = (index: number) => {
    let seen = 0;
    for (const row of sorted) if ((seen += row.count) > index) return row.days;
    return sorted[sorted.length - 1]!.days;
  };
  return (valueAt(Math.floor((total - 1) / 2)) + valueAt(Math.floor(total / 2))) / 2;
}

/**
 * What the complaints teach, over the accounts the viewer may see and the last few months (by the
 * day they were raised): counts per category per month, median days to acknowledge and to resolve,
 * the share of verified complaints where the customer was satisfied, and the issues that recur at
 * the same account. Five grouped queries; the medians come from day histograms, not raw rows.
 */
export async function complaintInsights(db: DbOrTx, clock: Clock, user: CurrentUser, months = 12) {
  const day = localToday(clock, user);
  const firstMonth = day.today.startOf('month').minus({ months: months - 1 });
  const monthList = Array.from({ length: months }, (_, index) => firstMonth.plus({ months: index }).toFormat('yyyy-MM'));
  const inScope = () =>
    db
      .selectFrom('complaints')
      .innerJoin('accounts', 'accounts.id', 'complaints.account_id')
      .where(accountVisibleTo(user))
      .where('complaints.raised_on', '>=', firstMonth.toISODate()!);
  const month = sql<string>`substr(complaints.raised_on, 1, 7)`;
  const histogram = (step: 'acknowledged_on' | 'resolved_on') => {
    const days = daysBetween(db, 'complaints.raised_on', `complaints.${step}`);
    return inScope()
      .select((eb) => [days.as('days'), eb.fn.countAll<number>().as('count')])
      .where(`complaints.${step}`, 'is not', null)
      .groupBy(days)
      .execute();
  };
  const [perMonth, acknowledgeDays, resolveDays, totals, recurring, categories] = await Promise.all([
    inScope()
      .select((eb) => ['complaints.category', month.as('month'), eb.fn.countAll<number>().as('count')])
      .groupBy(['complaints.category', month])
      .execute(),
    histogram('acknowledged_on'),
    histogram('resolved_on'),
    inScope()
      .select((eb) => [
        eb.fn.countAll<number>().as('total'),
        eb.fn.count<number>('complaints.verified_on').as('verified'),
        eb.fn.sum<number | null>(eb.case().when('complaints.satisfied', '=', 1).then(1).else(0).end()).as('satisfied'),
        eb.fn.sum<number | null>(eb.case().when('complaints.resolved_on', 'is', null).then(1).else(0).end()).as('unresolved'),
      ])
      .executeTakeFirstOrThrow(),
    inScope()
      .select((eb) => [
        'complaints.account_id',
        'accounts.name as account_name',
        'complaints.category',
        eb.fn.countAll<number>().as('count'),
        eb.fn.max('complaints.raised_on').as('last_raised_on'),
      ])
      .groupBy(['complaints.account_id', 'accounts.name', 'complaints.category'])
      .having((eb) => eb.fn.countAll(), '>', 1)
      .orderBy('count', 'desc')
      .orderBy('last_raised_on', 'desc')
      .limit(20)
      .execute(),
    listCategories(db, { includeRetired: true }),
  ]);

  const active = new Set(categories.filter((category) => category.active).map((category) => category.name));
  const names = [...new Set([...categories.map((category) => category.name), ...perMonth.map((row) => row.category)])];
  const countOf = new Map(perMonth.map((row) => [`${row.category} ${row.month}`, Number(row.count)]));
  const rows = names
    .map((category) => {
      const counts = monthList.map((m) => countOf.get(`${category} ${m}`) ?? 0);
      return { category, counts, total: counts.reduce((sum, n) => sum + n, 0) };
    })
    .filter((row) => row.total > 0 || active.has(row.category));
  const verified = Number(totals.verified);
  return {
    months: monthList,
    rows,
    monthTotals: monthList.map((_, index) => rows.reduce((sum, row) => sum + row.counts[index]!, 0)),
    total: Number(totals.total),
    unresolved: Number(totals.unresolved ?? 0),
    verified,
    satisfiedShare: verified > 0 ? Math.round((Number(totals.satisfied ?? 0) / verified) * 100) : null,
    medianDaysToAcknowledge: medianOf(acknowledgeDays),
    medianDaysToResolve: medianOf(resolveDays),
    recurring: recurring.map((row) => ({ ...row, count: Number(row.count) })),
  };
}

export function complaintToJson(complaint: Complaint) {
  return {
    id: complaint.id,
    account_id: complaint.account_id,
    contact_id: complaint.contact_id,
    category: complaint.category,
    issue: complaint.issue,
    raised_on: complaint.raised_on,
    acknowledged_on: complaint.acknowledged_on,
    acknowledged_by_id: complaint.acknowledged_by_id,
    resolution: complaint.resolution,
    response: complaint.response,
    resolved_on: complaint.resolved_on,
    resolved_by_id: complaint.resolved_by_id,
    follow_up_due_on: complaint.follow_up_due_on,
    verified_on: complaint.verified_on,
    verified_by_id: complaint.verified_by_id,
    satisfied: complaint.satisfied === null ? null : Boolean(complaint.satisfied),
    outcome: complaint.outcome,
    internal_notes: complaint.internal_notes,
    stage: complaint.stage,
    follow_up_overdue: complaint.follow_up_overdue,
    created_at: complaint.created_at,
    updated_at: complaint.updated_at,
  };
}
