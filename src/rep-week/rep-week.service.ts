import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { isOneOf } from '../db/dialect.js';
import { contactRolesColumn, nextRecoveryStepColumn } from '../playbook/departure-columns.js';
import { upcomingKeyDates } from '../contacts/key-dates.service.js';
import { type PlannedMeetingItem, type RiskSnapshot, digestWeek, plannedMeetingItem } from '../digest/digest.service.js';
import { describeWeek, isoWeekOf, previousWeek, sendMomentOf } from '../digest/iso-week.js';
import { LocalDay, type RiskLevel, riskLevels, riskRuleByCode } from '../risk/risk.rules.js';
import { assessAccounts } from '../risk/risk.service.js';
import type { CurrentUser } from '../users/users.service.js';

// The rep's week: what one person has to do this week on the accounts they own, each item linked
// to where it is done. Everything here is data; rep-week.email.ts renders it, rep-week.delivery.ts
// sends it on Monday morning. A fixed number of queries, whatever the number of accounts.

/** Longest list in any section; the pages behind the links show the rest. */
export const sectionLimit = 50;
const keyRoles = ['decision_maker', 'boss'] as const;

export interface WeekEmailSettings {
  week_email_day: number;
  week_email_hour: number;
  week_email_opt_out: number;
}

/** Someone who gets their week by email: who they are, where they live, and when they want it. */
export type RepWeekRecipient = CurrentUser & WeekEmailSettings;

const recipientColumns = ['id', 'email', 'name', 'role', 'manager_id', 'time_zone', 'week_email_day', 'week_email_hour', 'week_email_opt_out'] as const;

/** Every active rep, and every manager or admin who owns accounts; opted out or not (the scheduler skips those). */
export function listRepWeekRecipients(db: DbOrTx): Promise<RepWeekRecipient[]> {
  return db
    .selectFrom('users')
    .select(recipientColumns)
    .where('active', '=', 1)
    .where((eb) =>
      eb.or([
        eb('role', '=', 'rep'),
        eb.exists(eb.selectFrom('accounts').select('accounts.id').whereRef('accounts.owner_id', '=', 'users.id').where('accounts.archived', '=', 0)),
      ]),
    )
    .orderBy('name')
    .orderBy('id')
    .execute();
}

/** The signed-in user with their week settings. */
export function findRepWeekRecipient(db: DbOrTx, userId: number): Promise<RepWeekRecipient> {
  return db.selectFrom('users').select(recipientColumns).where('id', '=', userId).executeTakeFirstOrThrow();
}


/** What every item names: its account, the contact if there is one, and where it is done. */
export interface WeekItem {
  account_id: number;
  account_name: string;
  contact_id: number | null;
  contact_name: string | null;
  /** Where it is done, absolute. */
  url: string;
}

export interface PromiseItem extends WeekItem {
  commitment_id: number;
  description: string;
  due_on: string;
  /** Days past due as of the week's day; 0 or less: due this week, not late yet. */
  days_late: number;
  /** A step of a recovery playbook rather than a promise made in a meeting or by hand. */
  playbook_step: boolean;
}

export interface MeetingItem extends WeekItem {
  due_on: string;
  /** Negative: days until due; positive: days overdue. */
  days_overdue: number;
  never_met: boolean;
  /** The coffee already planned with a decision-maker (from an invitation), if any. */
  planned: PlannedMeetingItem | null;
  preferred_channel: string | null;
  preferred_time: string | null;
}

export interface KeyDateItem extends WeekItem {
  kind: string;
  on: string;
  years: number | null;
  preferred_channel: string | null;
  preferred_time: string | null;
}

export interface FollowUpItem extends WeekItem {
  complaint_id: number;
  issue: string;
  due_on: string;
  days_late: number;
}

export interface DepartureItem extends WeekItem {
  roles: string[];
  status: 'leaving' | 'left';
  /** The leaving day, or the day they left. */
  on: string | null;
  successor: { contact_id: number; name: string } | null;
  playbook: { done: number; total: number; next_step: string | null };
}

