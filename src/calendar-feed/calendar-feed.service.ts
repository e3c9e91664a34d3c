import { randomBytes } from 'node:crypto';
import ical, { type ICalCalendar, ICalEventRepeatingFreq } from 'ical-generator';
import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { isOneOf } from '../db/dialect.js';
import { formatDay } from '../digest/digest.helpers.js';
import { LocalDay, plannedMeetingText } from '../risk/risk.rules.js';
import { assessAccounts } from '../risk/risk.service.js';
import { hashToken } from '../users/tokens.js';
import type { CurrentUser } from '../users/users.service.js';

// A private calendar address per user: /calendar/<secret>.ics, readable without a session by the
// calendar app it is pasted into. Only a hash of the secret is kept; making a new address replaces
// the hash, so the old address stops working at once.
//
// The feed has the dated work on the accounts the user owns (a manager's own, not their team's):
// each account's next decision-maker meeting (on its due day, or on the day of the coffee already
// planned from an invitation), open promises and recovery-playbook steps, complaint
// follow-ups, and yearly birthdays and anniversaries. Each event's UID is derived from what it is
// about, never from its date, so a calendar moves an event whose date changed instead of adding a
// second one; done items are simply absent. Dates are all-day events on the user's own calendar.

/** Dated events from a month back to a year ahead: enough to plan, bounded in size. */
const windowDaysBack = 30;
const windowDaysAhead = 365;
/** At most this many rows per kind of event. */
const rowsPerKind = 5000;
const uidDomain = 'buychain';

/** Makes a new private address for the user, revoking any previous one; returns its secret. */
export async function createCalendarFeed(db: DbOrTx, clock: Clock, userId: number): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  const values = { secret_hash: hashToken(secret), created_at: clock.now().toISOString() };
  await db
    .insertInto('calendar_feeds')
    .values({ user_id: userId, ...values })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet(values))
    .execute();
  return secret;
}

/** Stops the address working, without a new one. */
export async function revokeCalendarFeed(db: DbOrTx, userId: number): Promise<void> {
  await db.deleteFrom('calendar_feeds').where('user_id', '=', userId).execute();
}

/** When the user's current address was made, if they have one (the address itself is never kept). */
export async function findCalendarFeed(db: DbOrTx, userId: number) {
  return db.selectFrom('calendar_feeds').select('created_at').where('user_id', '=', userId).executeTakeFirst();
}

export const calendarFeedPath = (secret: string) => `/calendar/${secret}.ics`;

/** The active user a secret belongs to, or undefined for an unknown, revoked or malformed one. */
export function findFeedOwner(db: DbOrTx, secret: string): Promise<CurrentUser | undefined> {
  return db
    .selectFrom('calendar_feeds')
    .innerJoin('users', 'users.id', 'calendar_feeds.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.role', 'users.manager_id', 'users.time_zone'])
    .where('calendar_feeds.secret_hash', '=', hashToken(secret))
    .where('users.active', '=', 1)
    .executeTakeFirst();
}

/** "Send pricing · Harbor Dental". */
const about = (text: string, accountName: string) => `${text} · ${accountName}`;

/** This year's occurrence of a "MM-DD" (29 February: the last day of February), from the year given. */
function yearlyStart(monthDay: string, year: number, zone: string) {
  const [month, day] = monthDay.split('-').map(Number) as [number, number];
  const leapDay = month === 2 && day === 29;
  const start = DateTime.fromObject({ year, month, day: leapDay ? 1 : day }, { zone });
  return {
    start: leapDay ? start.endOf('month').startOf('day') : start,
    // Every year on the day; a leap-day date on the last day of February in other years.
    repeating: leapDay ? { freq: ICalEventRepeatingFreq.YEARLY, byMonth: [2], byMonthDay: [-1] } : { freq: ICalEventRepeatingFreq.YEARLY },
  };
}

