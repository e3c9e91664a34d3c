import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { isOneOf } from '../db/dialect.js';
import { contactRolesColumn } from '../playbook/departure-columns.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { upcomingKeyDates } from '../contacts/key-dates.service.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { LocalDay, type RiskLevel, riskRuleByCode, scoreLevels } from '../risk/risk.rules.js';
import { type AccountWithRisk, assessAccounts } from '../risk/risk.service.js';
import type { CurrentUser } from '../users/users.service.js';
import { type IsoWeek, describeWeek, isoWeekOf, parseIsoWeek, previousWeek, sendMomentOf } from './iso-week.js';

// The weekly risk digest: what a sales manager should coach on this week, for their team's accounts
// (their reps' and their own). Everything here is data; digest.email.ts renders it and
// digest.delivery.ts sends it. Building one manager's digest takes a fixed number of queries
// (risk is assessed set-based), whatever the size of the team.

/** Longest list in any section; the rest is counted ("and 12 more") and linked. */
const listLimit = 50;
/** Key dates are shown for the seven days from the digest's day. */
const keyDateDays = 7;
/** A departure stays in view from this many days before the leaving day… */
const departureLookaheadDays = 60;
/** …until the recovery is complete, or this many days after they left. */
const departureLookbackDays = 90;
const keyRoles = ['decision_maker', 'boss', 'champion'] as const;

export interface DigestSettings {
  digest_day: number;
  digest_hour: number;
  digest_opt_out: number;
}

/** A manager as the digest sees them: who they are, where they live, and when they want it. */
export type DigestRecipient = CurrentUser & DigestSettings;

const recipientColumns = ['id', 'email', 'name', 'role', 'manager_id', 'time_zone', 'digest_day', 'digest_hour', 'digest_opt_out'] as const;

/** Every active manager, opted out or not (the scheduler and CLI skip those who opted out). */
export function listDigestRecipients(db: DbOrTx): Promise<DigestRecipient[]> {
  return db.selectFrom('users').select(recipientColumns).where('role', '=', 'manager').where('active', '=', 1).orderBy('name').orderBy('id').execute();
}

/** The manager whose digest the viewer may see: an admin any manager, a manager only themselves. */
export async function findDigestRecipient(db: DbOrTx, viewer: CurrentUser, managerId: number): Promise<DigestRecipient> {
  if (viewer.role !== 'admin' && viewer.id !== managerId) throw new NotFound('That manager');
  const manager = await db
    .selectFrom('users')
    .select(recipientColumns)
    .where('id', '=', managerId)
    .where('role', '=', 'manager')
    .where('active', '=', 1)
    .executeTakeFirst();
  if (!manager) throw new NotFound('That manager');
  return manager;
}


/** The week a digest is for: the named one, or the one the manager is in now, in their time zone. */
export function digestWeek(manager: Pick<DigestRecipient, 'time_zone'>, week: string | undefined, now: Date): IsoWeek {
  if (week === undefined) return isoWeekOf(now, manager.time_zone);
  const parsed = parseIsoWeek(week, manager.time_zone);
  if (!parsed) throw new ValidationFailed({ week: `There is no week ${week}` });
  return parsed;
}

interface LinkedAccount {
  account_id: number;
  account_name: string;
  url: string;
}

export interface DigestFlag {
  code: string;
  label: string;
  message: string;
}

export interface AccountAtRisk extends LinkedAccount {
  owner_id: number;
  owner_name: string;
  level: RiskLevel;
  score: number;
  flags: DigestFlag[];
  /** The top flag's next action: what to coach on first. */
  next_action: string;
}

export interface RiskChange extends LinkedAccount {
  owner_name: string;
  level: RiskLevel;
  score: number;
  previous_level: RiskLevel;
  previous_score: number;
  new_flags: string[];
  cleared_flags: string[];
}

/** A coffee planned with a decision-maker from an invitation: with whom, and its day in the reader's zone. */
export interface PlannedMeetingItem {
  contact_id: number;
  contact_name: string;
  on: string;
}

/** The risk clock's planned meeting as the emails carry it (the digest, the rep's week). */
export const plannedMeetingItem = (planned: { contact: { id: number; name: string }; on: string } | null): PlannedMeetingItem | null =>
  planned ? { contact_id: planned.contact.id, contact_name: planned.contact.name, on: planned.on } : null;