export interface RiskierItem extends WeekItem {
  level: RiskLevel;
  score: number;
  previous_level: RiskLevel;
  previous_score: number;
  new_flags: string[];
  next_action: string | null;
}

/** A type, not an interface, so it passes as a template context. */
export type RepWeek = {
  user: { id: number; name: string; email: string; time_zone: string };
  week: { id: string; starts_on: string; ends_on: string; label: string };
  /** The moment it describes: now for the current week, else that week's send time. */
  as_of: string;
  today: string;
  subject: string;
  is_quiet: boolean;
  sections: {
    promises: PromiseItem[];
    decision_maker_meetings: MeetingItem[];
    key_dates: KeyDateItem[];
    complaint_follow_ups: FollowUpItem[];
    departures: DepartureItem[];
    riskier_accounts: RiskierItem[];
  };
  links: { week: string; accounts: string; settings: string };
};

export interface RepWeekOptions {
  /** "2026-W48"; the recipient's current week when absent. */
  week?: string;
  now: Date;
  baseUrl: string;
}

const levelRank = (level: string) => riskLevels.indexOf(level as RiskLevel);

/**
 * One person's week, for the accounts they own, and those accounts' risk now (the week's snapshot,
 * kept when the email is sent so next week can say what got riskier). Eight queries.
 */
