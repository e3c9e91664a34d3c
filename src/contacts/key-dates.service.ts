import { DateTime } from 'luxon';
import { type Expression, type ExpressionBuilder, type RawBuilder, sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database, DbOrTx } from '../db/database.js';
import { isOneOf } from '../db/dialect.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { localToday } from '../commitments/commitments.service.js';
import type { CurrentUser } from '../users/users.service.js';

// Noticing the customer: birthdays, anniversaries of starting in their role, and anniversaries of
// becoming a customer, in the coming days of the viewer's calendar.

export type KeyDateKind = 'birthday' | 'started_in_role' | 'customer_since';

export interface KeyDate {
  kind: KeyDateKind;
  /** The day it falls on this time round (YYYY-MM-DD). */
  on: string;
  days_away: number;
  /** Age or years in role / as a customer; null for a birthday given without a year. */
  years: number | null;
  account_id: number;
  account_name: string;
  contact_id: number | null;
  contact_name: string | null;
  preferred_channel: string | null;
  preferred_time: string | null;
}

/**
 * "MM-DD" of a "YYYY-MM-DD" or "MM-DD" column; written exactly as in the expression indexes of
 * migration 2026_11_22_1100 so the database can use them.
 */
const monthDay = (column: string): RawBuilder<string> => sql<string>`substr(${sql.ref(column)}, length(${sql.ref(column)}) - 4)`;

/**
 * Each "MM-DD" that falls in the window, mapped to its day. A 29 February birthday or anniversary
 * is kept on 28 February in years without one.
 */
export function monthDaysFrom(today: DateTime, days: number): Map<string, DateTime> {
  const window = new Map<string, DateTime>();
  for (let offset = 0; offset < days; offset++) {
    const day = today.plus({ days: offset });
    window.set(day.toFormat('MM-dd'), day);
    if (day.month === 2 && day.day === 28 && !day.isInLeapYear) window.set('02-29', day);
  }
  return window;
}

/** Window days in calendar order even across a year end: those from today's MM-DD on, then the wrapped ones. */
const inCalendarOrder = (monthDayColumn: Expression<string>, todayMonthDay: string) =>
  sql`case when ${monthDayColumn} >= ${todayMonthDay} then 0 else 1 end`;

/**
 * Key dates in the viewer's next `days` days (today included) at the accounts they may see, or at
 * the given accounts the caller has already authorized: active contacts' birthdays and
 * started-in-role anniversaries, customers' anniversaries. Three queries, each ordered by day and
 * limited; the earliest `limit` are returned.
 */
export async function upcomingKeyDates(db: DbOrTx, clock: Clock, user: CurrentUser, { days = 14, limit = 30, accountIds }: { days?: number; limit?: number; accountIds?: number[] } = {}) {
  const today = localToday(clock, user).today;
  const window = monthDaysFrom(today, days);
  const monthDays = [...window.keys()];
  const todayMonthDay = today.toFormat('MM-dd');

  const atAccounts = (eb: ExpressionBuilder<Database, 'accounts'>) => (accountIds ? isOneOf(db, 'accounts.id', accountIds) : accountVisibleTo(user)(eb));
  const contactsOn = (column: 'contacts.birthday' | 'contacts.started_in_role_on') =>
    db
      .selectFrom('contacts')
      .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
      .select([
        'contacts.id as contact_id',
        'contacts.name as contact_name',
        'contacts.preferred_channel',
        'contacts.preferred_time',
        'accounts.id as account_id',
        'accounts.name as account_name',
        sql<string>`${sql.ref(column)}`.as('date'),
      ])
      .where(atAccounts)
      .where('accounts.archived', '=', 0)
      .where('contacts.archived', '=', 0)
      .where('contacts.status', '!=', 'left')
      .where(monthDay(column), 'in', monthDays)
      .orderBy(inCalendarOrder(monthDay(column), todayMonthDay))
      .orderBy(monthDay(column))
      .limit(limit)
      .execute();
  const [birthdays, roleAnniversaries, customerAnniversaries] = await Promise.all([
    contactsOn('contacts.birthday'),
    contactsOn('contacts.started_in_role_on'),
    db
      .selectFrom('accounts')
      .select(['accounts.id as account_id', 'accounts.name as account_name', 'accounts.customer_since as date'])
      .where(atAccounts)
      .where('accounts.archived', '=', 0)
      .where('accounts.status', '=', 'customer')
      .where(monthDay('accounts.customer_since'), 'in', monthDays)
      .orderBy(inCalendarOrder(monthDay('accounts.customer_since'), todayMonthDay))
      .orderBy(monthDay('accounts.customer_since'))
      .limit(limit)
      .execute(),
  ]);

  const keyDate = (kind: KeyDateKind, date: string, row: Omit<KeyDate, 'kind' | 'on' | 'days_away' | 'years'>): KeyDate | null => {
    const day = window.get(date.slice(-5));
    if (!day) return null;
    const since = date.length === 10 ? Number(date.slice(0, 4)) : null;
    const years = since === null ? null : day.year - since;
    // A start date this year is not yet an anniversary; a birth year in the future is a typo.
    if (years !== null && (years < 0 || (kind !== 'birthday' && years < 1))) return null;
    return { kind, on: day.toISODate()!, days_away: Math.round(day.diff(today, 'days').days), years, ...row };
  };
  const noContact = { contact_id: null, contact_name: null, preferred_channel: null, preferred_time: null };
  return [
    ...birthdays.map(({ date, ...row }) => keyDate('birthday', date, row)),
    ...roleAnniversaries.map(({ date, ...row }) => keyDate('started_in_role', date, row)),
    ...customerAnniversaries.map(({ date, ...row }) => keyDate('customer_since', date!, { ...row, ...noContact })),
  ]
    .filter((item): item is KeyDate => item !== null)
    .sort((a, b) => a.on.localeCompare(b.on) || a.kind.localeCompare(b.kind) || (a.contact_name ?? a.account_name).localeCompare(b.contact_name ?? b.account_name))
    .slice(0, limit);
}
