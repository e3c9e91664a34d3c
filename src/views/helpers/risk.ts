import { DateTime } from 'luxon';
import { plannedMeetingText } from '../../risk/risk.rules.js';

interface MeetingClock {
  due_in_days: number;
  due_on: string;
  cadence_days: number;
  never_met: boolean;
  days_since: number;
  contact: { name: string };
  planned?: { contact: { name: string }; on: string } | null;
}

/** "Maria Lopez: … next due in 5 days (28 Nov) on a 30-day cadence", or "… 17 days overdue …", and what is planned. */
export function meetingDue(meeting: unknown): string {
  if (!meeting || typeof meeting !== 'object') return 'No active decision-maker known.';
  const m = meeting as MeetingClock;
  const last = m.never_met ? 'never met outside the office' : `last met outside the office ${m.days_since} days ago`;
  const due =
    m.due_in_days > 0
      ? `next due in ${m.due_in_days} day${m.due_in_days === 1 ? '' : 's'} (${DateTime.fromISO(m.due_on).toFormat('d LLL')})`
      : m.due_in_days === 0
        ? 'due today'
        : `${-m.due_in_days} day${m.due_in_days === -1 ? '' : 's'} overdue`;
  return `${m.contact.name}: ${last}; ${due} on a ${m.cadence_days}-day cadence${m.planned ? `; ${plannedMeetingText(m.planned)}` : ''}.`;
}