export async function buildRepWeek(db: DbOrTx, recipient: RepWeekRecipient, options: RepWeekOptions): Promise<{ repWeek: RepWeek; snapshot: RiskSnapshot[] }> {
  const zone = recipient.time_zone;
  const week = digestWeek(recipient, options.week, options.now);
  const asOf = week.id === isoWeekOf(options.now, zone).id ? options.now : sendMomentOf(week, { day: recipient.week_email_day, hour: recipient.week_email_hour }).toJSDate();
  const day = new LocalDay({ now: asOf, zone });
  const today = day.isoDate;
  const weekEndsOn = week.end.minus({ days: 1 }).toISODate()!;
  const lastWeek = previousWeek(week);
  const viewer: CurrentUser = { id: recipient.id, email: recipient.email, name: recipient.name, role: recipient.role, manager_id: recipient.manager_id, time_zone: zone };
  const link = (path: string) => `${options.baseUrl}${path}`;

  // Their own accounts, assessed; every other section reads through their ids.
  const assessed = await assessAccounts(db, { visibleTo: viewer, ownerId: recipient.id }, { now: asOf, zone });
  const accountIds = assessed.map(({ account }) => account.id);
  const meetings = assessed.flatMap(({ account, risk }) => {
    const meeting = risk.decision_maker_meeting;
    return meeting && meeting.due_on <= weekEndsOn ? [{ account, meeting }] : [];
  });
  const remainingDays = Math.max(1, 1 - day.daysSinceDate(weekEndsOn));

  const [promises, followUps, departures, lastSnapshots, meetingContacts, keyDates] = await Promise.all([
    db
      .selectFrom('commitments')
      .innerJoin('accounts', 'accounts.id', 'commitments.account_id')
      .leftJoin('contacts', 'contacts.id', 'commitments.contact_id')
      .select([
        'commitments.id',
        'commitments.description',
        'commitments.due_on',
        'commitments.source',
        'commitments.contact_id',
        'contacts.name as contact_name',
        'accounts.id as account_id',
        'accounts.name as account_name',
      ])
      .where(isOneOf(db, 'commitments.account_id', accountIds))
      .where('commitments.done_at', 'is', null)
      .where('commitments.due_on', '<=', weekEndsOn)
      .orderBy('commitments.due_on')
      .orderBy('commitments.id')
      .limit(sectionLimit)
      .execute(),
    db
      .selectFrom('complaints')
      .innerJoin('accounts', 'accounts.id', 'complaints.account_id')
      .leftJoin('contacts', 'contacts.id', 'complaints.contact_id')
      .select([
        'complaints.id',
        'complaints.issue',
        'complaints.follow_up_due_on',
        'complaints.contact_id',
        'contacts.name as contact_name',
        'accounts.id as account_id',
        'accounts.name as account_name',
      ])
      .where(isOneOf(db, 'complaints.account_id', accountIds))
      .where('complaints.verified_on', 'is', null)
      .where('complaints.follow_up_due_on', '<=', weekEndsOn)
      .orderBy('complaints.follow_up_due_on')
      .orderBy('complaints.id')
      .limit(sectionLimit)
      .execute(),
    db
      .selectFrom('contacts')
      .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
      .leftJoin('contacts as successors', 'successors.id', 'contacts.replacement_contact_id')
      .select((eb) => [
        'contacts.id as contact_id',
        'contacts.name as contact_name',
        'contacts.status',
        'contacts.leaving_on',
        'contacts.left_on',
        'successors.id as successor_id',
        'successors.name as successor_name',
        'accounts.id as account_id',
        'accounts.name as account_name',
        contactRolesColumn(db, eb),
        eb.selectFrom('commitments as steps').select((inner) => inner.fn.countAll<number>().as('n')).whereRef('steps.departed_contact_id', '=', 'contacts.id').as('steps'),
        eb
          .selectFrom('commitments as steps')
          .select((inner) => inner.fn.countAll<number>().as('n'))
          .whereRef('steps.departed_contact_id', '=', 'contacts.id')
          .where('steps.done_at', 'is not', null)
          .as('steps_done'),
        nextRecoveryStepColumn(eb, 'next_step'),
      ])
      // Status first, then account: the (status, account_id) index answers both at once.
      .where('contacts.status', 'in', ['leaving', 'left'])
      .where(isOneOf(db, 'contacts.account_id', accountIds))
      .where('contacts.archived', '=', 0)
      // Everyone still leaving; those who left, from last Monday on.
      .where((eb) => eb.or([eb('contacts.status', '=', 'leaving'), eb('contacts.left_on', '>=', lastWeek.start.toISODate()!)]))
      .where((eb) =>
        eb.exists(eb.selectFrom('contact_roles as key_roles').select('key_roles.contact_id').whereRef('key_roles.contact_id', '=', 'contacts.id').where('key_roles.role', 'in', keyRoles)),
      )
      .orderBy(sql`coalesce(contacts.left_on, contacts.leaving_on)`)
      .orderBy('contacts.id')
      .limit(sectionLimit)
      .execute(),
    db
      .selectFrom('risk_snapshots')
      .select(['account_id', 'score', 'level', 'flags'])
      .where('iso_week', '=', lastWeek.id)
      .where(isOneOf(db, 'account_id', accountIds))
      .execute(),
    db
      .selectFrom('contacts')
      .select(['id', 'preferred_channel', 'preferred_time'])
      .where(isOneOf(db, 'id', meetings.map(({ meeting }) => meeting.contact.id)))
      .execute(),
    upcomingKeyDates(db, { now: () => asOf }, viewer, { days: remainingDays, limit: sectionLimit, accountIds }),
  ]);

  const preferences = new Map(meetingContacts.map((row) => [row.id, row]));
  const before = new Map(lastSnapshots.map((row) => [row.account_id, row]));
  const riskier: RiskierItem[] = assessed.flatMap(({ account, risk }) => {
    const previous = before.get(account.id);
    if (!previous || levelRank(previous.level) < 0 || levelRank(risk.level) <= levelRank(previous.level)) return [];
    const thenCodes = new Set(previous.flags.split(',').filter(Boolean));
    const newFlags = risk.flags.filter((flag) => !thenCodes.has(flag.code));
    return [
      {
        account_id: account.id,
        account_name: account.name,
        contact_id: newFlags[0]?.contact_id ?? null,
        contact_name: null,
        url: link(`/accounts/${account.id}`),
        level: risk.level,
        score: risk.score,
        previous_level: previous.level as RiskLevel,
        previous_score: previous.score,
        new_flags: [...new Set(newFlags.map((flag) => riskRuleByCode.get(flag.code)?.label ?? flag.code))],
        // The most severe flag's next action: what to do first.
        next_action: risk.flags[0]?.next_action ?? null,
      },
    ];
  });

  const sections: RepWeek['sections'] = {
    promises: promises.map((row) => ({
      account_id: row.account_id,
      account_name: row.account_name,
      contact_id: row.contact_id,
      contact_name: row.contact_name,
      url: link(`/accounts/${row.account_id}/commitments`),
      commitment_id: row.id,
      description: row.description,
      due_on: row.due_on,
      days_late: day.daysSinceDate(row.due_on),
      playbook_step: row.source === 'playbook',
    })),
    decision_maker_meetings: meetings
      .map(({ account, meeting }) => ({
        account_id: account.id,
        account_name: account.name,
        contact_id: meeting.contact.id,
        contact_name: meeting.contact.name,
        // Logging the meeting is what moves its clock.
        url: link(`/accounts/${account.id}/touchpoints/new?contact=${meeting.contact.id}`),
        due_on: meeting.due_on,
        days_overdue: -meeting.due_in_days,
        never_met: meeting.never_met,
        planned: plannedMeetingItem(meeting.planned),
        preferred_channel: preferences.get(meeting.contact.id)?.preferred_channel ?? null,
        preferred_time: preferences.get(meeting.contact.id)?.preferred_time ?? null,
      }))
      .sort((a, b) => a.due_on.localeCompare(b.due_on) || a.account_name.localeCompare(b.account_name))
      .slice(0, sectionLimit),
    key_dates: keyDates.map((keyDate) => ({
      account_id: keyDate.account_id,
      account_name: keyDate.account_name,
      contact_id: keyDate.contact_id,
      contact_name: keyDate.contact_name,
      url: link(keyDate.contact_id === null ? `/accounts/${keyDate.account_id}` : `/contacts/${keyDate.contact_id}`),
      kind: keyDate.kind,
      on: keyDate.on,
      years: keyDate.years,
      preferred_channel: keyDate.preferred_channel,
      preferred_time: keyDate.preferred_time,
    })),
    complaint_follow_ups: followUps.map((row) => ({
      account_id: row.account_id,
      account_name: row.account_name,
      contact_id: row.contact_id,
      contact_name: row.contact_name,
      url: link(`/complaints/${row.id}`),
      complaint_id: row.id,
      issue: row.issue,
      due_on: row.follow_up_due_on!,
      days_late: day.daysSinceDate(row.follow_up_due_on!),
    })),
    departures: departures.map((row) => ({
      account_id: row.account_id,
      account_name: row.account_name,
      contact_id: row.contact_id,
      contact_name: row.contact_name,
      url: link(`/contacts/${row.contact_id}/departure`),
      roles: row.roles ? row.roles.split(',').sort() : [],
      status: row.status as 'leaving' | 'left',
      on: row.status === 'left' ? row.left_on : row.leaving_on,
      successor: row.successor_id === null ? null : { contact_id: row.successor_id, name: row.successor_name! },
      playbook: { done: Number(row.steps_done ?? 0), total: Number(row.steps ?? 0), next_step: row.next_step ?? null },
    })),
    riskier_accounts: riskier.sort((a, b) => b.score - a.score || a.account_name.localeCompare(b.account_name)).slice(0, sectionLimit),
  };
  const isQuiet = Object.values(sections).every((items) => items.length === 0);
  const toDo = sections.promises.length + sections.decision_maker_meetings.length + sections.complaint_follow_ups.length;
  const repWeek: RepWeek = {
    user: { id: recipient.id, name: recipient.name, email: recipient.email, time_zone: zone },
    week: { id: week.id, starts_on: week.start.toISODate()!, ends_on: weekEndsOn, label: describeWeek(week) },
    as_of: asOf.toISOString(),
    today,
    subject: `Your week ${week.id} (${describeWeek(week)}): ${isQuiet ? 'a quiet week' : toDo === 0 ? 'people to notice' : `${toDo} thing${toDo === 1 ? '' : 's'} to do`}`,
    is_quiet: isQuiet,
    sections,
    links: { week: link(`/week?week=${week.id}`), accounts: link('/accounts'), settings: link('/settings') },
  };
  const snapshot = assessed.map(({ account, risk }) => ({
    account_id: account.id,
    score: risk.score,
    level: risk.level,
    flags: [...new Set(risk.flags.map((flag) => flag.code))].join(','),
  }));
  return { repWeek, snapshot };
}
