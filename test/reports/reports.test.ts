import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { reportOptionsSchema } from '../../src/reports/reports.schemas.js';
import { buildAccountReport, getReportAccount } from '../../src/reports/reports.service.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { markers, northwind } from './report-fixture.js';

let t: TestApp;
let data: Awaited<ReturnType<typeof northwind>>;
let rep: Awaited<ReturnType<typeof signIn>>;
beforeAll(async () => {
  t = await createTestApp();
  data = await northwind(t);
  rep = await signIn(t.app, data.rep);
});
afterAll(() => t.close());

const reportOf = (query = '') => rep.agent.get(`/accounts/${data.account.id}/report${query}`);
/** The text between two strings of the page (to check what falls under which heading). */
const between = (html: string, start: string, end: string) => {
  const from = html.indexOf(start);
  expect(from, `"${start}" is on the page`).toBeGreaterThanOrEqual(0);
  const to = html.indexOf(end, from + start.length);
  return html.slice(from, to < 0 ? undefined : to);
};

describe('the account-history report', () => {
  it('is a document for the customer: no navigation, who prepared it and when, and no product branding', async () => {
    const response = await reportOf();
    expect(response.status).toBe(200);
    expect(response.text).toContain('Northwind Logistics');
    // Without a company name and logo (Admin → Company) the account's name heads the report alone.
    expect(between(response.text, '<article', '</article>')).not.toMatch(/Buychain|report-issuer/i);
    expect(response.text).toContain('Prepared by</dt><dd>Riley Chen');
    expect(response.text).toContain('23 Nov 2026');
    expect(response.text).toContain('href="/static/report.css"');
    expect(response.text).not.toContain('Sign out');
    expect(response.text).not.toContain('My accounts');
    // The whole relationship by default: from the day they became a customer.
    expect(response.text).toContain('Our work together, 1 Mar 2024 – 23 Nov 2026');
    expect(response.text).toContain('Page numbers appear in the PDF download');
    expect(response.text).toContain(`href="/accounts/${data.account.id}/report.pdf"`);
  });

  it('sums up the relationship at a glance', async () => {
    const glance = between((await reportOf()).text, 'id="summary-heading"', '</section>');
    const figure = (caption: string) => new RegExp(`<span class="figure">([^<]+)</span> <span class="figure-caption">${caption}</span>`).exec(glance)?.[1];
    expect(figure('Customer since')).toBe('1 Mar 2024');
    expect(figure('Meetings')).toBe('2');
    expect(figure('Deliveries')).toBe('1');
    expect(figure('Service calls')).toBe('1');
    expect(figure('Issues resolved')).toBe('1');
    expect(figure('People we work with')).toBe('3');
  });

  it('lists the people we work with in customer words, key roles first, without those who left', async () => {
    const people = between((await reportOf()).text, 'id="people-heading"', '</section>');
    expect(people).toContain('Maria Lopez');
    expect(people).toContain('Chief Operating Officer');
    expect(people.indexOf('Maria Lopez')).toBeLessThan(people.indexOf('Priya Raman'));
    expect(people.indexOf('Priya Raman')).toBeLessThan(people.indexOf('Tom Ng'));
    expect(people).toContain('Executive sponsor');
    expect(people).toContain('Adviser, Day-to-day user');
    expect(people).not.toContain('Dan Okafor');
  });

  it('groups the timeline by month in the viewer’s time zone, oldest first', async () => {
    const timeline = between((await reportOf()).text, 'Timeline of our work together', '</section>');
    const october = between(timeline, '<h3 class="report-month">October 2026</h3>', '<h3');
    // 02:30 UTC on 1 November is 22:30 on Saturday 31 October in New York.
    expect(october).toContain('Sat 31 Oct');
    expect(october).toContain('Late-evening repair of the mailroom copier');
    expect(october).toContain('Service call <span class="report-muted">with Tom Ng</span>');
    expect(october).toContain('<strong>Value delivered:</strong> Month-end invoices went out on time');
    const november = between(timeline, '<h3 class="report-month">November 2026</h3>', '</ol>');
    expect(november).toContain('Welcomed Maria as the new COO');
    expect(november).toContain('with Maria Lopez and Priya Raman');
    expect(timeline.indexOf('September 2026')).toBeLessThan(timeline.indexOf('October 2026'));
    // People who have left still appear in the history they took part in.
    expect(timeline).toContain('with Dan Okafor and Tom Ng');
  });

  it('shows the same touchpoint in November to a viewer in UTC', async () => {
    const manager = await signIn(t.app, data.manager);
    const timeline = between((await manager.agent.get(`/accounts/${data.account.id}/report`)).text, 'Timeline of our work', '</section>');
    const november = between(timeline, 'November 2026', '</ol>');
    expect(november).toContain('Sun 1 Nov');
    expect(november).toContain('Late-evening repair of the mailroom copier');
    expect(between(timeline, 'October 2026', '</ol>')).not.toContain('mailroom');
  });

  it('shows service issues once resolved, with the resolution, response and outcome', async () => {
    const issues = between((await reportOf()).text, 'Service issues and how we resolved them</h2>', '</section>');
    expect(issues).toContain('Toner deliveries arrived two days late.');
    expect(issues).toContain('Moved Northwind to our priority courier route.');
    expect(issues).toContain('Called Tom the same day and credited the delivery charge.');
    expect(issues).toContain('Every delivery since has arrived on time.');
    expect(issues).toContain('Raised 20 Oct 2026 · resolved 22 Oct 2026');
    expect(issues).toContain('Confirmed resolved to your satisfaction on 5 Nov 2026.');
    expect(issues).not.toContain('still open');
  });

  it('collects testimonials, linking only to web addresses', async () => {
    const testimonials = between((await reportOf()).text, 'Testimonials</h2>', '</section>');
    expect(testimonials).toContain('href="https://videos.example.com/northwind-tom"');
    expect(testimonials).toContain('Tom Ng <span class="report-muted">· Service call</span>');
    expect(testimonials).toContain('31 Oct 2026');

    await t.db.updateTable('touchpoints').set({ testimonial_url: 'javascript:alert(1)' }).where('summary', 'like', 'Welcomed Maria%').execute();
    const again = await reportOf();
    expect(again.text).not.toContain('javascript:');
    await t.db.updateTable('touchpoints').set({ testimonial_url: null }).where('summary', 'like', 'Welcomed Maria%').execute();
  });

  it('says "Prepared for" the contact chosen', async () => {
    const response = await reportOf(`?prepared_for=${data.maria.id}`);
    expect(response.text).toContain('Prepared for Maria Lopez, Chief Operating Officer');
    expect(response.text).toContain(`<option value="${data.maria.id}" selected>`);
  });

  it('includes only the sections ticked', async () => {
    const response = await reportOf('?sections=&sections=timeline&sections=testimonials&paper=a4');
    expect(response.status).toBe(200);
    expect(response.text).toContain('Timeline of our work together');
    expect(response.text).toContain('Testimonials</h2>');
    expect(response.text).not.toContain('At a glance</h2>');
    expect(response.text).not.toContain('The people we work with</h2>');
    expect(response.text).not.toContain('Service issues and how we resolved them</h2>');
    expect(response.text).toMatch(/value="issues"\s*>/);
    expect(response.text).toMatch(/value="timeline" checked>/);
  });

  it('keeps birthdays, phone numbers and email addresses out unless the rep ticks them', async () => {
    const plain = await reportOf();
    expect(plain.text).not.toContain('maria.lopez@northwind.example');
    expect(plain.text).not.toContain('555 0143');
    expect(plain.text).not.toContain('14 March');

    const ticked = await reportOf('?details=&details=email&details=phone&details=birthday');
    const people = between(ticked.text, 'id="people-heading"', '</section>');
    expect(people).toContain('maria.lopez@northwind.example');
    expect(people).toContain('+1 212 555 0143');
    expect(people).toContain('14 March');
    expect(people).not.toContain('1980');
  });

  it('never shows internal notes, account notes or the audit trail, whatever the options', async () => {
    const everything = `?prepared_for=${data.maria.id}&details=email&details=phone&details=birthday`;
    for (const query of ['', everything]) {
      const response = await reportOf(query);
      for (const marker of Object.values(markers)) expect(response.text).not.toContain(marker);
    }
  });

  it('filters by a date range read in the viewer’s calendar', async () => {
    const response = await reportOf('?from=2026-10-01&to=2026-10-31');
    expect(response.text).toContain('Our work together, 1 Oct 2026 – 31 Oct 2026');
    expect(response.text).toContain('Late-evening repair of the mailroom copier');
    expect(response.text).toContain('Quarterly review over coffee');
    expect(response.text).not.toContain('Installed six colour copiers');
    expect(response.text).not.toContain('Welcomed Maria');
    expect(response.text).toContain('Toner deliveries arrived two days late.');
    expect(response.text).toContain('value="2026-10-01"');

    const later = await reportOf('?from=2026-11-01&show_empty=1');
    expect(later.text).not.toContain('mailroom copier');
    expect(later.text).not.toContain('Toner deliveries');
    expect(later.text).toContain('No service issues were resolved in this period.');
  });

  it('leaves out empty sections and figures of zero unless asked for', async () => {
    const later = await reportOf('?from=2026-11-20');
    expect(later.text).not.toContain('id="issues-heading"');
    expect(later.text).not.toContain('id="testimonials-heading"');
    expect(later.text).not.toContain('No service issues were resolved in this period.');
    expect(between(later.text, 'id="summary-heading"', '</section>')).not.toMatch(/<span class="figure">0<\/span>/);
    expect(later.text).toContain('People we work with');

    const asked = await reportOf('?from=2026-11-20&show_empty=1');
    expect(asked.text).toContain('No service issues were resolved in this period.');
    expect(asked.text).toMatch(/<span class="figure">0<\/span> <span class="figure-caption">Deliveries/);
    expect(asked.text).toMatch(/name="show_empty" value="1" checked/);
  });

  it('shows empty states for a new account when asked', async () => {
    const account = await t.make.account(data.rep, { name: 'Brand New Co' });
    const response = await rep.agent.get(`/accounts/${account.id}/report?show_empty=1`);
    expect(response.status).toBe(200);
    expect(response.text).toContain('No contacts are recorded for this account yet.');
    expect(response.text).toContain('No meetings, calls or deliveries in this period.');
    expect(response.text).toContain('No service issues were resolved in this period.');
    expect(response.text).toContain('No testimonials were recorded in this period.');
  });

  it('reads the history in a fixed number of queries, however long it is', async () => {
    let queries = 0;
    // Counted as results come back: one per query sent to the database.
    const counting = t.db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        queries++;
        return args.result;
      },
    });
    const options = reportOptionsSchema('UTC').parse({});
    const countFor = async (accountId: number) => {
      queries = 0;
      const account = await getReportAccount(counting, data.rep, accountId);
      const report = await buildAccountReport(counting, account, options, { viewer: data.rep, now: t.clock.now() });
      return { queries, entries: report.timeline!.months.reduce((sum, month) => sum + month.entries.length, 0) };
    };

    const big = await t.make.account(data.rep, { name: 'Big History Inc' });
    const contact = await t.make.contact(data.rep, big.id, { name: 'Sam Big' });
    const rows = Array.from({ length: 500 }, (_, n) => ({
      account_id: big.id,
      author_id: data.rep.id,
      kind: 'meeting' as const,
      location: 'customer_office' as const,
      occurred_at: new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString(),
      summary: `Meeting ${n}`,
      created_at: t.clock.now().toISOString(),
    }));
    const ids = await t.db.insertInto('touchpoints').values(rows).returning(['id', 'occurred_at']).execute();
    await t.db
      .insertInto('touchpoint_contacts')
      .values(ids.map((row) => ({ touchpoint_id: row.id, contact_id: contact.id, account_id: big.id, occurred_at: row.occurred_at, kind: 'meeting', location: 'customer_office' })))
      .execute();

    const small = await countFor(data.account.id);
    const large = await countFor(big.id);
    expect(large.entries).toBe(500);
    expect(large.queries).toBe(small.queries);
    expect(large.queries).toBeLessThanOrEqual(6);
  });

  it('is linked from the account page and, for a decision-maker, from their contact page', async () => {
    expect((await rep.agent.get(`/accounts/${data.account.id}`)).text).toContain(`href="/accounts/${data.account.id}/report"`);
    const contactPage = await rep.agent.get(`/contacts/${data.maria.id}`);
    expect(contactPage.text).toContain(`href="/accounts/${data.account.id}/report?prepared_for=${data.maria.id}"`);
    expect(contactPage.text).toContain('Prepare the history for Maria Lopez');
  });
});