export interface OverdueMeeting extends LinkedAccount {
  contact_name: string;
  never_met: boolean;
  days_overdue: number;
  /** Already booked: the manager need not chase it. */
  planned: PlannedMeetingItem | null;
}

export interface Departure extends LinkedAccount {
  contact_id: number;
  contact_name: string;
  contact_url: string;
  roles: string[];
  owner_name: string;
  status: 'leaving' | 'left';
  /** The leaving day, or the day they left. */
  on: string;
  successor: { name: string; met: boolean } | null;
  playbook: { done: number; total: number } | null;
  /** The recovery's next step; null when no recovery is under way (e.g. a champion left). */
  next_action: string | null;
}

export interface LateItem extends LinkedAccount {
  id: number;
  description: string;
  owner_name: string;
  contact_name: string | null;
  due_on: string;
  /** Days past due as of the digest's day; 0 or less is due this week, not yet late. */
  days_late: number;
}

export interface Capped<T> {
  rows: T[];
  /** How many more there are than the rows listed. */
  more: number;
}

export interface RepSummary {
  user_id: number;
  name: string;
  accounts: number;
  at_risk: number;
  overdue_meetings: number;
  /** New accounts whose buying chain is still being mapped (level getting_started). */
  getting_started: number;
}

/** A type, not an interface, so it passes as a template context (which wants an index signature). */
export type Digest = {
  manager: { id: number; name: string; email: string; time_zone: string };
  week: { id: string; starts_on: string; ends_on: string; label: string };
  /** The moment the digest describes: now for the current week, else that week's send time. */
  as_of: string;
  today: string;
  subject: string;
  is_empty: boolean;
  accounts_at_risk: Capped<AccountAtRisk>;
  /** null when there is no snapshot of last week to compare with (the first week). */
  changes: { compared_with: string; riskier: RiskChange[]; recovered: RiskChange[] } | null;
  overdue_meetings: { owner_id: number; owner_name: string; meetings: OverdueMeeting[] }[];
  departures: Departure[];
  /** Per rep with any, how many accounts are still being mapped: said once, in one line. */
  getting_started: { owner_name: string; accounts: number }[];
  /** Contacts whose automatic reply or bounced mail says they may have left (open departure signals). */
  possible_departures: (LinkedAccount & { contact_id: number; contact_url: string; owner_name: string; message: string })[];
  late_commitments: Capped<LateItem>;
  complaint_follow_ups: Capped<LateItem>;
  key_dates: (LinkedAccount & { kind: string; on: string; days_away: number; years: number | null; contact_name: string | null; contact_url: string | null })[];
  reps: RepSummary[];
  links: { team: string; preview: string; settings: string };
};

/** One account's risk as kept for next week's comparison. */
export interface RiskSnapshot {
  account_id: number;
  score: number;
  level: RiskLevel;
  flags: string;
}

export interface BuildOptions {
  /** "2026-W48"; the manager's current week when absent. */
  week?: string;
  now: Date;
  baseUrl: string;
}

/**
 * One manager's digest for one ISO week, and the team's risk now (the week's snapshot, written when
 * the digest is sent). Thirteen queries, whatever the number of accounts.
 */
