import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { cleanHeaderText, normalizeAddress } from './message-reader.js';

// Reads a text/calendar invitation (RFC 5545/5546) with ical.js: what, when (TZID honoured),
// where, who, and which version of it this is. A recurring meeting is read as its first occurrence.

export interface Invitation {
  method: 'REQUEST' | 'CANCEL';
  uid: string;
  sequence: number;
  stampedAt: string | null;
  startsAt: string;
  endsAt: string;
  title: string;
  location: string;
  /** Attendees and organizer, lower-case addresses. */
  people: string[];
}

const maxCalendarChars = 512 * 1024;
const maxEvents = 20;

/**
 * An instant from an iCalendar time: UTC as is; a TZID that is an IANA zone through luxon; any
 * other TZID (Outlook's "W. Europe Standard Time") through the calendar's own VTIMEZONE; a floating
 * time or a date in the user's zone.
 */
function instantOf(time: ICAL.Time, tzid: string | null, calendar: ICAL.Component, userZone: string): string {
  const parts = { year: time.year, month: time.month, day: time.day, hour: time.isDate ? 0 : time.hour, minute: time.isDate ? 0 : time.minute, second: time.isDate ? 0 : time.second };
  if (time.zone?.tzid === 'UTC') return DateTime.fromObject(parts, { zone: 'UTC' }).toUTC().toISO()!;
  if (tzid && !time.isDate) {
    const viaLuxon = DateTime.fromObject(parts, { zone: tzid });
    if (viaLuxon.isValid) return viaLuxon.toUTC().toISO()!;
    const definition = calendar.getAllSubcomponents('vtimezone').find((zone) => zone.getFirstPropertyValue('tzid') === tzid);
    if (definition) {
      const local = time.clone();
      local.zone = new ICAL.Timezone(definition);
      return new Date(local.toUnixTime() * 1000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    }
  }
  return DateTime.fromObject(parts, { zone: userZone }).toUTC().toISO()!;
}

const addressOf = (value: unknown) => normalizeAddress(typeof value === 'string' ? value.replace(/^mailto:/i, '') : null);

/** The invitations (REQUEST) and cancellations (CANCEL) in a calendar part; anything else is none. */
export function readInvitations(text: string, userZone: string): Invitation[] {
  if (text.length > maxCalendarChars) return [];
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(text) as unknown as unknown[]);
  } catch {
    return [];
  }
  const method = String(calendar.getFirstPropertyValue('method') ?? '').toUpperCase();
  if (method !== 'REQUEST' && method !== 'CANCEL') return [];
  const invitations: Invitation[] = [];
  for (const vevent of calendar.getAllSubcomponents('vevent').slice(0, maxEvents)) {
    // An exception to one occurrence of a series (RECURRENCE-ID) is not a meeting of its own here.
    if (vevent.hasProperty('recurrence-id')) continue;
    const event = new ICAL.Event(vevent);
    const uid = cleanHeaderText(event.uid, 500);
    if (!uid || !event.startDate) continue;
    const tzidOf = (name: string) => {
      const tzid = vevent.getFirstProperty(name)?.getParameter('tzid');
      return typeof tzid === 'string' ? tzid : null;
    };
    const startsAt = instantOf(event.startDate, tzidOf('dtstart'), calendar, userZone);
    const endsAt = event.endDate ? instantOf(event.endDate, tzidOf('dtend') ?? tzidOf('dtstart'), calendar, userZone) : startsAt;
    const stamp = vevent.getFirstPropertyValue('dtstamp');
    const people = [
      ...vevent.getAllProperties('attendee').map((property) => addressOf(property.getFirstValue())),
      addressOf(vevent.getFirstPropertyValue('organizer')),
    ].filter((address): address is string => address !== null);
    invitations.push({
      method,
      uid,
      sequence: Number(vevent.getFirstPropertyValue('sequence') ?? 0) || 0,
      stampedAt: stamp instanceof ICAL.Time ? instantOf(stamp, null, calendar, 'UTC') : null,
      startsAt,
      endsAt: endsAt < startsAt ? startsAt : endsAt,
      title: cleanHeaderText(event.summary, 200) ?? '(no title)',
      location: cleanHeaderText(event.location, 500) ?? '',
      people: [...new Set(people)],
    });
  }
  return invitations;
}
