import path from 'node:path';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promisesDue } from '../../src/commitments/commitments.service.js';
import { handlebars, viewsFolder } from '../../src/views/setup.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const api = (token: string) => ({
  get: (url: string) => supertest(t.app).get(url).set('Authorization', `Bearer ${token}`),
  post: (url: string, body: object) => supertest(t.app).post(url).set('Authorization', `Bearer ${token}`).send(body),
  patch: (url: string, body: object) => supertest(t.app).patch(url).set('Authorization', `Bearer ${token}`).send(body),
});

describe('commitments API', () => {
  it('records a promise, lists it, marks it done and reopens it', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez' });
    const client = api(await t.make.apiToken(rep));

    const created = await client.post(`/api/v1/accounts/${account.id}/commitments`, { description: 'Send the toner price list', due_on: '2026-11-27', contact_id: maria.id });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ description: 'Send the toner price list', due_on: '2026-11-27', contact_id: maria.id, owner_id: rep.id, done: false, source: 'manual' });

    const list = await client.get(`/api/v1/accounts/${account.id}/commitments`);
    expect(list.body.data.map((row: { id: number }) => row.id)).toEqual([created.body.id]);
    expect(list.body.total).toBe(1);

    const done = await client.patch(`/api/v1/commitments/${created.body.id}`, { done: true });
    expect(done.body).toMatchObject({ done: true, done_at: '2026-11-23T14:00:00.000Z' });
    expect((await client.get(`/api/v1/accounts/${account.id}/commitments?status=open`)).body.data).toEqual([]);

    const reopened = await client.patch(`/api/v1/commitments/${created.body.id}`, { done: false });
    expect(reopened.body).toMatchObject({ done: false, done_at: null });
  });

  it('names every bad field', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const client = api(await t.make.apiToken(rep));
    const response = await client.post(`/api/v1/accounts/${account.id}/commitments`, { due_on: '2026-02-30' });
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toEqual({ description: 'What you promised is required', due_on: 'Not a real date' });
    const created = await client.post(`/api/v1/accounts/${account.id}/commitments`, { description: 'Call back', due_on: '2026-11-30' });
    const badPatch = await client.patch(`/api/v1/commitments/${created.body.id}`, { done: 'maybe' });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.error.fields.done).toBeDefined();
  });

  it('refuses a contact from another account', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const elsewhere = await t.make.contact(rep, (await t.make.account(rep)).id);
    const response = await api(await t.make.apiToken(rep)).post(`/api/v1/accounts/${account.id}/commitments`, { description: 'x', due_on: '2026-11-30', contact_id: elsewhere.id });
    expect(response.status).toBe(400);
    expect(response.body.error.fields.contact_id).toBe('Choose someone at this account');
  });

  it("answers 404 for another team's account or commitment, and for malformed ids", async () => {
    const { rep } = await t.make.team('North');
    const { rep: stranger } = await t.make.team('South');
    const account = await t.make.account(rep);
    const own = api(await t.make.apiToken(rep));
    const created = await own.post(`/api/v1/accounts/${account.id}/commitments`, { description: 'Quote', due_on: '2026-11-30' });
    const other = api(await t.make.apiToken(stranger));
    expect((await other.get(`/api/v1/accounts/${account.id}/commitments`)).status).toBe(404);
    expect((await other.post(`/api/v1/accounts/${account.id}/commitments`, { description: 'x', due_on: '2026-11-30' })).status).toBe(404);
    expect((await other.get(`/api/v1/commitments/${created.body.id}`)).status).toBe(404);
    expect((await other.patch(`/api/v1/commitments/${created.body.id}`, { done: true })).status).toBe(404);
    expect((await own.patch('/api/v1/commitments/abc', { done: true })).status).toBe(404);
    const row = await t.db.selectFrom('commitments').select('done_at').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.done_at).toBeNull();
  });
});