/** The user's calendar as an RFC 5545 document: a fixed handful of queries, none per account. */
export async function buildCalendarFeed(db: DbOrTx, user: CurrentUser, { now, baseUrl }: { now: Date; baseUrl: string }): Promise<ICalCalendar> {
  const zone = user.time_zone;
  const today = new LocalDay({ now, zone });
  const from = today.isoDateIn(-windowDaysBack);
  const to = today.isoDateIn(windowDaysAhead);
  const thisYear = DateTime.fromJSDate(now).setZone(zone).year;
  const day = (date: string) => DateTime.fromISO(date, { zone });
  const link = (path: string) => `${baseUrl}${path}`;

  const assessed = await assessAccounts(db, { visibleTo: user, ownerId: user.id }, { now, zone });
  const accountIds = assessed.map(({ account }) => account.id);
  const contactsAt = () =>
    db
      .selectFrom('contacts')
      .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
      .where(isOneOf(db, 'contacts.account_id', accountIds))
      .where('contacts.archived', '=', 0)
      .where('contacts.status', '!=', 'left');
  const [commitments, followUps, birthdays, roleAnniversaries, customerAnniversaries, decisionMakers] = await Promise.all([
    db
      .selectFrom('commitments')
      .innerJoin('accounts', 'accounts.id', 'commitments.account_id')
      .leftJoin('contacts', 'contacts.id', 'commitments.contact_id')
      .select(['commitments.id', 'commitments.description', 'commitments.due_on', 'commitments.source', 'accounts.id as account_id', 'accounts.name as account_name', 'contacts.name as contact_name'])
      .where(isOneOf(db, 'commitments.account_id', accountIds))
      .where('commitments.done_at', 'is', null)
      .where('commitments.due_on', '>=', from)
      .where('commitments.due_on', '<=', to)
      .orderBy('commitments.due_on')
      .limit(rowsPerKind)
      .execute(),
    db
      .selectFrom('complaints')
      .innerJoin('accounts', 'accounts.id', 'complaints.account_id')
      .leftJoin('contacts', 'contacts.id', 'complaints.contact_id')
      .select(['complaints.id', 'complaints.issue', 'complaints.follow_up_due_on', 'accounts.id as account_id', 'accounts.name as account_name', 'contacts.name as contact_name'])
      .where(isOneOf(db, 'complaints.account_id', accountIds))
      .where('complaints.verified_on', 'is', null)
      .where('complaints.follow_up_due_on', '>=', from)
      .where('complaints.follow_up_due_on', '<=', to)
      .orderBy('complaints.follow_up_due_on')
      .limit(rowsPerKind)
      .execute(),
    contactsAt()
      .select(['contacts.id', 'contacts.name', 'contacts.birthday as date', 'accounts.name as account_name'])
      .where('contacts.birthday', 'is not', null)
      .orderBy('contacts.id')
      .limit(rowsPerKind)
      .execute(),
    contactsAt()
      .select(['contacts.id', 'contacts.name', 'contacts.started_in_role_on as date', 'accounts.name as account_name'])
      .where('contacts.started_in_role_on', 'is not', null)
      .orderBy('contacts.id')
      .limit(rowsPerKind)
      .execute(),
    db
      .selectFrom('accounts')
      .select(['id', 'name', 'customer_since as date'])
      .where(isOneOf(db, 'id', accountIds))
      .where('status', '=', 'customer')
      .where('customer_since', 'is not', null)
      .orderBy('id')
      .limit(rowsPerKind)
      .execute(),
    db
      .selectFrom('contacts')
      .select(['id', 'preferred_channel', 'preferred_time'])
      .where(isOneOf(db, 'id', assessed.flatMap(({ risk }) => (risk.decision_maker_meeting ? [risk.decision_maker_meeting.contact.id] : []))))
      .execute(),
  ]);

  const calendar = ical({ name: `Buychain · ${user.name}`, prodId: { company: 'Buychain', product: 'Buychain', language: 'EN' }, ttl: 3600 });
  // All-day events carry no zone; this tells calendar apps which one the dates were worked out in.
  calendar.x([{ key: 'X-WR-TIMEZONE', value: zone }]);
  const event = (uid: string, date: DateTime, summary: string, url: string, description?: string) =>
    calendar.createEvent({ id: `${uid}@${uidDomain}`, start: date, allDay: true, summary, url, description: description ?? null, stamp: now });

  const preferences = new Map(decisionMakers.map((row) => [row.id, row]));
  for (const { account, risk } of assessed) {
    const meeting = risk.decision_maker_meeting;
    if (!meeting) continue;
    const uid = `decision-maker-meeting-${account.id}`;
    const lastMet = meeting.last_met_at ? `Last met outside the office on ${DateTime.fromISO(meeting.last_met_at).setZone(zone).toFormat('d LLL yyyy')}.` : 'Never met outside the office yet.';
    const planned = meeting.planned;
    if (planned) {
      // Already booked: nothing left to chase on the due day, so the same event moves to the day of
      // the coffee, where what is left to do is say afterwards that it was held outside the office.
      if (planned.on > to) continue;
      const sentence = plannedMeetingText(planned);
      event(
        uid,
        day(planned.on),
        about(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}`, account.name),
        link(`/accounts/${account.id}#planned-meetings`),
        `Due ${formatDay(meeting.due_on)}. ${lastMet} Afterwards, answer “Outside the office” on it on the account page: that restarts the clock.`,
      );
      continue;
    }
    if (meeting.due_on > to) continue;
    const prefers = preferences.get(meeting.contact.id);
    const reach = [prefers?.preferred_channel, prefers?.preferred_time].filter(Boolean).join(', ');
    // Overdue a long time: kept at the start of the window rather than dropped.
    event(
      uid,
      day(meeting.due_on < from ? from : meeting.due_on),
      about(`Coffee with ${meeting.contact.name} due`, account.name),
      link(`/accounts/${account.id}/touchpoints/new?contact=${meeting.contact.id}`),
      reach ? `${lastMet} Prefers ${reach}.` : lastMet,
    );
  }
  for (const row of commitments)
    event(
      `commitment-${row.id}`,
      day(row.due_on),
      about(row.source === 'playbook' ? `Recovery: ${row.description}` : `Promise: ${row.description}`, row.account_name),
      link(`/accounts/${row.account_id}/commitments`),
      row.contact_name ? `For ${row.contact_name}.` : undefined,
    );
  for (const row of followUps)
    event(
      `complaint-follow-up-${row.id}`,
      day(row.follow_up_due_on!),
      about(`Follow up: is ${row.contact_name ?? 'the customer'} satisfied?`, row.account_name),
      link(`/complaints/${row.id}`),
      row.issue,
    );

  const yearly = (uid: string, date: string, summary: string, url: string, firstYear: number) => {
    const { start, repeating } = yearlyStart(date.slice(-5), Math.max(thisYear, firstYear), zone);
    if (start.isValid) calendar.createEvent({ id: `${uid}@${uidDomain}`, start, allDay: true, summary, url, repeating, stamp: now });
  };
  const yearOf = (date: string) => (date.length === 10 ? Number(date.slice(0, 4)) : 0);
  for (const row of birthdays) yearly(`birthday-${row.id}`, row.date!, about(`${row.name}'s birthday`, row.account_name), link(`/contacts/${row.id}`), 0);
  for (const row of roleAnniversaries)
    yearly(`role-anniversary-${row.id}`, row.date!, about(`${row.name}: anniversary in their role (since ${yearOf(row.date!)})`, row.account_name), link(`/contacts/${row.id}`), yearOf(row.date!) + 1);
  for (const row of customerAnniversaries)
    yearly(`customer-anniversary-${row.id}`, row.date!, `${row.name}: customer anniversary (since ${yearOf(row.date!)})`, link(`/accounts/${row.id}`), yearOf(row.date!) + 1);
  return calendar;
}
