import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';

// Instants seen in a viewer's time zone, fast. Luxon looks a zone's offset up through
// Intl.DateTimeFormat#formatToParts on every conversion (about 160 µs here: more than half of an
// account page's server time went there, bench/README.md). Zone offsets and their changes fall on
// 15-minute UTC boundaries, so each 15-minute slot is looked up once per zone and kept.

const slotMs = 15 * 60 * 1000;
const msPerDay = 86_400_000;
const slotsKeptPerZone = 250_000;

const offsetsByZone = new Map<string, { zone: IANAZone; offsetOfSlot: Map<number, number> }>();

/** The zone's offset from UTC at an instant, in minutes (an unknown zone counts as UTC). */
export function offsetMinutes(zone: string, instantMs: number): number {
  let known = offsetsByZone.get(zone);
  if (!known) offsetsByZone.set(zone, (known = { zone: IANAZone.create(zone), offsetOfSlot: new Map() }));
  const slot = Math.floor(instantMs / slotMs);
  let offset = known.offsetOfSlot.get(slot);
  if (offset === undefined) {
    if (known.offsetOfSlot.size >= slotsKeptPerZone) known.offsetOfSlot.clear();
    offset = known.zone.isValid ? known.zone.offset(slot * slotMs) : 0;
    known.offsetOfSlot.set(slot, offset);
  }
  return offset;
}

/** An instant's local date in a zone as a day number (days since 1970-01-01), so calendar differences are subtractions. */
export function localDayNumber(zone: string, instantMs: number): number {
  return Math.floor((instantMs + offsetMinutes(zone, instantMs) * 60_000) / msPerDay);
}

/** An instant as a luxon DateTime showing the zone's wall-clock time, for formatting. */
export function inZone(instantMs: number, zone: string): DateTime {
  return DateTime.fromMillis(instantMs, { zone: FixedOffsetZone.instance(offsetMinutes(zone, instantMs)) });
}