describe('commitment pages', () => {
  it('lists promises from every source with the contact’s preferred channel, adds one and marks one done with a plain form', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep, { name: 'Copiers Inc' });
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', preferred_channel: 'phone', preferred_time: 'mornings' });
    await t.make.touchpoint(rep, account.id, { contact_ids: [maria.id], next_step: 'Send the toner price list', next_step_due_on: '2026-11-20' });
    await t.db
      .insertInto('commitments')
      .values({ account_id: account.id, contact_id: maria.id, owner_id: rep.id, description: 'Coffee with the successor', due_on: '2026-11-30', done_at: null, source: 'playbook', touchpoint_id: null, departed_contact_id: null, playbook_step: null, created_at: '2026-11-23T10:00:00.000Z' })
      .execute();
    const { agent, submit } = await signIn(t.app, rep);

    const page = await agent.get(`/accounts/${account.id}/commitments`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Send the toner price list');
    expect(page.text).toMatch(/Late<\/strong> · was due <time datetime="2026-11-20">/);
    expect(page.text).toContain('next step from a touchpoint');
    expect(page.text).toContain('Coffee with the successor');
    expect(page.text).toContain('departure playbook');
    expect(page.text).toContain('Best: Phone, mornings');

    const added = await submit(`/accounts/${account.id}/commitments`, `/accounts/${account.id}/commitments`, { description: 'Bring samples', due_on: '2026-11-26', contact_id: String(maria.id) });
    expect(added.status).toBe(302);
    expect((await agent.get(`/accounts/${account.id}/commitments`)).text).toContain('Bring samples');

    const late = await t.db.selectFrom('commitments').select('id').where('account_id', '=', account.id).where('source', '=', 'touchpoint').executeTakeFirstOrThrow();
    const done = await submit(`/accounts/${account.id}/commitments`, `/commitments/${late.id}`, { done: '1', return_to: `/accounts/${account.id}/commitments` });
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe(`/accounts/${account.id}/commitments`);
    const row = await t.db.selectFrom('commitments').select('done_at').where('id', '=', late.id).executeTakeFirstOrThrow();
    expect(row.done_at).toBe('2026-11-23T14:00:00.000Z');
    const donePage = await agent.get(`/accounts/${account.id}/commitments?show=done`);
    expect(donePage.text).toContain('Send the toner price list');
    expect(donePage.text).toContain('Reopen');
  });

  it('re-renders the form with the errors and the input kept', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const { submit } = await signIn(t.app, rep);
    const response = await submit(`/accounts/${account.id}/commitments`, `/accounts/${account.id}/commitments`, { description: 'Call the CFO', due_on: '' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('Say by when');
    expect(response.text).toContain('value="Call the CFO"');
  });

  it('never redirects off the site after "done"', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const { submit } = await signIn(t.app, rep);
    const created = await api(await t.make.apiToken(rep)).post(`/api/v1/accounts/${account.id}/commitments`, { description: 'x', due_on: '2026-11-30' });
    const response = await submit(`/accounts/${account.id}/commitments`, `/commitments/${created.body.id}`, { done: '1', return_to: '//evil.example/' });
    expect(response.headers.location).toBe(`/accounts/${account.id}/commitments`);
  });

  it("refuses another team's pages and buttons with 404", async () => {
    const { rep } = await t.make.team('East');
    const { rep: stranger } = await t.make.team('West');
    const account = await t.make.account(rep);
    const created = await api(await t.make.apiToken(rep)).post(`/api/v1/accounts/${account.id}/commitments`, { description: 'x', due_on: '2026-11-30' });
    const { agent, submit } = await signIn(t.app, stranger);
    expect((await agent.get(`/accounts/${account.id}/commitments`)).status).toBe(404);
    expect((await submit('/settings', `/accounts/${account.id}/commitments`, { description: 'x', due_on: '2026-11-30' })).status).toBe(404);
    expect((await submit('/settings', `/commitments/${created.body.id}`, { done: '1' })).status).toBe(404);
    const row = await t.db.selectFrom('commitments').select('done_at').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.done_at).toBeNull();
  });

  it('is linked from the account page', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const { agent } = await signIn(t.app, rep);
    expect((await agent.get(`/accounts/${account.id}`)).text).toContain(`href="/accounts/${account.id}/commitments"`);
  });
});

describe('promises for the dashboard', () => {
  // The test clock is Monday 23 November 2026, 14:00 UTC: already Tuesday the 24th in Auckland.
  async function promisesOn(zone: string) {
    const rep = await t.make.user({ time_zone: zone });
    const colleague = await t.make.user();
    const account = await t.make.account(rep, { name: `Harbour ${zone}` });
    const promise = (description: string, due_on: string, extra: { done_at?: string; owner_id?: number } = {}) =>
      t.db
        .insertInto('commitments')
        .values({ account_id: account.id, contact_id: null, owner_id: extra.owner_id ?? rep.id, description, due_on, done_at: extra.done_at ?? null, touchpoint_id: null, departed_contact_id: null, playbook_step: null, created_at: '2026-11-01T00:00:00.000Z' })
        .execute();
    await promise('Last week', '2026-11-18');
    await promise('Monday', '2026-11-23');
    await promise('Sunday', '2026-11-29');
    await promise('Next Monday', '2026-11-30');
    await promise('Already done', '2026-11-20', { done_at: '2026-11-19T09:00:00.000Z' });
    await promise("A colleague's", '2026-11-20', { owner_id: colleague.id });
    return { rep, promises: await promisesDue(t.db, t.clock, rep) };
  }
  const descriptions = (rows: { description: string }[]) => rows.map((row) => row.description);

  it('splits late from due this week by the owner’s local today, Monday to Sunday', async () => {
    const { promises: utc } = await promisesOn('UTC');
    expect(descriptions(utc.late.rows)).toEqual(['Last week']);
    expect(descriptions(utc.due_this_week.rows)).toEqual(['Monday', 'Sunday']);
    expect([utc.late.total, utc.due_this_week.total]).toEqual([1, 2]);

    const { promises: auckland } = await promisesOn('Pacific/Auckland');
    expect(auckland.today).toBe('2026-11-24');
    expect(descriptions(auckland.late.rows)).toEqual(['Last week', 'Monday']);
    expect(descriptions(auckland.due_this_week.rows)).toEqual(['Sunday']);
  });

  it('renders as a partial with one-click done buttons', async () => {
    const { rep, promises } = await promisesOn('Europe/Paris');
    const html = await handlebars.render(path.join(viewsFolder, 'partials/commitments/due.hbs'), { promises, viewer: rep, csrfToken: 'token' });
    expect(html).toContain('Late (1)');
    expect(html).toContain('Due this week (2)');
    expect(html).toContain('name="return_to" value="/accounts"');
    expect(html.match(/name="done" value="1"/g)).toHaveLength(3);
  });
});
