import { DateTime } from 'luxon';

// A digest belongs to an ISO week ("2026-W48", Monday to Sunday) in its manager's own time zone:
// the same instant can be Monday in Sydney and still Sunday in Los Angeles.

export const isoWeekPattern = /^(\d{4})-W(\d{2})$/;

export interface IsoWeek {
  /** "2026-W48" */
  id: string;
  /** Monday 00:00 of the week in the zone. */
  start: DateTime;
  /** The Monday after, 00:00 in the zone. */
  end: DateTime;
}

function weekStarting(start: DateTime): IsoWeek {
  return { id: start.toFormat("kkkk-'W'WW"), start, end: start.plus({ weeks: 1 }) };
}

/** The week an instant falls in, in a zone. */
export function isoWeekOf(instant: Date, zone: string): IsoWeek {
  return weekStarting(DateTime.fromJSDate(instant).setZone(zone).startOf('week'));
}

/** "2026-W48" in a zone; null when there is no such week (W53 exists only in some years). */
export function parseIsoWeek(id: string, zone: string): IsoWeek | null {
  const match = isoWeekPattern.exec(id);
  if (!match) return null;
  const start = DateTime.fromObject({ weekYear: Number(match[1]), weekNumber: Number(match[2]), weekday: 1 }, { zone });
  if (!start.isValid) return null;
  const week = weekStarting(start);
  return week.id === id ? week : null;
}

export const previousWeek = (week: IsoWeek): IsoWeek => weekStarting(week.start.minus({ weeks: 1 }));

/**
 * When the week's digest is due: its weekday at its hour on the zone's wall clock. Luxon keeps the
 * wall-clock hour across daylight-saving changes (an hour that does not exist moves forward).
 */
export function sendMomentOf(week: IsoWeek, { day, hour }: { day: number; hour: number }): DateTime {
  return week.start.plus({ days: day - 1 }).set({ hour });
}

/** "23–29 Nov 2026", or "28 Dec 2026 – 3 Jan 2027" across a month or year. */
export function describeWeek(week: IsoWeek): string {
  const last = week.end.minus({ days: 1 });
  if (week.start.year !== last.year) return `${week.start.toFormat('d LLL yyyy')} – ${last.toFormat('d LLL yyyy')}`;
  if (week.start.month !== last.month) return `${week.start.toFormat('d LLL')} – ${last.toFormat('d LLL yyyy')}`;
  return `${week.start.toFormat('d')}–${last.toFormat('d LLL yyyy')}`;
}
