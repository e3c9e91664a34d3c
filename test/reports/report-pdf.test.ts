import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSharedChromium } from '../../src/pdf/chromium.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { saveCompanyLogo, saveCompanyName } from '../../src/company/company.service.js';
import { markers, northwind } from './report-fixture.js';

// Real Chromium prints the report; poppler-utils reads the PDF back as a person would see it.

let t: TestApp;
let data: Awaited<ReturnType<typeof northwind>>;
let rep: Awaited<ReturnType<typeof signIn>>;
const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-report-'));
const screenshot = path.resolve('docs/screenshots/report');

beforeAll(async () => {
  t = await createTestApp();
  data = await northwind(t, { extraTouchpoints: 36 });
  rep = await signIn(t.app, data.rep);
});
afterAll(async () => {
  await closeSharedChromium();
  await t.close();
});

async function downloadPdf(query: string) {
  const response = await rep.agent
    .get(`/accounts/${data.account.id}/report.pdf${query}`)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
  const file = path.join(folder, `report-${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, response.body as Buffer);
  return { response, file };
}

/** The text of each page, in order (pdftotext separates pages with form feeds). */
const pagesOf = (file: string) => execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).split('\f').slice(0, -1);
const pageWith = (pages: string[], text: string) => pages.findIndex((page) => page.includes(text));
const firstLine = (page: string) => page.split('\n').find((line) => line.trim() !== '')?.trim();

describe('the report as a PDF, printed by Chromium', () => {
  it('is issued by the selling company, never the product, when no company is set', async () => {
    const { file } = await downloadPdf('?sections=summary');
    const [first] = pagesOf(file);
    expect(first).not.toMatch(/Buychain/i);
    expect(first).toContain('Northwind Logistics · Account history');
  });

  it('downloads a paginated A4 document with the company, the entries, page numbers and section breaks', async () => {
    await saveCompanyName(t.db, t.clock, 'Bluewater Office Systems');
    await saveCompanyLogo(t.db, t.clock, {
      contentType: 'image/svg+xml',
      data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="120" height="40" fill="#1f3a5f"/></svg>'),
    });
    const { response, file } = await downloadPdf(`?prepared_for=${data.maria.id}&paper=a4`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toBe('attachment; filename="Northwind Logistics - account history 2026-11-23.pdf"');
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Page size:.*\(A4\)/);

    const pages = pagesOf(file);
    const text = pages.join('\n');
    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(text).toContain('Prepared for Maria Lopez, Chief Operating Officer');
    expect(text).toContain('Installed six colour copiers across the second floor.');
    expect(text).toContain('Month-end invoices went out on time');
    expect(text).toContain('Moved Northwind to our priority courier route.');
    expect(text).toContain('https://videos.example.com/northwind-tom');
    pages.forEach((page, index) => expect(page).toContain(`Page ${index + 1} of ${pages.length}`));
    pages.forEach((page) => expect(page).toContain('Bluewater Office Systems · Northwind Logistics · Account history'));
    expect(firstLine(pages[0]!)!.replace(/\s/g, '')).toBe('BLUEWATEROFFICESYSTEMS');

    // The cover page holds the summary and the people; the timeline, issues and testimonials each start a page.
    expect(pageWith(pages, 'At a glance')).toBe(0);
    expect(pageWith(pages, 'The people we work with')).toBe(0);
    for (const heading of ['Timeline of our work together', 'Service issues and how we resolved them', 'Testimonials']) {
      const page = pageWith(pages, heading);
      expect(page, heading).toBeGreaterThan(0);
      expect(firstLine(pages[page]!)).toBe(heading);
    }
    // No entry is split across pages: each visit's summary and its value delivered share a page.
    for (let n = 1; n <= 36; n++)
      expect(pageWith(pages, `Routine visit number ${n} to`), `visit ${n}`).toBe(pageWith(pages, `Uptime kept above 99 percent, visit ${n}`));

    // The README's picture of the first page, made from the real PDF.
    mkdirSync(path.dirname(screenshot), { recursive: true });
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', file, screenshot]);
  });

  it('never contains an internal note, with every option ticked', async () => {
    const { file } = await downloadPdf(`?prepared_for=${data.maria.id}&details=email&details=phone&details=birthday`);
    const text = pagesOf(file).join('\n');
    expect(text).toContain('maria.lopez@northwind.example');
    for (const marker of Object.values(markers)) expect(text).not.toContain(marker);
  });

  it('prints on US Letter when asked', async () => {
    const { file } = await downloadPdf('?paper=letter&sections=summary');
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Page size:\s+612 x 792 pts \(letter\)/);
    expect(pagesOf(file)).toHaveLength(1);
  });
});
