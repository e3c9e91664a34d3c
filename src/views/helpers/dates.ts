import { DateTime } from 'luxon';
import { inZone, localDayNumber } from '../../local-time.js';

// Every date helper takes the time zone from the data it is given, never from the server's clock.

const zoneOf = (zone: unknown) => String(zone ?? '') || 'UTC';
const zoned = (iso: string, zone: unknown) => inZone(Date.parse(iso), zoneOf(zone));

/** "Mon 23 Nov 2026, 07:30" in the viewer's zone. */
export function formatInstant(iso: unknown, zone: unknown): string {
  if (typeof iso !== 'string' || !iso) return '';
  return zoned(iso, zone).toFormat('ccc d LLL yyyy, HH:mm');
}

/** "23 Nov 2026" for a YYYY-MM-DD date (dates have no zone). */
export function formatDate(date: unknown): string {
  if (typeof date !== 'string' || !date) return '';
  const parsed = DateTime.fromISO(date);
  return parsed.isValid ? parsed.toFormat('d LLL yyyy') : date;
}

/** "today", "yesterday", "12 days ago" — calendar days in the viewer's zone. */
export function daysAgo(iso: unknown, nowIso: unknown, zone: unknown): string {
  if (typeof iso !== 'string' || !iso || typeof nowIso !== 'string') return 'never';
  const days = localDayNumber(zoneOf(zone), Date.parse(nowIso)) - localDayNumber(zoneOf(zone), Date.parse(iso));
  if (days === 0) return 'today';
  if (days === 1) return 'yesterday';
  if (days < 0) return `in ${-days} days`;
  return `${days} days ago`;
}

/** Value for <input type="datetime-local"> in the viewer's zone. */
export function localDateTimeInput(iso: unknown, zone: unknown): string {
  if (typeof iso !== 'string' || !iso) return '';
  return zoned(iso, zone).toFormat("yyyy-LL-dd'T'HH:mm");
}

/** "November 2026" — month headings. */
export function formatMonth(iso: unknown, zone: unknown): string {
  if (typeof iso !== 'string' || !iso) return '';
  return zoned(iso, zone).toFormat('LLLL yyyy');
}

/** "9 Sep" for a birthday kept as MM-DD, "9 Sep 1980" when the year is known. */
export function formatBirthday(birthday: unknown): string {
  if (typeof birthday !== 'string' || !birthday) return '';
  const withYear = birthday.length === 5 ? DateTime.fromISO(`2000-${birthday}`) : DateTime.fromISO(birthday);
  if (!withYear.isValid) return birthday;
  return withYear.toFormat(birthday.length === 5 ? 'd LLL' : 'd LLL yyyy');
}
