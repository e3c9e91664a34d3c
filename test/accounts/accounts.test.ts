import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { type ApiClient, type Session, apiClient, postForm, sessionsAndClients, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let as: Record<'rep' | 'teammate' | 'manager' | 'outsider', Session>;
let api: Record<'rep' | 'teammate' | 'manager' | 'outsider', ApiClient>;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  ({ as, api } = await sessionsAndClients(t, { rep: people.rep, teammate: people.teammate, manager: people.manager, outsider: people.outsider }));
});
afterAll(() => t.close());

const accountRow = (id: number) => t.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('account pages', () => {
  it('a rep adds an account from the form and lands on its page', async () => {
    const form = await as.rep.agent.get('/accounts/new');
    expect(form.status).toBe(200);
    expect(form.text).toContain('New account');

    const response = await as.rep.submit('/accounts/new', '/accounts', {
      name: 'Lakeside Print Co',
      status: 'customer',
      meeting_cadence_days: '21',
      customer_since: '2024-03-01',
      notes: 'Two sites; the second opens in spring.',
    });
    expect(response.status).toBe(302);
    const row = await t.db.selectFrom('accounts').selectAll().where('name', '=', 'Lakeside Print Co').executeTakeFirstOrThrow();
    expect(response.headers.location).toBe(`/accounts/${row.id}`);
    expect(row).toMatchObject({ owner_id: people.rep.id, status: 'customer', meeting_cadence_days: 21, customer_since: '2024-03-01', archived: 0 });

    const page = await as.rep.agent.get(`/accounts/${row.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Lakeside Print Co added. Now map its buying chain.');
    expect(page.text).toContain('decision-maker meeting every 21 days');
    expect(page.text).toContain('Two sites; the second opens in spring.');
  });

  it('re-renders the new-account form with the input kept and errors beside the fields', async () => {
    const response = await as.rep.submit('/accounts/new', '/accounts', { name: '  ', status: 'customer', meeting_cadence_days: '3', notes: 'Met them at the expo' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-name">Name is required</);
    expect(response.text).toMatch(/id="error-meeting_cadence_days">At least every 7 days</);
    expect(response.text).toContain('value="3"');
    expect(response.text).toContain('Met them at the expo</textarea>');
    const saved = await t.db.selectFrom('accounts').select('id').where('notes', '=', 'Met them at the expo').execute();
    expect(saved).toHaveLength(0);
  });

  it('lets a manager add an account for a rep of their team, but not for someone outside it', async () => {
    const ok = await as.manager.submit('/accounts/new', '/accounts', { name: 'Granite Insurance', status: 'prospect', owner_id: String(people.rep.id) });
    expect(ok.status).toBe(302);
    const row = await t.db.selectFrom('accounts').select('owner_id').where('name', '=', 'Granite Insurance').executeTakeFirstOrThrow();
    expect(row.owner_id).toBe(people.rep.id);

    const refused = await as.manager.submit('/accounts/new', '/accounts', { name: 'Poached Corp', status: 'prospect', owner_id: String(people.outsider.id) });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/id="error-owner_id">Choose someone on your team</);
    expect(refused.text).toContain('value="Poached Corp"');
    expect(await t.db.selectFrom('accounts').select('id').where('name', '=', 'Poached Corp').execute()).toHaveLength(0);
  });

  it('shows the account page and edit form to the owner and their manager, and 404 to anyone else', async () => {
    const account = await t.make.account(people.rep, { name: 'Orchard Vet Clinic' });
    for (const path of [`/accounts/${account.id}`, `/accounts/${account.id}/edit`]) {
      for (const who of ['rep', 'manager'] as const) {
        const page = await as[who].agent.get(path);
        expect(page.status, `${who} ${path}`).toBe(200);
        expect(page.text).toContain('Orchard Vet Clinic');
      }
      for (const who of ['teammate', 'outsider'] as const) {
        const page = await as[who].agent.get(path);
        expect(page.status, `${who} ${path}`).toBe(404);
        expect(page.text).not.toContain('Orchard Vet Clinic');
      }
    }
    expect((await as.rep.agent.get('/accounts/not-a-number')).status).toBe(404);
    expect((await as.rep.agent.get('/accounts/999999')).status).toBe(404);
  });

  it('saves an edit and records it in the audit trail', async () => {
    const account = await t.make.account(people.rep, { name: 'Maple Street Bakery' });
    const response = await as.rep.submit(`/accounts/${account.id}/edit`, `/accounts/${account.id}`, {
      name: 'Maple Street Bakeries',
      status: 'customer',
      meeting_cadence_days: '14',
      customer_since: '',
      notes: 'Now three shops.',
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/accounts/${account.id}`);
    expect(await accountRow(account.id)).toMatchObject({ name: 'Maple Street Bakeries', meeting_cadence_days: 14, notes: 'Now three shops.', version: 2 });
    const audit = await t.db.selectFrom('audit_events').selectAll().where('entity_type', '=', 'account').where('entity_id', '=', account.id).where('action', '=', 'updated').executeTakeFirstOrThrow();
    expect(audit.user_id).toBe(people.rep.id);
    expect(JSON.parse(audit.changes)).toMatchObject({ name: ['Maple Street Bakery', 'Maple Street Bakeries'], meeting_cadence_days: [30, 14] });
  });

  it('clears the notes when the box is emptied', async () => {
    const account = await t.make.account(people.rep, { name: 'Clearwater Dental' });
    await t.db.updateTable('accounts').set({ notes: 'Old note' }).where('id', '=', account.id).execute();
    const response = await as.rep.submit(`/accounts/${account.id}/edit`, `/accounts/${account.id}`, { name: 'Clearwater Dental', status: 'customer', meeting_cadence_days: '30', notes: '' });
    expect(response.status).toBe(302);
    expect((await accountRow(account.id)).notes).toBe('');
  });

  it('re-renders the edit form on a bad value and saves nothing', async () => {
    const account = await t.make.account(people.rep, { name: 'Riverbend Hotel' });
    const response = await as.rep.submit(`/accounts/${account.id}/edit`, `/accounts/${account.id}`, {
      name: 'Riverbend Hotel & Spa',
      status: 'closed',
      meeting_cadence_days: '500',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-meeting_cadence_days">At most every 365 days</);
    expect(response.text).toContain('Choose prospect, customer or former');
    expect(response.text).toContain('value="Riverbend Hotel &amp; Spa"');
    expect(await accountRow(account.id)).toMatchObject({ name: 'Riverbend Hotel', status: 'customer', meeting_cadence_days: 30 });
  });

  it('refuses an edit or archive from a teammate or another team with 404, and lets the manager edit', async () => {
    const account = await t.make.account(people.rep, { name: 'Quarry Builders' });
    for (const who of ['teammate', 'outsider'] as const) {
      expect((await postForm(as[who], `/accounts/${account.id}`, { name: 'Hijacked' })).status).toBe(404);
      expect((await postForm(as[who], `/accounts/${account.id}/archive`, { archived: '1' })).status).toBe(404);
    }
    expect(await accountRow(account.id)).toMatchObject({ name: 'Quarry Builders', archived: 0 });

    const byManager = await postForm(as.manager, `/accounts/${account.id}`, { name: 'Quarry Builders Inc', status: 'customer', meeting_cadence_days: '30' });
    expect(byManager.status).toBe(302);
    expect((await accountRow(account.id)).name).toBe('Quarry Builders Inc');
  });

  it('archives an account out of the list and restores it', async () => {
    const account = await t.make.account(people.rep, { name: 'Foxglove Florists' });
    expect((await as.rep.agent.get('/accounts')).text).toContain('Foxglove Florists');

    const archive = await postForm(as.rep, `/accounts/${account.id}/archive`, { archived: '1' });
    expect(archive.status).toBe(302);
    expect(archive.headers.location).toBe('/accounts');
    expect((await accountRow(account.id)).archived).toBe(1);
    const list = await as.rep.agent.get('/accounts');
    expect(list.text).toContain('Foxglove Florists archived.');
    expect(list.text).not.toContain(`href="/accounts/${account.id}"`);

    const restore = await postForm(as.rep, `/accounts/${account.id}/archive`, { archived: '0' });
    expect(restore.headers.location).toBe(`/accounts/${account.id}`);
    expect((await accountRow(account.id)).archived).toBe(0);
    const actions = await t.db.selectFrom('audit_events').select('action').where('entity_type', '=', 'account').where('entity_id', '=', account.id).orderBy('id').execute();
    expect(actions.map((row) => row.action)).toEqual(['created', 'archived', 'updated']);
  });

  it('shows the timeline newest first, twenty to a page', async () => {
    const account = await t.make.account(people.rep, { name: 'Timeline Tools' });
    const contact = await t.make.contact(people.rep, account.id, { name: 'Tess Timeline' });
    for (let day = 1; day <= 21; day++)
      await t.make.touchpoint(people.rep, account.id, { contact_ids: [contact.id], occurred_at: `2026-10-${String(day).padStart(2, '0')}T15:00:00Z`, summary: `Visit number ${day}.` });

    const first = await as.rep.agent.get(`/accounts/${account.id}`);
    expect(first.text).toContain('Page 1 of 2');
    expect(first.text.indexOf('Visit number 21.')).toBeLessThan(first.text.indexOf('Visit number 20.'));
    expect(first.text).toContain('Visit number 2.');
    expect(first.text).not.toContain('Visit number 1.');
    const second = await as.rep.agent.get(`/accounts/${account.id}?page=2`);
    expect(second.text).toContain('Visit number 1.');
    expect(second.text).not.toContain('Visit number 2.');
  });
});

describe('accounts API', () => {
  it('creates an account: 201 with the whole object and its id', async () => {
    const response = await api.rep.post('/accounts', { name: 'Birch Accounting', status: 'customer', meeting_cadence_days: 45 });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'Birch Accounting', status: 'customer', meeting_cadence_days: 45, owner_id: people.rep.id, archived: false, notes: '' });
    expect(response.body.id).toBeDefined();
    expect(await accountRow(response.body.id)).toMatchObject({ name: 'Birch Accounting', owner_id: people.rep.id, meeting_cadence_days: 45 });
  });

  it('answers 400 naming each bad field, and saves nothing', async () => {
    const response = await api.rep.post('/accounts', { name: '', status: 'gone', meeting_cadence_days: 'monthly' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(Object.keys(response.body.error.fields).sort()).toEqual(['meeting_cadence_days', 'name', 'status']);
    const owner = await api.rep.post('/accounts', { name: 'Not Yours', owner_id: people.outsider.id });
    expect(owner.status).toBe(400);
    expect(owner.body.error.fields).toHaveProperty('owner_id');
    expect(await t.db.selectFrom('accounts').select('id').where('name', '=', 'Not Yours').execute()).toHaveLength(0);
  });

  it('lists only the accounts the caller may see, with paging fields', async () => {
    const mine = await t.make.account(people.rep, { name: 'Listed Mine' });
    const teammates = await t.make.account(people.teammate, { name: 'Listed Teammate' });
    const theirs = await t.make.account(people.outsider, { name: 'Listed Outsider' });

    const rep = await api.rep.get('/accounts?per_page=200');
    expect(rep.status).toBe(200);
    expect(rep.body).toMatchObject({ page: 1, per_page: 200, pages: 1 });
    const repIds = rep.body.data.map((row: { id: number }) => row.id);
    expect(rep.body.total).toBe(repIds.length);
    expect(repIds).toContain(mine.id);
    expect(repIds).not.toContain(teammates.id);
    expect(repIds).not.toContain(theirs.id);
    expect(rep.body.data.every((row: { owner_id: number }) => row.owner_id === people.rep.id)).toBe(true);

    const manager = await api.manager.get('/accounts?per_page=200');
    const managerIds = manager.body.data.map((row: { id: number }) => row.id);
    expect(managerIds).toEqual(expect.arrayContaining([mine.id, teammates.id]));
    expect(managerIds).not.toContain(theirs.id);

    const paged = await api.rep.get('/accounts?per_page=1&page=2');
    expect(paged.body.data).toHaveLength(1);
    expect(paged.body).toMatchObject({ page: 2, per_page: 1, total: rep.body.total, pages: rep.body.total });
  });

  it('reads one account as itself; another team, a teammate, unknown and malformed ids are 404', async () => {
    const account = await t.make.account(people.rep, { name: 'Single Read Ltd' });
    const own = await api.rep.get(`/accounts/${account.id}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: account.id, name: 'Single Read Ltd', owner_id: people.rep.id });
    expect((await api.manager.get(`/accounts/${account.id}`)).status).toBe(200);
    for (const [client, path] of [
      [api.teammate, `/accounts/${account.id}`],
      [api.outsider, `/accounts/${account.id}`],
      [api.rep, '/accounts/999999'],
      [api.rep, '/accounts/abc'],
      [api.rep, '/accounts/1e3'],
    ] as const) {
      const response = await client.get(path);
      expect(response.status, path).toBe(404);
      expect(response.body.error.code).toBe('not_found');
      expect(JSON.stringify(response.body)).not.toContain('Single Read Ltd');
    }
  });

  it('patches an account; a bad field is 400 and another team is 404, both saving nothing', async () => {
    const account = await t.make.account(people.rep, { name: 'Patchwork Inc' });
    const patched = await api.rep.patch(`/accounts/${account.id}`, { meeting_cadence_days: 14, status: 'former' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: account.id, name: 'Patchwork Inc', meeting_cadence_days: 14, status: 'former' });
    expect(await accountRow(account.id)).toMatchObject({ meeting_cadence_days: 14, status: 'former' });

    const invalid = await api.rep.patch(`/accounts/${account.id}`, { meeting_cadence_days: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.fields).toHaveProperty('meeting_cadence_days');

    for (const client of [api.outsider, api.teammate]) expect((await client.patch(`/accounts/${account.id}`, { name: 'Taken' })).status).toBe(404);
    expect((await api.manager.patch(`/accounts/${account.id}`, { name: 'Patchwork Group' })).status).toBe(200);
    expect(await accountRow(account.id)).toMatchObject({ name: 'Patchwork Group', meeting_cadence_days: 14 });
  });

  it('answers 401 without a token or with a bad one', async () => {
    const none = await supertest(t.app).get('/api/v1/accounts');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const bad = await apiClient(t.app, 'bc_not-a-real-token').get('/accounts');
    expect(bad.status).toBe(401);
    const basic = await supertest(t.app).get('/api/v1/accounts').set('Authorization', 'Basic dXNlcjpwYXNz');
    expect(basic.status).toBe(401);
  });

  it('answers 413 to a body over 100 kB and saves nothing', async () => {
    const response = await api.rep.post('/accounts', { name: 'Huge Notes Inc', notes: 'x'.repeat(101 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
    expect(await t.db.selectFrom('accounts').select('id').where('name', '=', 'Huge Notes Inc').execute()).toHaveLength(0);
  });
});
