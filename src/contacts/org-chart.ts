import { DateTime } from 'luxon';
import type { ContactRole } from './contacts.table.js';
import type { Contact } from './contacts.service.js';

// The buying chain as an org chart, drawn on the server as SVG: boxes coloured by role,
// filled by warmth (how recently we met them), lines for who reports to whom.

const nodeWidth = 176;
const nodeHeight = 74;
const gapX = 16;
const gapY = 36;
const margin = 8;

export const roleColours: Record<ContactRole | 'none', string> = {
  decision_maker: '#6d28d9',
  boss: '#1d4ed8',
  influencer: '#0f766e',
  user: '#a16207',
  champion: '#15803d',
  none: '#475569',
};

const roleShort: Record<ContactRole, string> = {
  decision_maker: 'Decision-maker',
  boss: 'Boss',
  influencer: 'Influencer',
  user: 'User',
  champion: 'Champion',
};

export type Warmth = 'warm' | 'cooling' | 'cold';

/** Warm: met in the last 30 days; cooling: in the last 90; cold: longer ago or never. */
export function warmthOf(lastMetAt: string | null, now: Date, zone: string): Warmth {
  if (!lastMetAt) return 'cold';
  const today = DateTime.fromJSDate(now).setZone(zone).startOf('day');
  const met = DateTime.fromISO(lastMetAt, { zone: 'utc' }).setZone(zone).startOf('day');
  const days = today.diff(met, 'days').days;
  return days <= 30 ? 'warm' : days <= 90 ? 'cooling' : 'cold';
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[char]!);

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

interface PlacedNode {
  contact: Contact;
  x: number;
  y: number;
}

export function buildOrgChartSvg(contacts: Contact[], now: Date, zone: string): string {
  if (contacts.length === 0) return '';
  const ids = new Set(contacts.map((contact) => contact.id));
  const children = new Map<number | null, Contact[]>();
  for (const contact of contacts) {
    const parent = contact.reports_to_contact_id !== null && ids.has(contact.reports_to_contact_id) ? contact.reports_to_contact_id : null;
    children.set(parent, [...(children.get(parent) ?? []), contact]);
  }

  // Leaves take the next free column; a manager sits centred over their reports.
  const placed: PlacedNode[] = [];
  let nextColumn = 0;
  let depthReached = 0;
  const place = (contact: Contact, depth: number, visiting: Set<number>): number => {
    depthReached = Math.max(depthReached, depth);
    const reports = visiting.has(contact.id) ? [] : (children.get(contact.id) ?? []);
    visiting.add(contact.id);
    const columns = reports.map((report) => place(report, depth + 1, visiting));
    const column = columns.length > 0 ? (columns[0]! + columns[columns.length - 1]!) / 2 : nextColumn++;
    placed.push({ contact, x: margin + column * (nodeWidth + gapX), y: margin + depth * (nodeHeight + gapY) });
    return column;
  };
  const visiting = new Set<number>();
  for (const root of children.get(null) ?? []) place(root, 0, visiting);
  // Contacts caught in a reporting loop (not reachable from a root) still get drawn.
  for (const contact of contacts) if (!visiting.has(contact.id)) place(contact, 0, visiting);

  const width = margin * 2 + nextColumn * (nodeWidth + gapX) - gapX;
  const height = margin * 2 + (depthReached + 1) * (nodeHeight + gapY) - gapY;
  const position = new Map(placed.map((node) => [node.contact.id, node]));

  const lines = placed
    .filter((node) => node.contact.reports_to_contact_id !== null && position.has(node.contact.reports_to_contact_id))
    .map((node) => {
      const parent = position.get(node.contact.reports_to_contact_id!)!;
      const fromX = parent.x + nodeWidth / 2;
      const fromY = parent.y + nodeHeight;
      const toX = node.x + nodeWidth / 2;
      const midY = fromY + gapY / 2;
      return `<path d="M${fromX} ${fromY} V${midY} H${toX} V${node.y}" fill="none" stroke="#94a3b8" stroke-width="1.5"/>`;
    });

  const boxes = placed.map(({ contact, x, y }) => {
    const role = contact.roles[0] ?? 'none';
    const colour = contact.status === 'left' ? '#64748b' : roleColours[role];
    const warmth = warmthOf(contact.last_touch_at, now, zone);
    const fill = contact.status === 'left' ? '#f1f5f9' : warmth === 'warm' ? `${colour}26` : warmth === 'cooling' ? `${colour}10` : '#ffffff';
    const dash = warmth === 'cold' || contact.status !== 'active' ? ' stroke-dasharray="6 4"' : '';
    const roles = contact.roles.map((r) => roleShort[r]).join(' · ') || 'No role yet';
    const status = contact.status === 'left' ? 'Left' : contact.status === 'leaving' ? 'Leaving' : '';
    const met = contact.last_touch_at
      ? `Met ${DateTime.fromISO(contact.last_touch_at, { zone: 'utc' }).setZone(zone).toFormat('d LLL yyyy')}`
      : 'Never met';
    return [
      `<g class="chain-node chain-${warmth}">`,
      `<title>${escapeXml(`${contact.name}${contact.title ? `, ${contact.title}` : ''} — ${roles}; ${met}${status ? `; ${status}` : ''}`)}</title>`,
      `<rect x="${x}" y="${y}" width="${nodeWidth}" height="${nodeHeight}" rx="8" fill="${fill}" stroke="${colour}" stroke-width="2"${dash}/>`,
      `<rect x="${x}" y="${y}" width="6" height="${nodeHeight}" rx="3" fill="${colour}"/>`,
      `<text x="${x + 14}" y="${y + 20}" font-size="14" font-weight="700" fill="#0f172a"${contact.status === 'left' ? ' text-decoration="line-through"' : ''}>${escapeXml(truncate(contact.name, 20))}</text>`,
      `<text x="${x + 14}" y="${y + 36}" font-size="11" fill="#334155">${escapeXml(truncate(contact.title ?? '', 26))}</text>`,
      `<text x="${x + 14}" y="${y + 52}" font-size="11" font-weight="600" fill="${colour}">${escapeXml(truncate(status ? `${status} · ${roles}` : roles, 28))}</text>`,
      `<text x="${x + 14}" y="${y + 67}" font-size="10.5" fill="#475569">${escapeXml(met)}</text>`,
      `</g>`,
    ].join('');
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="org-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Buying chain: ${contacts.length} people; who reports to whom">`,
    ...lines,
    ...boxes,
    `</svg>`,
  ].join('\n');
}
