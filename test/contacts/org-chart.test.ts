import { expect, it } from 'vitest';
import type { Contact } from '../../src/contacts/contacts.service.js';
import { buildOrgChartSvg } from '../../src/contacts/org-chart.js';
import { fitText, textWidth } from '../../src/contacts/text-width.js';

const now = new Date('2026-11-23T14:00:00Z');
const person = (id: number, name: string, reportsTo: number | null = null): Contact =>
  ({ id, name, title: 'Title', roles: ['user'], reports_to_contact_id: reportsTo, status: 'active', last_touch_at: null }) as unknown as Contact;

// A manager over six reports, one of whom manages an assistant: wide as a tree, narrow as a list.
const chain = [person(1, 'Grace Kim'), ...[2, 3, 4, 5, 6, 7].map((id) => person(id, `Report ${id}`, 1)), person(8, 'Assistant', 2)];

const boxes = (svg: string) => [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="(\d+)"/g)].filter((_, index) => index % 2 === 0).map((match) => ({ x: Number(match[1]), y: Number(match[2]) }));
const widthOf = (svg: string) => Number(/viewBox="0 0 (\d+)/.exec(svg)![1]);

it('draws the tree side by side and the phone list one person per row, indented under their manager', () => {
  const tree = buildOrgChartSvg(chain, now, 'UTC');
  const list = buildOrgChartSvg(chain, now, 'UTC', 'list');
  expect(widthOf(tree)).toBeGreaterThan(1000);
  // Fits a 390 px phone at full size, so the text never shrinks.
  expect(widthOf(list)).toBeLessThanOrEqual(360);

  const rows = boxes(list);
  expect(rows).toHaveLength(8);
  expect(new Set(rows.map((row) => row.y)).size).toBe(8);
  // Grace first, her reports one step in, the assistant two steps in, right under Report 2.
  expect(rows.map((row) => row.x)).toEqual([8, 32, 56, 32, 32, 32, 32, 32]);
  expect(list).toContain('class="org-chart org-chart-list"');
});

it('draws each person once, even when the reporting lines form a loop', () => {
  const loop = [person(1, 'Ann', 2), person(2, 'Ben', 1), person(3, 'Cy', 1)];
  for (const layout of ['tree', 'list'] as const) expect(boxes(buildOrgChartSvg(loop, now, 'UTC', layout))).toHaveLength(3);
});

it('fits every label inside its card at both widths, abbreviating with the full text in a <title>', () => {
  const long = [
    { ...person(1, 'Dr. Maximiliana Wolfeschlegelsteinhausen'), title: 'Senior Vice President, Global Procurement and Facilities', roles: ['decision_maker', 'champion', 'influencer'], status: 'left' },
    { ...person(2, 'Paul Whitman', 1), title: 'COO', roles: ['boss', 'champion'] },
    { ...person(3, 'WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW', 1), roles: ['champion'] },
  ] as unknown as Contact[];
  for (const layout of ['tree', 'list'] as const) {
    const svg = buildOrgChartSvg(long, now, 'UTC', layout);
    const cards = [...svg.matchAll(/<g class="chain-node[^>]*>([\s\S]*?)<\/g>/g)].map((match) => match[1]!);
    expect(cards).toHaveLength(3);
    for (const card of cards) {
      const cardWidth = Number(/<rect x="[\d.]+" y="[\d.]+" width="(\d+)"/.exec(card)![1]);
      for (const [, size, bold, inner] of card.matchAll(/<text x="[\d.]+" y="[\d.]+" font-size="([\d.]+)"( font-weight="700")?[^>]*>([\s\S]*?)<\/text>/g)) {
        const shown = inner!.replace(/<title>[\s\S]*?<\/title>/, '').replace(/&amp;/g, '&');
        expect(textWidth(shown, Number(size), Boolean(bold)), `${layout}: "${shown}"`).toBeLessThanOrEqual(cardWidth - 14 - 8);
        if (shown.endsWith('…')) expect(inner).toMatch(/^<title>[^<]{2,}<\/title>/);
      }
    }
    expect(svg).toContain('<title>Dr. Maximiliana Wolfeschlegelsteinhausen</title>');
    if (layout === 'tree') expect(svg).toContain('<title>Left · Decision-maker · Champion · Influencer</title>');
    // What fits is left whole, with no title of its own.
    expect(svg).toMatch(/font-size="14" font-weight="700" fill="#0f172a">Paul Whitman<\/text>/);
  }
});

it('measures text like Arial does: a wide W, a narrow i, bold a tenth wider', () => {
  expect(textWidth('WWWW', 10)).toBeGreaterThan(textWidth('iiii', 10) * 4);
  expect(textWidth('Champion', 11, true)).toBeCloseTo(textWidth('Champion', 11) * 1.1);
  expect(fitText('Left · Decision-maker · Champion', 100, 11)).toEqual({ text: 'Left · Decision…', abbreviated: true });
  expect(fitText('Champion', 100, 11)).toEqual({ text: 'Champion', abbreviated: false });
});
