import { inZone, localDayNumber } from '../local-time.js';
import type { ContactRole } from './contacts.table.js';
import type { Contact } from './contacts.service.js';
import { fitText } from './text-width.js';

// The buying chain as an org chart, drawn on the server as SVG: boxes coloured by role,
// filled by warmth (how recently we met them), lines for who reports to whom.

const nodeWidth = 176;
const nodeHeight = 74;
const gapX = 16;
const gapY = 36;
const margin = 8;
const listNodeWidth = 280;
const listIndent = 24;
const listGap = 10;

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
  const days = localDayNumber(zone, now.getTime()) - localDayNumber(zone, Date.parse(lastMetAt));
  return days <= 30 ? 'warm' : days <= 90 ? 'cooling' : 'cold';
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[char]!);

/** Left padding of the text in a card (past the role stripe) and the room kept on the right. */
const textInset = 14;
const textRightPadding = 8;

/**
 * One line of a card, fitted to the card's width by its measured length; a line cut short keeps
 * its full text in a <title>, so it shows on hover and reaches screen readers.
 */
function cardLine(x: number, y: number, text: string, { size, bold = false, fill, extra = '' }: { size: number; bold?: boolean; fill: string; extra?: string }, width: number) {
  const fitted = fitText(text, width - textInset - textRightPadding, size, bold);
  const title = fitted.abbreviated ? `<title>${escapeXml(text)}</title>` : '';
  return `<text x="${x + textInset}" y="${y}" font-size="${size}"${bold ? ' font-weight="700"' : ''} fill="${fill}"${extra}>${title}${escapeXml(fitted.text)}</text>`;
}

interface PlacedNode {
  contact: Contact;
  x: number;
  y: number;
}

interface Layout {
  placed: PlacedNode[];
  width: number;
  height: number;
  nodeWidth: number;
  /** The line from a manager's box down to a report's box. */
  connector(manager: PlacedNode, report: PlacedNode): string;
}

/** Who reports to whom, walked once per person: a reporting loop is cut where it closes. */
function reportingLines(contacts: Contact[]) {
  const ids = new Set(contacts.map((contact) => contact.id));
  const children = new Map<number | null, Contact[]>();
  for (const contact of contacts) {
    const parent = contact.reports_to_contact_id !== null && ids.has(contact.reports_to_contact_id) ? contact.reports_to_contact_id : null;
    children.set(parent, [...(children.get(parent) ?? []), contact]);
  }
  const seen = new Set<number>();
  return {
    /** Marks a person drawn and answers their reports not drawn yet. */
    enter(contact: Contact): Contact[] {
      seen.add(contact.id);
      return (children.get(contact.id) ?? []).filter((report) => !seen.has(report.id));
    },
    /** The tops of the reporting lines, then anyone only reachable through a loop. */
    *roots(): Generator<Contact> {
      yield* children.get(null) ?? [];
      for (const contact of contacts) if (!seen.has(contact.id)) yield contact;
    },
  };
}

/** An org chart: leaves take the next free column; a manager sits centred over their reports. */
function treeLayout(contacts: Contact[]): Layout {
  const lines = reportingLines(contacts);
  const placed: PlacedNode[] = [];
  let nextColumn = 0;
  let depthReached = 0;
  const place = (contact: Contact, depth: number): number => {
    depthReached = Math.max(depthReached, depth);
    const columns = lines.enter(contact).map((report) => place(report, depth + 1));
    const column = columns.length > 0 ? (columns[0]! + columns[columns.length - 1]!) / 2 : nextColumn++;
    placed.push({ contact, x: margin + column * (nodeWidth + gapX), y: margin + depth * (nodeHeight + gapY) });
    return column;
  };
  for (const root of lines.roots()) place(root, 0);
  return {
    placed,
    width: margin * 2 + nextColumn * (nodeWidth + gapX) - gapX,
    height: margin * 2 + (depthReached + 1) * (nodeHeight + gapY) - gapY,
    nodeWidth,
    connector(manager, report) {
      const fromX = manager.x + nodeWidth / 2;
      const fromY = manager.y + nodeHeight;
      return `M${fromX} ${fromY} V${fromY + gapY / 2} H${report.x + nodeWidth / 2} V${report.y}`;
    },
  };
}