export async function buildDigest(db: DbOrTx, manager: DigestRecipient, options: BuildOptions): Promise<{ digest: Digest; snapshot: RiskSnapshot[] }> {
  const zone = manager.time_zone;
  const week = digestWeek(manager, options.week, options.now);
  const asOf = week.id === isoWeekOf(options.now, zone).id ? options.now : sendMomentOf(week, { day: manager.digest_day, hour: manager.digest_hour }).toJSDate();
  const day = new LocalDay({ now: asOf, zone });
  const today = day.isoDate;
  const weekEndsOn = week.end.minus({ days: 1 }).toISODate()!;
  const lastWeek = previousWeek(week);
  const viewer: CurrentUser = { id: manager.id, email: manager.email, name: manager.name, role: manager.role, manager_id: manager.manager_id, time_zone: zone };
  const link = (path: string) => `${options.baseUrl}${path}`;
  const accountLink = (row: { account_id: number; account_name: string }): LinkedAccount => ({
    account_id: row.account_id,
    account_name: row.account_name,
    url: link(`/accounts/${row.account_id}`),
  });
  const daysLate = (dueOn: string) => day.daysSinceDate(dueOn);

  // The team's accounts, assessed; every other section reads through their ids.
  const assessed = await assessAccounts(db, { visibleTo: viewer }, { now: asOf, zone });
  const teamAccountIds = assessed.map(({ account }) => account.id);
  const [members, lastSnapshots, departures, lateCommitments, followUps, keyDates] = await Promise.all([
    db
      .selectFrom('users')
      .select(['id', 'name'])
      .where('active', '=', 1)
      .where('manager_id', '=', manager.id)
      .execute(),
    db
      .selectFrom('risk_snapshots')
      .select(['account_id', 'score', 'level', 'flags'])
      .where('iso_week', '=', lastWeek.id)
      .where(isOneOf(db, 'account_id', teamAccountIds))
      .execute(),
    db
      .selectFrom('contacts')
      .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
      .innerJoin('users as owners', 'owners.id', 'accounts.owner_id')
      // Only playbook steps carry a departed contact; joining on it alone keeps to its index.
      .leftJoin('commitments', 'commitments.departed_contact_id', 'contacts.id')
      .leftJoin('contacts as successors', 'successors.id', 'contacts.replacement_contact_id')
      .select((eb) => [
        'contacts.id as contact_id',
        'contacts.name as contact_name',
        'contacts.status',
        'contacts.leaving_on',
        'contacts.left_on',
        'successors.name as successor_name',
        'successors.status as successor_status',
        'successors.last_outside_meeting_at as successor_met_at',
        'accounts.id as account_id',
        'accounts.name as account_name',
        'owners.name as owner_name',
        contactRolesColumn(db, eb),
        eb.fn.count<number>('commitments.id').as('steps'),
        eb.fn.sum<number | null>(eb.case().when('commitments.done_at', 'is not', null).then(1).else(0).end()).as('steps_done'),
      ])
      // Status first, then account: the (status, account_id) index answers both at once.
      .where('contacts.status', 'in', ['leaving', 'left'])
      .where(isOneOf(db, 'contacts.account_id', teamAccountIds))
      .where('accounts.archived', '=', 0)
      .where('contacts.archived', '=', 0)
      // In view from 60 days before the leaving day to 90 days after (those recovered are dropped below).
      .where((eb) =>
        eb.or([
          eb.and([eb('contacts.status', '=', 'leaving'), eb.or([eb('contacts.leaving_on', 'is', null), eb('contacts.leaving_on', '<=', day.isoDateIn(departureLookaheadDays))])]),
          eb.and([eb('contacts.status', '=', 'left'), eb('contacts.left_on', '>=', day.isoDateIn(-departureLookbackDays)), eb('contacts.left_on', '<=', weekEndsOn)]),
        ]),
      )
      // Key: they held a role that matters, or their departure started a recovery playbook.
      .where((eb) =>
        eb.or([
          eb.exists(eb.selectFrom('contact_roles as key_roles').select('key_roles.contact_id').whereRef('key_roles.contact_id', '=', 'contacts.id').where('key_roles.role', 'in', keyRoles)),
          eb.exists(eb.selectFrom('commitments as steps').select('steps.id').whereRef('steps.departed_contact_id', '=', 'contacts.id')),
        ]),
      )
      .groupBy(['contacts.id', 'accounts.id', 'owners.id', 'successors.id'])
      .orderBy(sql`coalesce(contacts.left_on, contacts.leaving_on)`)
      .orderBy('contacts.id')
      .limit(listLimit)
      .execute(),
    db
      .selectFrom('commitments')
      .innerJoin('accounts', 'accounts.id', 'commitments.account_id')
      .innerJoin('users as owners', 'owners.id', 'commitments.owner_id')
      .leftJoin('contacts', 'contacts.id', 'commitments.contact_id')
      .select([
        'commitments.id',
        'commitments.description',
        'commitments.due_on',
        'accounts.id as account_id',
        'accounts.name as account_name',
        'owners.name as owner_name',
        'contacts.name as contact_name',
        sql<number>`count(*) over ()`.as('total'),
      ])
      .where(isOneOf(db, 'commitments.account_id', teamAccountIds))
      .where('accounts.archived', '=', 0)
      .where('commitments.done_at', 'is', null)
      .where('commitments.due_on', '<', today)
      // A complaint's follow-up is listed with the complaints waiting for one, not twice.
      .where('commitments.source', '!=', 'complaint')
      .orderBy('commitments.due_on')
      .orderBy('commitments.id')
      .limit(listLimit)
      .execute(),
    db
      .selectFrom('complaints')
      .innerJoin('accounts', 'accounts.id', 'complaints.account_id')
      .innerJoin('users as owners', 'owners.id', 'accounts.owner_id')
      .leftJoin('contacts', 'contacts.id', 'complaints.contact_id')
      .select([
        'complaints.id',
        'complaints.issue as description',
        'complaints.follow_up_due_on as due_on',
        'accounts.id as account_id',
        'accounts.name as account_name',
        'owners.name as owner_name',
        'contacts.name as contact_name',
        sql<number>`count(*) over ()`.as('total'),
      ])
      .where(isOneOf(db, 'complaints.account_id', teamAccountIds))
      .where('accounts.archived', '=', 0)
      .where('complaints.verified_on', 'is', null)
      .where('complaints.follow_up_due_on', '<=', weekEndsOn)
      .orderBy('complaints.follow_up_due_on')
      .orderBy('complaints.id')
      .limit(listLimit)
      .execute(),
    upcomingKeyDates(db, { now: () => asOf }, viewer, { days: keyDateDays, limit: listLimit, accountIds: teamAccountIds }),
  ]);

  type LateRow = Omit<LateItem, 'url' | 'days_late' | 'due_on'> & { due_on: string | null; total: number };
  const capped = (rows: LateRow[]): Capped<LateItem> => ({
    rows: rows.map(({ total: _total, due_on, ...row }) => ({ ...row, ...accountLink(row), due_on: due_on!, days_late: daysLate(due_on!) })),
    more: Math.max(0, Number(rows[0]?.total ?? 0) - rows.length),
  });

  const atRisk = assessed.filter(({ risk }) => risk.level === 'at_risk' || risk.level === 'critical');
  // Each departure's recovery as the risk rules see it: who, how far, what next.
  const recoveryOf = new Map<number, { message: string; next_action: string }>();
  for (const { risk } of assessed)
    for (const flag of risk.flags) if (flag.code === 'recovery_in_progress' && flag.contact_id !== undefined) recoveryOf.set(flag.contact_id, flag);
  const lastWeekStarts = lastWeek.start.toISODate()!;
  // Someone who left stays listed while their recovery is under way; others (a champion) the week they left.
  const departuresInView = departures.filter(
    (row) => row.status === 'leaving' || recoveryOf.has(row.contact_id) || (row.left_on !== null && row.left_on >= lastWeekStarts),
  );
  const digest: Digest = {
    manager: { id: manager.id, name: manager.name, email: manager.email, time_zone: zone },
    week: { id: week.id, starts_on: week.start.toISODate()!, ends_on: weekEndsOn, label: describeWeek(week) },
    as_of: asOf.toISOString(),
    today,
    subject: '',
    is_empty: false,
    accounts_at_risk: {
      rows: atRisk.slice(0, listLimit).map(({ account, risk }) => ({
        ...accountLink({ account_id: account.id, account_name: account.name }),
        owner_id: account.owner_id,
        owner_name: account.owner_name,
        level: risk.level,
        score: risk.score,
        flags: risk.flags.map(({ code, label, message }) => ({ code, label, message })),
        next_action: risk.flags[0]?.next_action ?? '',
      })),
      more: Math.max(0, atRisk.length - listLimit),
    },
    changes: lastSnapshots.length > 0 ? { compared_with: lastWeek.id, ...changesSince(lastSnapshots, assessed, accountLink) } : null,
    overdue_meetings: overdueMeetingsByRep(assessed, accountLink),
    departures: departuresInView.map((row) => ({
      ...accountLink(row),
      contact_id: row.contact_id,
      contact_name: row.contact_name,
      contact_url: link(`/contacts/${row.contact_id}`),
      roles: row.roles ? row.roles.split(',').sort() : [],
      owner_name: row.owner_name,
      status: row.status as 'leaving' | 'left',
      on: (row.status === 'left' ? row.left_on : row.leaving_on)!,
      successor: row.successor_name && row.successor_status !== 'left' ? { name: row.successor_name, met: row.successor_met_at !== null } : null,
      playbook: Number(row.steps) > 0 ? { done: Number(row.steps_done ?? 0), total: Number(row.steps) } : null,
      next_action: recoveryOf.get(row.contact_id)?.next_action ?? null,
    })),
    getting_started: [],
    possible_departures: assessed
      .flatMap(({ account, risk }) =>
        risk.flags
          .filter((flag) => flag.code === 'possible_departure' && flag.contact_id !== undefined)
          .map((flag) => ({
            ...accountLink({ account_id: account.id, account_name: account.name }),
            contact_id: flag.contact_id!,
            contact_url: link(`/contacts/${flag.contact_id}`),
            owner_name: account.owner_name,
            message: flag.message,
          })),
      )
      .slice(0, listLimit),
    late_commitments: capped(lateCommitments),
    complaint_follow_ups: capped(followUps),
    key_dates: keyDates.map((keyDate) => ({
      ...accountLink(keyDate),
      kind: keyDate.kind,
      on: keyDate.on,
      days_away: keyDate.days_away,
      years: keyDate.years,
      contact_name: keyDate.contact_name,
      contact_url: keyDate.contact_id === null ? null : link(`/contacts/${keyDate.contact_id}`),
    })),
    reps: repSummaries(members, assessed),
    links: {
      team: link('/team'),
      preview: link(`/digest?${new URLSearchParams({ manager_id: String(manager.id), week: week.id })}`),
      settings: link('/settings'),
    },
  };
  digest.getting_started = digest.reps.filter((rep) => rep.getting_started > 0).map((rep) => ({ owner_name: rep.name, accounts: rep.getting_started }));
  digest.is_empty =
    digest.accounts_at_risk.rows.length === 0 &&
    digest.getting_started.length === 0 &&
    (digest.changes === null || (digest.changes.riskier.length === 0 && digest.changes.recovered.length === 0)) &&
    digest.overdue_meetings.length === 0 &&
    digest.departures.length === 0 &&
    digest.possible_departures.length === 0 &&
    digest.late_commitments.rows.length === 0 &&
    digest.complaint_follow_ups.rows.length === 0 &&
    digest.key_dates.length === 0;
  const atRiskCount = atRisk.length;
  digest.subject = `Team risk digest ${week.id} (${digest.week.label}): ${atRiskCount === 0 ? 'no accounts at risk' : `${atRiskCount} account${atRiskCount === 1 ? '' : 's'} at risk`}`;

  const snapshot = assessed.map(({ account, risk }) => ({
    account_id: account.id,
    score: risk.score,
    level: risk.level,
    flags: [...new Set(risk.flags.map((flag) => flag.code))].join(','),
  }));
  return { digest, snapshot };
}

