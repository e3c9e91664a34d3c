import { DateTime } from 'luxon';
import { plannedMeetingText } from '../risk/risk.rules.js';
import type { PlannedMeetingItem } from './digest.service.js';

// Helpers the digest templates use, handed to Handlebars with each digest render; the rep's week
// and the calendar feed reuse their words.
// Email clients ignore stylesheets, so colours travel as inline styles.

/** "1 day", "3 days". */
export function plural(count: unknown, word: unknown): string {
  const n = Number(count);
  return `${n} ${String(word)}${n === 1 ? '' : 's'}`;
}

const levelStyles: Record<string, string> = {
  ok: 'color:#166534;background:#f0fdf4;border:1px solid #166534',
  watch: 'color:#854d0e;background:#fefce8;border:1px solid #854d0e',
  at_risk: 'color:#9a3412;background:#fff7ed;border:1px solid #9a3412',
  critical: 'color:#ffffff;background:#b91c1c;border:1px solid #b91c1c',
};

export function levelStyle(level: unknown): string {
  return levelStyles[String(level)] ?? levelStyles.ok!;
}

/** "Wed 25 Nov" for a YYYY-MM-DD date. */
export function formatDay(date: unknown): string {
  return typeof date === 'string' && date ? DateTime.fromISO(date).toFormat('ccc d LLL') : '';
}

/** "Birthday (turns 40)", "10 years in their role", "5 years as a customer". */
export function describeKeyDate(kind: unknown, years: unknown): string {
  const n = typeof years === 'number' ? years : null;
  if (kind === 'birthday') return n === null ? 'Birthday' : `Birthday (turns ${n})`;
  if (kind === 'started_in_role') return `${plural(n ?? 0, 'year')} in their role`;
  return `${plural(n ?? 0, 'year')} as a customer`;
}

/** "left on 20 Nov" / "leaving on 27 Nov". */
export function departureWhen(status: unknown, date: unknown): string {
  return `${status === 'left' ? 'left' : 'leaving'} on ${formatDay(date)}`;
}

/** "coffee with Maria Lopez planned for Thu 10 Dec", the pages' words, for an email's planned meeting; nothing when none is. */
export function plannedMeeting(planned: unknown): string {
  const item = planned as PlannedMeetingItem | null | undefined;
  return item ? plannedMeetingText({ contact: { name: item.contact_name }, on: item.on }) : '';
}

export const digestHelpers = { plural, levelStyle, formatDay, describeKeyDate, departureWhen, plannedMeeting };
