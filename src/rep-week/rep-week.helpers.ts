import { digestHelpers, formatDay, plannedMeeting, plural } from '../digest/digest.helpers.js';
import { label } from '../views/helpers/labels.js';

// Helpers the rep's week templates use (with the digest's), handed to Handlebars with each render.

/** "3 days late (due Fri 20 Nov)", "due today", "due Thu 26 Nov". */
export function dueWhen(dueOn: unknown, daysLate: unknown): string {
  const late = Number(daysLate);
  if (late > 0) return `${plural(late, 'day')} late (due ${formatDay(dueOn)})`;
  return late === 0 ? 'due today' : `due ${formatDay(dueOn)}`;
}

/**
 * "12 days overdue", "due today", "due Thu 26 Nov"; "never met outside the office" when it never
 * happened; and the coffee already planned, when there is one.
 */
export function meetingWhen(daysOverdue: unknown, dueOn: unknown, neverMet: unknown, planned: unknown): string {
  const overdue = Number(daysOverdue);
  const when = overdue > 0 ? `${plural(overdue, 'day')} overdue` : overdue === 0 ? 'due today' : `due ${formatDay(dueOn)}`;
  return [when, neverMet ? 'never met outside the office' : '', plannedMeeting(planned)].filter(Boolean).join(' · ');
}

/** "Prefers phone, mornings before 9", or nothing when we do not know. */
export function reachBy(channel: unknown, time: unknown): string {
  const parts = [channel ? label(channel).toLowerCase() : '', typeof time === 'string' ? time : ''].filter(Boolean);
  return parts.length > 0 ? `Prefers ${parts.join(', ')}` : '';
}

export const repWeekHelpers = { ...digestHelpers, dueWhen, meetingWhen, reachBy };