/** The managers a batch run covers: everyone who has not opted out, or just the one named (even if they have). */
export async function chooseDigestRecipients(db: DbOrTx, managerEmail?: string): Promise<DigestRecipient[]> {
  const recipients = await listDigestRecipients(db);
  return managerEmail ? recipients.filter((manager) => manager.email === managerEmail) : recipients.filter((manager) => !manager.digest_opt_out);
}

/** Every chosen manager's digest: a fixed number of queries per manager, none per account. */
export async function buildAllDigests(db: DbOrTx, options: BuildOptions & { managerEmail?: string }) {
  const digests: { manager: DigestRecipient; digest: Digest }[] = [];
  for (const manager of await chooseDigestRecipients(db, options.managerEmail))
    digests.push({ manager, digest: (await buildDigest(db, manager, options)).digest });
  return digests;
}

/**
 * Keeps the team's risk for the week, once: the first digest of the week to be sent writes it and
 * later ones (a retry, a forced resend) keep the first, so next week compares against it.
 */
export async function recordRiskSnapshot(db: DbOrTx, week: string, snapshot: RiskSnapshot[], takenAt: Date) {
  // Well under SQLite's limit on bound parameters per statement.
  for (let start = 0; start < snapshot.length; start += 1000)
    await db
      .insertInto('risk_snapshots')
      .values(snapshot.slice(start, start + 1000).map((row) => ({ ...row, iso_week: week, taken_at: takenAt.toISOString() })))
      .onConflict((conflict) => conflict.columns(['iso_week', 'account_id']).doNothing())
      .execute();
}

