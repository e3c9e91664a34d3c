// The time-zone picker: IANA names grouped by region ("Europe" → "London"), read once from the
// runtime's own list, so a zone can be chosen rather than typed.

interface ZoneOption {
  value: string;
  caption: string;
  selected: boolean;
}

const regions = (() => {
  const grouped = new Map<string, { value: string; caption: string }[]>([['UTC', [{ value: 'UTC', caption: 'UTC (no daylight saving)' }]]]);
  for (const zone of Intl.supportedValuesOf('timeZone')) {
    const [region, ...place] = zone.split('/');
    if (place.length === 0) continue;
    if (!grouped.has(region!)) grouped.set(region!, []);
    grouped.get(region!)!.push({ value: zone, caption: place.join(' / ').replace(/_/g, ' ') });
  }
  return [...grouped].map(([region, zones]) => ({ region, zones }));
})();

/**
 * The regions and their zones with the current one selected; a saved zone the list does not have
 * (an older alias such as US/Eastern) is offered at the top, so saving the form never changes it.
 */
export function timeZoneGroups(current: unknown): { region: string; zones: ZoneOption[] }[] {
  const value = String(current ?? '') || 'UTC';
  const groups = regions.map(({ region, zones }) => ({ region, zones: zones.map((zone) => ({ ...zone, selected: zone.value === value })) }));
  const known = groups.some(({ zones }) => zones.some((zone) => zone.selected));
  return known ? groups : [{ region: 'Your current zone', zones: [{ value, caption: value, selected: true }] }, ...groups];
}