describe('who may print it', () => {
  it('refuses another team’s account as not found, page and PDF alike', async () => {
    const outsider = await signIn(t.app, await t.make.user({ name: 'Other Team Rep' }));
    for (const path of ['report', 'report.pdf']) {
      const response = await outsider.agent.get(`/accounts/${data.account.id}/${path}`);
      expect(response.status).toBe(404);
      expect(response.text).not.toContain('Northwind');
    }
    expect((await outsider.agent.get('/accounts/abc/report')).status).toBe(404);
  });

  it('lets the rep’s manager print it', async () => {
    const manager = await signIn(t.app, data.manager);
    expect((await manager.agent.get(`/accounts/${data.account.id}/report`)).status).toBe(200);
  });

  it('refuses a "prepared for" who is not a contact of this account', async () => {
    const otherRep = await t.make.user({ name: 'Elsewhere Rep' });
    const otherAccount = await t.make.account(otherRep, { name: 'Elsewhere Ltd' });
    const stranger = await t.make.contact(otherRep, otherAccount.id, { name: 'Secret Stranger' });
    const ownOtherAccount = await t.make.account(data.rep, { name: 'Riley Second Account' });
    const colleague = await t.make.contact(data.rep, ownOtherAccount.id, { name: 'Wrong Account Person' });
    for (const contact of [stranger, colleague]) {
      for (const path of ['report', 'report.pdf']) {
        const response = await rep.agent.get(`/accounts/${data.account.id}/${path}?prepared_for=${contact.id}`);
        expect(response.status).toBe(400);
        expect(response.text).toContain('Choose someone at this account');
        expect(response.text).not.toContain(contact.name);
      }
    }
  });
});