const flagLabel = (code: string) => riskRuleByCode.get(code)?.label ?? code;
const levelRank = (level: string) => scoreLevels.indexOf(level as (typeof scoreLevels)[number]);

/** Riskier: up a level since last week's snapshot; recovered: down a level. Accounts new this week are not compared. */
function changesSince(
  lastWeek: { account_id: number; score: number; level: string; flags: string }[],
  assessed: AccountWithRisk[],
  accountLink: (row: { account_id: number; account_name: string }) => LinkedAccount,
) {
  const before = new Map(lastWeek.map((row) => [row.account_id, row]));
  const riskier: RiskChange[] = [];
  const recovered: RiskChange[] = [];
  for (const { account, risk } of assessed) {
    const previous = before.get(account.id);
    // An account still being mapped has no level to rise or fall from yet.
    if (!previous || levelRank(previous.level) < 0 || levelRank(risk.level) < 0 || levelRank(previous.level) === levelRank(risk.level)) continue;
    const nowCodes = new Set(risk.flags.map((flag) => flag.code));
    const thenCodes = new Set(previous.flags.split(',').filter(Boolean));
    const change: RiskChange = {
      ...accountLink({ account_id: account.id, account_name: account.name }),
      owner_name: account.owner_name,
      level: risk.level,
      score: risk.score,
      previous_level: previous.level as RiskLevel,
      previous_score: previous.score,
      new_flags: [...nowCodes].filter((code) => !thenCodes.has(code)).map(flagLabel),
      cleared_flags: [...thenCodes].filter((code) => !nowCodes.has(code)).map(flagLabel),
    };
    (levelRank(risk.level) > levelRank(previous.level) ? riskier : recovered).push(change);
  }
  recovered.sort((a, b) => b.previous_score - a.previous_score || a.account_name.localeCompare(b.account_name));
  return { riskier, recovered };
}

