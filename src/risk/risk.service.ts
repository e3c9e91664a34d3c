import type { Clock } from '../clock.js';
import type { Database, DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { isOneOf } from '../db/dialect.js';
import type { ContactRole } from '../contacts/contacts.table.js';
import type { CurrentUser } from '../users/users.service.js';
import type { ExpressionBuilder } from 'kysely';
import {
  type AccountRisk,
  type AccountRiskInput,
  LocalDay,
  type OverdueItem,
  type RecoveryStep,
  type RiskClock,
  type RiskContact,
  assessAccount,
} from './risk.rules.js';
import { recalledRisk, rememberRisk, rememberedFor } from './risk-cache.js';

/** Which accounts to assess: given ids (already authorized), or all the user may see (optionally one owner's). */
export type AccountScope = { ids: number[] } | { visibleTo: CurrentUser; ownerId?: number };

export interface AccountWithRisk {
  account: { id: number; name: string; owner_id: number; owner_name: string; status: string; meeting_cadence_days: number };
  risk: AccountRisk;
}

/** The accounts of a scope, as a WHERE condition on `accounts`. */
export function accountsInScope(scope: AccountScope) {
  return (eb: ExpressionBuilder<Database, 'accounts'>) => {
    if ('ids' in scope) return eb('accounts.id', 'in', scope.ids.length > 0 ? scope.ids : [-1]);
    const conditions = [accountVisibleTo(scope.visibleTo)(eb), eb('accounts.archived', '=', 0)];
    if (scope.ownerId !== undefined) conditions.push(eb('accounts.owner_id', '=', scope.ownerId));
    return eb.and(conditions);
  };
}

/**
 * Stale accounts are assessed this many at a time: a team's list in one round, a company-wide
 * snapshot in rounds whose contacts and flags die young instead of filling the heap at once.
 */
const accountsPerRound = 5000;

/**
 * Risk for every account in scope, riskiest first, set-based: one query when every assessment is
 * remembered for the viewer's zone and day; otherwise, per round of up to 5,000 stale accounts,
 * seven more for their inputs (contacts with their next planned meeting, roles, late promises, late
 * complaint follow-ups, recovery steps, unresolved complaints, open departure signals) and the
 * writes that remember the fresh assessments. Holds every assessment in memory: for lists a person
 * reads whole (a team, a digest); dashboards page in the database instead (riskDashboard).
 */
export async function assessAccounts(db: DbOrTx, scope: AccountScope, clock: RiskClock): Promise<AccountWithRisk[]> {
  const today = new LocalDay(clock).isoDate;
  const accounts = await db
    .selectFrom('accounts')
    .innerJoin('users', 'users.id', 'accounts.owner_id')
    .leftJoin('account_risk', (join) => join.onRef('account_risk.account_id', '=', 'accounts.id').on('account_risk.time_zone', '=', clock.zone))
    .select([
      'accounts.id',
      'accounts.name',
      'accounts.owner_id',
      'users.name as owner_name',
      'accounts.status',
      'accounts.meeting_cadence_days',
      'accounts.created_at',
      'accounts.last_touchpoint_at',
      'accounts.risk_version',
      'account_risk.risk as cached_risk',
      'account_risk.local_day as cached_day',
      'account_risk.risk_version as cached_version',
    ])
    .where(accountsInScope(scope))
    .execute();

  const isFresh = (row: (typeof accounts)[number]) => row.cached_day === rememberedFor(today) && row.cached_version === row.risk_version;
  const computed = new Map<number, AccountRisk>();
  for await (const round of assessInRounds(db, accounts.filter((row) => !isFresh(row)), clock))
    for (const [id, risk] of round) computed.set(id, risk);
  return accounts
    .map((row) => ({
      account: { id: row.id, name: row.name, owner_id: row.owner_id, owner_name: row.owner_name, status: row.status, meeting_cadence_days: row.meeting_cadence_days },
      risk: computed.get(row.id) ?? recalledRisk(row.cached_risk!),
    }))
    // Accounts still being mapped come after the real risks, whatever their score.
    .sort((a, b) => onboardingLast(a) - onboardingLast(b) || b.risk.score - a.risk.score || a.account.name.localeCompare(b.account.name));
}

const onboardingLast = (row: AccountWithRisk) => (row.risk.level === 'getting_started' ? 1 : 0);

/**
 * Makes sure every account in scope has its assessment remembered for the viewer's zone and day,
 * assessing the stale ones in rounds; memory stays that of one round, whatever the scope.
 */
export async function rememberRiskInScope(db: DbOrTx, scope: AccountScope, clock: RiskClock): Promise<void> {
  const today = new LocalDay(clock).isoDate;
  const stale = await db
    .selectFrom('accounts')
    .leftJoin('account_risk', (join) => join.onRef('account_risk.account_id', '=', 'accounts.id').on('account_risk.time_zone', '=', clock.zone))
    .select(['accounts.id', 'accounts.meeting_cadence_days', 'accounts.created_at', 'accounts.last_touchpoint_at', 'accounts.risk_version'])
    .where(accountsInScope(scope))
    .where((eb) =>
      eb.or([eb('account_risk.account_id', 'is', null), eb('account_risk.local_day', '!=', rememberedFor(today)), eb('account_risk.risk_version', '!=', eb.ref('accounts.risk_version'))]),
    )
    .execute();
  for await (const _round of assessInRounds(db, stale, clock));
}

/** Assesses these accounts and remembers the assessments, a round at a time, yielding each round's. */
async function* assessInRounds(db: DbOrTx, stale: StaleAccount[], clock: RiskClock) {
  const today = new LocalDay(clock).isoDate;
  const inIdOrder = [...stale].sort((a, b) => a.id - b.id);
  for (let start = 0; start < inIdOrder.length; start += accountsPerRound) {
    const round = inIdOrder.slice(start, start + accountsPerRound);
    const assessed = await computeRisk(db, round, clock, today);
    await rememberRisk(
      db,
      clock.zone,
      today,
      round.map((row) => ({ account_id: row.id, risk_version: row.risk_version, risk: assessed.get(row.id)! })),
    );
    yield assessed;
  }
}

interface StaleAccount {
  id: number;
  meeting_cadence_days: number;
  created_at: string;
  last_touchpoint_at: string | null;
  risk_version: number;
}

/** What the rules read of a promise or playbook step: the same for both halves of the union below. */
const commitmentColumns = [
  'commitments.account_id',
  'commitments.description',
  'commitments.due_on',
  'commitments.contact_id',
  'contacts.name as contact_name',
  'commitments.departed_contact_id',
  'commitments.playbook_step as step',
  'commitments.done_at',
  'commitments.closed_reason',
  'commitments.source',
] as const;

/** Loads what the rules read for these accounts and assesses them. */
async function computeRisk(db: DbOrTx, stale: StaleAccount[], clock: RiskClock, today: string) {
  const accountIds = stale.map((account) => account.id);
  const startOfToday = new LocalDay(clock).today.toUTC().toISO()!;
  const [contacts, roles, commitments, complaints, departureSignals] = await Promise.all([
    db
      .selectFrom('contacts')
      .select([
        'id',
        'account_id',
        'name',
        'status',
        'started_in_role_on',
        'leaving_on',
        'left_on',
        'replacement_contact_id',
        'last_touch_at',
        'last_outside_meeting_at',
        'touchpoint_count',
        // The soonest meeting planned with them from the viewer's today on (by index on the contact).
        (eb) =>
          eb
            .selectFrom('planned_meeting_contacts')
            .innerJoin('planned_meetings', 'planned_meetings.id', 'planned_meeting_contacts.meeting_id')
            .select((inner) => inner.fn.min<string>('planned_meetings.starts_at').as('starts_at'))
            .whereRef('planned_meeting_contacts.contact_id', '=', 'contacts.id')
            .where('planned_meetings.status', '=', 'planned')
            .where('planned_meetings.starts_at', '>=', startOfToday)
            .where((inner) => inner.or([inner('planned_meetings.outside_office', 'is', null), inner('planned_meetings.outside_office', '!=', 0)]))
            .as('next_planned_meeting_at'),
      ])
      .where(isOneOf(db, 'account_id', accountIds))
      .where('archived', '=', 0)
      .execute(),
    db.selectFrom('contact_roles').select(['contact_id', 'role']).where(isOneOf(db, 'account_id', accountIds)).execute(),
    // Late promises other than playbook steps, and every step of the recovery playbooks (found
    // through who is leaving or left, by index): one statement.
    db
      .selectFrom('commitments')
      .leftJoin('contacts', 'contacts.id', 'commitments.contact_id')
      .select(commitmentColumns)
      .where(isOneOf(db, 'commitments.account_id', accountIds))
      .where('commitments.done_at', 'is', null)
      .where('commitments.due_on', '<', today)
      .where('commitments.departed_contact_id', 'is', null)
      .unionAll(
        db
          .selectFrom('commitments')
          .leftJoin('contacts', 'contacts.id', 'commitments.contact_id')
          .select(commitmentColumns)
          .where('commitments.departed_contact_id', 'in', (eb) =>
            eb.selectFrom('contacts as departed').select('departed.id').where('departed.status', 'in', ['leaving', 'left']).where(isOneOf(db, 'departed.account_id', accountIds)),
          ),
      )
      .orderBy('due_on')
      .execute(),
    // Complaints not yet verified whose follow-up is late, or not yet resolved at all.
    db
      .selectFrom('complaints')
      .leftJoin('contacts', 'contacts.id', 'complaints.contact_id')
      .select([
        'complaints.account_id',
        'complaints.issue as description',
        'complaints.follow_up_due_on as due_on',
        'complaints.raised_on',
        'complaints.acknowledged_on',
        'complaints.resolved_on',
        'complaints.contact_id',
        'contacts.name as contact_name',
      ])
      .where(isOneOf(db, 'complaints.account_id', accountIds))
      .where('complaints.verified_on', 'is', null)
      .where((eb) => eb.or([eb('complaints.follow_up_due_on', '<', today), eb('complaints.resolved_on', 'is', null)]))
      .orderBy('complaints.raised_on')
      .execute(),
    db
      .selectFrom('departure_signals')
      .select(['account_id', 'contact_id', 'kind', 'received_at', 'excerpt'])
      .where(isOneOf(db, 'account_id', accountIds))
      .where('status', '=', 'open')
      .orderBy('received_at', 'desc')
      .execute(),
  ]);

  // Each row becomes its RiskContact in place: a company-wide pass builds a million of them.
  const riskContacts = new Map<number, RiskContact & { account_id: number }>();
  for (const row of contacts) riskContacts.set(row.id, Object.assign(row, { roles: [] as ContactRole[] }));
  for (const row of roles) riskContacts.get(row.contact_id)?.roles.push(row.role as ContactRole);
  const contactsOf = groupBy([...riskContacts.values()], (contact) => contact.account_id);
  // A complaint's follow-up is late under its own rule (complaint_follow_up_overdue), not twice.
  const commitmentsOf = groupBy(
    commitments.filter((row) => row.done_at === null && row.due_on < today && row.source !== 'complaint'),
    (row) => row.account_id,
  );
  const stepsOf = groupBy(
    commitments.filter((row) => row.departed_contact_id !== null),
    (row) => row.account_id,
  );
  const complaintsOf = groupBy(
    complaints.filter((row) => row.due_on !== null && row.due_on < today),
    (row) => row.account_id,
  );
  const openComplaintsOf = groupBy(
    complaints.filter((row) => row.resolved_on === null),
    (row) => row.account_id,
  );
  const signalsOf = groupBy(departureSignals, (row) => row.account_id);
  const assessed = new Map<number, AccountRisk>();
  for (const account of stale) {
    const input: AccountRiskInput = {
      account: { id: account.id, meeting_cadence_days: account.meeting_cadence_days, created_at: account.created_at },
      contacts: contactsOf.get(account.id) ?? [],
      last_touchpoint_at: account.last_touchpoint_at,
      overdue_commitments: (commitmentsOf.get(account.id) ?? []) as OverdueItem[],
      overdue_complaint_follow_ups: (complaintsOf.get(account.id) ?? []) as OverdueItem[],
      recovery_steps: (stepsOf.get(account.id) ?? []) as RecoveryStep[],
      open_complaints: openComplaintsOf.get(account.id) ?? [],
      departure_signals: signalsOf.get(account.id) ?? [],
    };
    assessed.set(account.id, assessAccount(input, clock));
  }
  return assessed;
}

function groupBy<T, K>(rows: T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/** Risk of one account the caller has already been authorized for. */
export async function assessOneAccount(db: DbOrTx, accountId: number, clock: RiskClock): Promise<AccountRisk> {
  const [row] = await assessAccounts(db, { ids: [accountId] }, clock);
  if (!row) throw new Error(`account ${accountId} vanished while assessing its risk`);
  return row.risk;
}

export const riskClockFor = (clock: Clock, user: Pick<CurrentUser, 'time_zone'>): RiskClock => ({ now: clock.now(), zone: user.time_zone });

export function riskToJson(risk: AccountRisk) {
  return {
    score: risk.score,
    level: risk.level,
    flags: risk.flags.map((flag) => ({
      code: flag.code,
      severity: flag.severity,
      message: flag.message,
      next_action: flag.next_action,
      ...(flag.contact_id !== undefined ? { contact_id: flag.contact_id } : {}),
    })),
    decision_maker_meeting: risk.decision_maker_meeting && {
      contact_id: risk.decision_maker_meeting.contact.id,
      last_met_at: risk.decision_maker_meeting.last_met_at,
      cadence_days: risk.decision_maker_meeting.cadence_days,
      due_on: risk.decision_maker_meeting.due_on,
      due_in_days: risk.decision_maker_meeting.due_in_days,
      planned: risk.decision_maker_meeting.planned && {
        contact_id: risk.decision_maker_meeting.planned.contact.id,
        starts_at: risk.decision_maker_meeting.planned.starts_at,
        on: risk.decision_maker_meeting.planned.on,
        in_time: risk.decision_maker_meeting.planned.in_time,
      },
    },
    bus_factor: risk.warm_contacts.length,
    warm_contacts: risk.warm_contacts,
  };
}