describe('validating the options', () => {
  it('refuses a range that ends before it starts, keeping what was typed', async () => {
    const response = await reportOf('?from=2026-11-10&to=2026-11-01');
    expect(response.status).toBe(400);
    expect(response.text).toContain('The end date must be on or after the start date');
    expect(response.text).toContain('value="2026-11-10"');
    expect(response.text).toContain('aria-invalid="true"');
    expect(response.text).toContain('Fix the options above to see the report.');
    expect(response.text).not.toContain('Timeline of our work together');
  });

  it('refuses dates that are not dates, an unknown paper and no sections at all', async () => {
    expect((await reportOf('?from=yesterday')).text).toContain('Use a date like 2026-11-23');
    expect((await reportOf('?to=2026-02-30')).text).toContain('Not a real date');
    expect((await reportOf('?paper=a3')).text).toContain('Choose A4 or US Letter');
    const none = await reportOf('?sections=');
    expect(none.status).toBe(400);
    expect(none.text).toContain('Choose at least one section');
    expect((await rep.agent.get(`/accounts/${data.account.id}/report.pdf?from=2026-11-10&to=2026-11-01`)).status).toBe(400);
  });
});

describe('without Chromium', () => {
  it('explains that printing from the browser gives the same result, and the PDF answers 503', async () => {
    const config = { ...parseConfig({ DATABASE_URL: t.url, LOG_LEVEL: 'silent' }), chromiumPath: '/nonexistent/chromium' };
    const app = createApp({ db: t.db, clock: t.clock, mailer: t.mailer, config, logger: pino({ level: 'silent' }) });
    const { agent } = await signIn(app, data.rep);
    const page = await agent.get(`/accounts/${data.account.id}/report`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Download PDF');
    expect(page.text).toContain('Printing from your browser (Print, then Save as PDF) gives the same document.');
    const pdf = await agent.get(`/accounts/${data.account.id}/report.pdf`);
    expect(pdf.status).toBe(503);
    expect(pdf.text).toContain('Chromium is not installed');
  });
});
