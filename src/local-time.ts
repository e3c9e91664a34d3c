import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';

// Instants seen in a viewer's time zone, fast. Luxon looks a zone's offset up through
// Intl.DateTimeFormat#formatToParts on every conversion (about 160 µs here: more than half of an
// account page's server time went there, bench/README.md). Offsets change at most once or twice a
// year, so each UTC day is looked up once per zone: its offset when the day starts and ends with the
// same one, and only on the few days with a change, each 15-minute slot (every zone's changes fall
// on 15-minute UTC boundaries).

const slotMs = 15 * 60 * 1000;
const msPerDay = 86_400_000;
const entriesKeptPerZone = 100_000;

interface ZoneOffsets {
  zone: IANAZone;
  /** The day's offset, or null when it changes during that day. */
  offsetOfDay: Map<number, number | null>;
  offsetOfSlot: Map<number, number>;
}
const offsetsByZone = new Map<string, ZoneOffsets>();

/** The zone's offset from UTC at an instant, in minutes (an unknown zone counts as UTC). */
export function offsetMinutes(zone: string, instantMs: number): number {
  let known = offsetsByZone.get(zone);
  if (!known) offsetsByZone.set(zone, (known = { zone: IANAZone.create(zone), offsetOfDay: new Map(), offsetOfSlot: new Map() }));
  if (!known.zone.isValid) return 0;
  const day = Math.floor(instantMs / msPerDay);
  let offset = known.offsetOfDay.get(day);
  if (offset === undefined) {
    if (known.offsetOfDay.size >= entriesKeptPerZone) known.offsetOfDay.clear();
    const atStart = known.zone.offset(day * msPerDay);
    offset = atStart === known.zone.offset((day + 1) * msPerDay - 1) ? atStart : null;
    known.offsetOfDay.set(day, offset);
  }
  if (offset !== null) return offset;
  const slot = Math.floor(instantMs / slotMs);
  let slotOffset = known.offsetOfSlot.get(slot);
  if (slotOffset === undefined) {
    if (known.offsetOfSlot.size >= entriesKeptPerZone) known.offsetOfSlot.clear();
    slotOffset = known.zone.offset(slot * slotMs);
    known.offsetOfSlot.set(slot, slotOffset);
  }
  return slotOffset;
}

/** An instant's local date in a zone as a day number (days since 1970-01-01), so calendar differences are subtractions. */
export function localDayNumber(zone: string, instantMs: number): number {
  return Math.floor((instantMs + offsetMinutes(zone, instantMs) * 60_000) / msPerDay);
}

/** An instant as a luxon DateTime showing the zone's wall-clock time, for formatting. */
export function inZone(instantMs: number, zone: string): DateTime {
  return DateTime.fromMillis(instantMs, { zone: FixedOffsetZone.instance(offsetMinutes(zone, instantMs)) });
}