/** For a phone: one person per row, each report indented under their manager, so the text never shrinks. */
function listLayout(contacts: Contact[]): Layout {
  const lines = reportingLines(contacts);
  const placed: PlacedNode[] = [];
  let depthReached = 0;
  const place = (contact: Contact, depth: number) => {
    depthReached = Math.max(depthReached, depth);
    placed.push({ contact, x: margin + depth * listIndent, y: margin + placed.length * (nodeHeight + listGap) });
    for (const report of lines.enter(contact)) place(report, depth + 1);
  };
  for (const root of lines.roots()) place(root, 0);
  return {
    placed,
    width: margin * 2 + depthReached * listIndent + listNodeWidth,
    height: margin * 2 + placed.length * (nodeHeight + listGap) - listGap,
    nodeWidth: listNodeWidth,
    connector: (manager, report) => `M${manager.x + listIndent / 2} ${manager.y + nodeHeight} V${report.y + nodeHeight / 2} H${report.x}`,
  };
}

/** The buying chain as SVG: `tree` for wide screens, `list` (one person per row) for phones. */
export function buildOrgChartSvg(contacts: Contact[], now: Date, zone: string, layoutName: 'tree' | 'list' = 'tree'): string {
  if (contacts.length === 0) return '';
  const { placed, width, height, nodeWidth: boxWidth, connector } = (layoutName === 'list' ? listLayout : treeLayout)(contacts);
  const position = new Map(placed.map((node) => [node.contact.id, node]));

  const lines = placed
    .filter((node) => node.contact.reports_to_contact_id !== null && position.has(node.contact.reports_to_contact_id))
    .map((node) => `<path d="${connector(position.get(node.contact.reports_to_contact_id!)!, node)}" fill="none" stroke="#94a3b8" stroke-width="1.5"/>`);

  const boxes = placed.map(({ contact, x, y }) => {
    const role = contact.roles[0] ?? 'none';
    const colour = contact.status === 'left' ? '#64748b' : roleColours[role];
    const warmth = warmthOf(contact.last_touch_at, now, zone);
    const fill = contact.status === 'left' ? '#f1f5f9' : warmth === 'warm' ? `${colour}26` : warmth === 'cooling' ? `${colour}10` : '#ffffff';
    const dash = warmth === 'cold' || contact.status !== 'active' ? ' stroke-dasharray="6 4"' : '';
    const roles = contact.roles.map((r) => roleShort[r]).join(' · ') || 'No role yet';
    const status = contact.status === 'left' ? 'Left' : contact.status === 'leaving' ? 'Leaving' : '';
    const met = contact.last_touch_at
      ? `Met ${inZone(Date.parse(contact.last_touch_at), zone).toFormat('d LLL yyyy')}`
      : 'Never met';
    return [
      `<g class="chain-node chain-${warmth}">`,
      `<title>${escapeXml(`${contact.name}${contact.title ? `, ${contact.title}` : ''} — ${roles}; ${met}${status ? `; ${status}` : ''}`)}</title>`,
      `<rect x="${x}" y="${y}" width="${boxWidth}" height="${nodeHeight}" rx="8" fill="${fill}" stroke="${colour}" stroke-width="2"${dash}/>`,
      `<rect x="${x}" y="${y}" width="6" height="${nodeHeight}" rx="3" fill="${colour}"/>`,
      cardLine(x, y + 20, contact.name, { size: 14, bold: true, fill: '#0f172a', extra: contact.status === 'left' ? ' text-decoration="line-through"' : '' }, boxWidth),
      cardLine(x, y + 36, contact.title ?? '', { size: 11, fill: '#334155' }, boxWidth),
      cardLine(x, y + 52, status ? `${status} · ${roles}` : roles, { size: 11, bold: true, fill: colour }, boxWidth),
      cardLine(x, y + 67, met, { size: 10.5, fill: '#475569' }, boxWidth),
      `</g>`,
    ].join('');
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="org-chart org-chart-${layoutName}" font-family="'Liberation Sans', Arial, Helvetica, sans-serif" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Buying chain: ${contacts.length} people; who reports to whom">`,
    ...lines,
    ...boxes,
    `</svg>`,
  ].join('\n');
}
