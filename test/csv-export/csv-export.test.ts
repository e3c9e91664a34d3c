import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const records = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

describe('CSV export', () => {
  it('streams everything the user may see, and nothing else', async () => {
    const { manager, rep } = await t.make.team('Export');
    const { rep: outsider } = await t.make.team('Outside');
    const account = await t.make.account(rep, { name: 'Copiers Inc' });
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', email: 'maria@copiers.test', roles: ['decision_maker', 'boss'], phone: '+1 555 0100' });
    await t.make.touchpoint(rep, account.id, { contact_ids: [maria.id], summary: '=HYPERLINK("http://evil")', internal_notes: 'Budget is tight', next_step: 'Send quote', next_step_due_on: '2026-11-30' });
    await t.db
      .insertInto('complaints')
      .values({ account_id: account.id, contact_id: maria.id, category: 'delivery', issue: 'Late toner', raised_on: '2026-11-20', acknowledged_on: null, acknowledged_by_id: null, resolution: null, response: null, resolved_on: null, resolved_by_id: null, follow_up_due_on: null, verified_on: null, verified_by_id: null, satisfied: null, outcome: null, created_at: '2026-11-20T10:00:00.000Z', updated_at: '2026-11-20T10:00:00.000Z' })
      .execute();
    await t.make.contact(outsider, (await t.make.account(outsider, { name: 'Secret Corp' })).id, { name: 'Hidden Person' });

    const { agent } = await signIn(t.app, manager);
    // "Import & export" is one page, import first.
    expect((await agent.get('/export')).headers.location).toBe('/import#export');
    const page = await agent.get('/import');
    expect(page.text).toContain('href="/export/complaints.csv"');
    expect(page.text.indexOf('Import accounts and contacts')).toBeLessThan(page.text.indexOf('id="export-heading"'));

    const accounts = await agent.get('/export/accounts.csv');
    expect(accounts.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(accounts.headers['content-disposition']).toBe('attachment; filename=buychain-accounts-2026-11-23.csv');
    expect(records(accounts.text).map((row) => row.account)).toEqual(['Copiers Inc']);

    const contacts = records((await agent.get('/export/contacts.csv')).text);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ account: 'Copiers Inc', owner_email: rep.email, name: 'Maria Lopez', roles: 'decision_maker; boss', phone: "'+1 555 0100", contact_status: 'active' });

    const touchpoints = records((await agent.get('/export/touchpoints.csv')).text);
    expect(touchpoints[0]).toMatchObject({ contacts: 'Maria Lopez', summary: `'=HYPERLINK("http://evil")`, internal_notes: 'Budget is tight' });
    expect(records((await agent.get('/export/commitments.csv')).text)[0]).toMatchObject({ description: 'Send quote', due_on: '2026-11-30', contact: 'Maria Lopez' });
    expect(records((await agent.get('/export/complaints.csv')).text)[0]).toMatchObject({ category: 'delivery', issue: 'Late toner' });

    const { agent: outsiderAgent } = await signIn(t.app, outsider);
    const theirs = records((await outsiderAgent.get('/export/contacts.csv')).text);
    expect(theirs.map((row) => row.name)).toEqual(['Hidden Person']);
  });

  it('neutralises full-width formula starters (＝ ＋ － ＠) like their ASCII twins', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep, { name: '＝HYPERLINK("http://evil")' });
    for (const name of ['＋1 555', '－SUM(A1)', '＠foo']) await t.make.contact(rep, account.id, { name });
    const { agent } = await signIn(t.app, rep);
    expect(records((await agent.get('/export/accounts.csv')).text)[0]!.account).toBe(`'＝HYPERLINK("http://evil")`);
    const names = records((await agent.get('/export/contacts.csv')).text).map((row) => row.name);
    expect(names.sort()).toEqual(["'＋1 555", "'＠foo", "'－SUM(A1)"].sort());
  });

  it('pages through accounts in chunks without losing or repeating any', async () => {
    const rep = await t.make.user();
    for (let index = 0; index < 205; index++) await t.make.account(rep, { name: `Account ${String(index).padStart(3, '0')}` });
    const { agent } = await signIn(t.app, rep);
    const rows = records((await agent.get('/export/accounts.csv')).text);
    expect(rows).toHaveLength(205);
    expect(new Set(rows.map((row) => row.id)).size).toBe(205);
  });

  it('exports contacts in a form the importer reads back without creating anything', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep, { name: 'Round Trip Ltd' });
    await t.make.contact(rep, account.id, { name: 'Rita Round', email: 'rita@round.test', roles: ['user'], phone: '+44 20 7946 0000', birthday: '02-29' });
    await t.make.contact(rep, account.id, { name: 'No Email' });
    const { agent, submit } = await signIn(t.app, rep);
    const exported = (await agent.get('/export/contacts.csv')).text;
    const preview = await submit('/import', '/import', { csv: exported });
    expect(preview.text).toContain('<strong>0</strong> new accounts, <strong>0</strong> new contacts');
    expect(preview.text).toContain('1 account and 2 contacts already here');
    expect(preview.text).toContain('<strong>0</strong> rows with problems');
  });

  it('answers 404 for an export that does not exist', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    expect((await agent.get('/export/users.csv')).status).toBe(404);
    expect((await agent.get('/export/accounts')).status).toBe(404);
  });
});