/** Per rep (by name), their accounts whose decision-maker meeting is overdue, most overdue first. */
function overdueMeetingsByRep(assessed: AccountWithRisk[], accountLink: (row: { account_id: number; account_name: string }) => LinkedAccount) {
  const byOwner = new Map<number, { owner_id: number; owner_name: string; meetings: OverdueMeeting[] }>();
  for (const { account, risk } of assessed) {
    const meeting = risk.decision_maker_meeting;
    if (!meeting || meeting.due_in_days >= 0) continue;
    const owner = byOwner.get(account.owner_id) ?? byOwner.set(account.owner_id, { owner_id: account.owner_id, owner_name: account.owner_name, meetings: [] }).get(account.owner_id)!;
    owner.meetings.push({
      ...accountLink({ account_id: account.id, account_name: account.name }),
      contact_name: meeting.contact.name,
      never_met: meeting.never_met,
      days_overdue: -meeting.due_in_days,
      planned: plannedMeetingItem(meeting.planned),
    });
  }
  for (const owner of byOwner.values()) owner.meetings.sort((a, b) => b.days_overdue - a.days_overdue || a.account_name.localeCompare(b.account_name));
  return [...byOwner.values()].sort((a, b) => a.owner_name.localeCompare(b.owner_name));
}

/** One line per rep, with accounts or not, so the manager sees everyone at once; the manager too if they own accounts. */
function repSummaries(members: { id: number; name: string }[], assessed: AccountWithRisk[]): RepSummary[] {
  const empty = { accounts: 0, at_risk: 0, overdue_meetings: 0, getting_started: 0 };
  const reps = new Map<number, RepSummary>(members.map((member) => [member.id, { user_id: member.id, name: member.name, ...empty }]));
  for (const { account, risk } of assessed) {
    const rep = reps.get(account.owner_id) ?? reps.set(account.owner_id, { user_id: account.owner_id, name: account.owner_name, ...empty }).get(account.owner_id)!;
    rep.accounts += 1;
    if (risk.level === 'at_risk' || risk.level === 'critical') rep.at_risk += 1;
    if (risk.level === 'getting_started') rep.getting_started += 1;
    if (risk.decision_maker_meeting && risk.decision_maker_meeting.due_in_days < 0) rep.overdue_meetings += 1;
  }
  return [...reps.values()].sort((a, b) => a.name.localeCompare(b.name));
}
