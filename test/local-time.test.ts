import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { inZone, localDayNumber, offsetMinutes } from '../src/local-time.js';

const at = (iso: string) => Date.parse(iso);
const dayNumberOf = (isoDate: string) => Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000;

describe('local time in a zone', () => {
  it('follows daylight saving to the minute it changes', () => {
    // New York leaves summer time at 02:00 EDT on 1 November 2026, 06:00 UTC.
    expect(offsetMinutes('America/New_York', at('2026-11-01T05:59:59Z'))).toBe(-240);
    expect(offsetMinutes('America/New_York', at('2026-11-01T06:00:00Z'))).toBe(-300);
    expect(offsetMinutes('Asia/Kathmandu', at('2026-11-23T14:00:00Z'))).toBe(345);
    // Lord Howe Island moves by half an hour.
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-01-15T00:00:00Z'))).toBe(660);
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-07-15T00:00:00Z'))).toBe(630);
  });

  it('gives the local calendar day, not the UTC one', () => {
    expect(localDayNumber('America/Chicago', at('2026-11-23T04:30:00Z'))).toBe(dayNumberOf('2026-11-22'));
    expect(localDayNumber('America/Chicago', at('2026-11-23T06:00:00Z'))).toBe(dayNumberOf('2026-11-23'));
    expect(localDayNumber('Pacific/Auckland', at('2026-11-22T11:00:00Z'))).toBe(dayNumberOf('2026-11-23'));
  });

  it('formats exactly as luxon converting the zone itself, across a whole year', () => {
    for (const zone of ['Europe/Paris', 'America/Los_Angeles', 'Asia/Kathmandu', 'Australia/Lord_Howe'])
      for (let instant = at('2026-01-01T00:00:00Z'); instant < at('2027-01-01T00:00:00Z'); instant += 5 * 3600_000 + 15 * 60_000)
        expect(inZone(instant, zone).toFormat('yyyy-LL-dd HH:mm ccc'), `${zone} ${new Date(instant).toISOString()}`).toBe(
          DateTime.fromMillis(instant).setZone(zone).toFormat('yyyy-LL-dd HH:mm ccc'),
        );
  });

  it('reads an unknown zone as UTC', () => {
    expect(inZone(at('2026-11-23T14:00:00Z'), 'Mars/Olympus_Mons').toFormat('HH:mm')).toBe('14:00');
  });
});
