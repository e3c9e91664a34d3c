import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { medianOf } from '../../src/complaints/complaints.service.js';
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

const complaintRow = (id: number) => t.db.selectFrom('complaints').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('service recovery on the pages', () => {
  it('logs a complaint and walks it through acknowledge, resolve and verify, recording who and when', async () => {
    const rep = await t.make.user({ name: 'Riley Rep' });
    const account = await t.make.account(rep, { name: 'Copiers Inc' });
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', preferred_channel: 'email' });
    const { agent, submit } = await signIn(t.app, rep);

    const form = await agent.get(`/accounts/${account.id}/complaints`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('value="2026-11-23"');
    const logged = await submit(`/accounts/${account.id}/complaints`, `/accounts/${account.id}/complaints`, {
      category: 'delivery',
      issue: 'The toner arrived two weeks late, again.',
      contact_id: String(maria.id),
      internal_notes: 'Warehouse short-staffed',
    });
    expect(logged.status).toBe(302);
    const url = logged.headers.location as string;
    const id = Number(url.split('/').pop());
    const page = await agent.get(url);
    expect(page.text).toContain('The toner arrived two weeks late, again.');
    expect(page.text).toContain('Not yet acknowledged');
    expect(page.text).toContain('Best: Email');

    expect((await submit(url, url, { acknowledged_on: '2026-11-23' })).status).toBe(302);
    expect(await complaintRow(id)).toMatchObject({ acknowledged_on: '2026-11-23', acknowledged_by_id: rep.id });

    const resolved = await submit(url, url, { resolution: 'Express delivery, no charge', response: 'We apologised and sent it express.', resolved_on: '2026-11-23', follow_up_due_on: '' });
    expect(resolved.status).toBe(302);
    expect(await complaintRow(id)).toMatchObject({ resolved_on: '2026-11-23', resolved_by_id: rep.id, follow_up_due_on: '2026-12-07' });
    expect((await agent.get(url)).text).toContain('follow up by 7 Dec 2026');

    expect((await submit(url, url, { verified_on: '2026-11-23', satisfied: 'yes', outcome: 'Happy; ordered again' })).status).toBe(302);
    expect(await complaintRow(id)).toMatchObject({ verified_on: '2026-11-23', verified_by_id: rep.id, satisfied: 1, outcome: 'Happy; ordered again', internal_notes: 'Warehouse short-staffed' });
    const closed = await agent.get(url);
    expect(closed.text).toContain('Verified · satisfied');
    expect(closed.text).toContain('Riley Rep');

    const list = await agent.get(`/accounts/${account.id}/complaints`);
    expect(list.text).toContain('The toner arrived two weeks late, again.');
    expect((await agent.get(`/accounts/${account.id}`)).text).toContain(`href="/accounts/${account.id}/complaints"`);
  });

  it('keeps the steps in order and says what is missing', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const { submit } = await signIn(t.app, rep);
    const missing = await submit(`/accounts/${account.id}/complaints`, `/accounts/${account.id}/complaints`, { issue: '' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Category is required');
    expect(missing.text).toContain('The issue is required');

    const logged = await submit(`/accounts/${account.id}/complaints`, `/accounts/${account.id}/complaints`, { category: 'billing', issue: 'Invoiced twice', raised_on: '2026-11-20' });
    const url = logged.headers.location as string;
    const early = await submit(url, url, { acknowledged_on: '2026-11-19' });
    expect(early.status).toBe(400);
    expect(early.text).toContain('Cannot be before it was raised (2026-11-20)');
    const future = await submit(url, url, { acknowledged_on: '2026-11-24' });
    expect(future.text).toContain('That is in the future');
    await submit(url, url, { acknowledged_on: '2026-11-21' });
    const noFix = await submit(url, url, { resolution: '', response: '', resolved_on: '2026-11-22' });
    expect(noFix.status).toBe(400);
    expect(noFix.text).toContain('Say what was done to fix it');
    await submit(url, url, { resolution: 'Credit note', resolved_on: '2026-11-22', follow_up_due_on: '2026-11-25' });
    const unsure = await submit(url, url, { verified_on: '2026-11-23', outcome: '' });
    expect(unsure.status).toBe(400);
    expect(unsure.text).toContain('Say whether the customer is satisfied');
    const row = await complaintRow(Number(url.split('/').pop()));
    expect(row).toMatchObject({ follow_up_due_on: '2026-11-25', verified_on: null });
  });

  it("refuses another team's complaints with 404", async () => {
    const { rep } = await t.make.team('North');
    const { rep: stranger } = await t.make.team('South');
    const account = await t.make.account(rep);
    const created = await api(await t.make.apiToken(rep)).post(`/api/v1/accounts/${account.id}/complaints`, { category: 'product', issue: 'Jams' });
    const { agent, submit } = await signIn(t.app, stranger);
    expect((await agent.get(`/accounts/${account.id}/complaints`)).status).toBe(404);
    expect((await submit('/settings', `/accounts/${account.id}/complaints`, { category: 'product', issue: 'x' })).status).toBe(404);
    expect((await agent.get(`/complaints/${created.body.id}`)).status).toBe(404);
    expect((await submit('/settings', `/complaints/${created.body.id}`, { acknowledged_on: '2026-11-23' })).status).toBe(404);
    expect((await complaintRow(created.body.id)).acknowledged_on).toBeNull();
  });
});

describe('complaints API', () => {
  it('creates, lists and moves a complaint through its steps', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const client = api(await t.make.apiToken(rep));
    const created = await client.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'service', issue: 'Technician was rude', raised_on: '2026-11-10' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ category: 'service', raised_on: '2026-11-10', stage: 'raised', satisfied: null, acknowledged_on: null });

    const patched = await client.patch(`/api/v1/complaints/${created.body.id}`, { acknowledged_on: '2026-11-10', resolution: 'New technician', response: 'Apologised in person', resolved_on: '2026-11-12' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ stage: 'resolved', follow_up_due_on: '2026-11-26', acknowledged_by_id: rep.id, resolved_by_id: rep.id, follow_up_overdue: false });

    const verified = await client.patch(`/api/v1/complaints/${created.body.id}`, { verified_on: '2026-11-23', satisfied: false, outcome: 'Still unhappy' });
    expect(verified.body).toMatchObject({ stage: 'verified', satisfied: false, verified_by_id: rep.id });

    const list = await client.get(`/api/v1/accounts/${account.id}/complaints`);
    expect(list.body).toMatchObject({ total: 1, page: 1 });
    expect(list.body.data[0].id).toBe(created.body.id);
  });

  it('flags a follow-up past due until it is verified', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const client = api(await t.make.apiToken(rep));
    const created = await client.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'product', issue: 'Streaks', raised_on: '2026-11-01' });
    const onDueDay = await client.patch(`/api/v1/complaints/${created.body.id}`, { acknowledged_on: '2026-11-01', resolution: 'Drum replaced', resolved_on: '2026-11-02', follow_up_due_on: '2026-11-23' });
    expect(onDueDay.body.follow_up_overdue).toBe(false);
    const dayAfter = await client.patch(`/api/v1/complaints/${created.body.id}`, { follow_up_due_on: '2026-11-22' });
    expect(dayAfter.body.follow_up_overdue).toBe(true);
  });

  it('names every bad field', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const client = api(await t.make.apiToken(rep));
    const bad = await client.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'weather', issue: '', raised_on: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['issue', 'raised_on']);
    const unknownCategory = await client.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'weather', issue: 'Rain' });
    expect(unknownCategory.body.error.fields.category).toMatch(/^Choose one of product, delivery/);
    const created = await client.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'staff', issue: 'Late' });
    const outOfOrder = await client.patch(`/api/v1/complaints/${created.body.id}`, { verified_on: '2026-11-23', satisfied: 'perhaps' });
    expect(outOfOrder.status).toBe(400);
    expect(outOfOrder.body.error.fields.satisfied).toBe('Say yes or no');
    const notResolved = await client.patch(`/api/v1/complaints/${created.body.id}`, { verified_on: '2026-11-23', satisfied: true });
    expect(notResolved.body.error.fields).toEqual({ verified_on: 'Resolve the complaint first' });
  });

  it("answers 404 for another team's account or complaint, and for malformed ids", async () => {
    const { rep } = await t.make.team('East');
    const { rep: stranger } = await t.make.team('West');
    const account = await t.make.account(rep);
    const own = api(await t.make.apiToken(rep));
    const created = await own.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'product', issue: 'Jams' });
    const other = api(await t.make.apiToken(stranger));
    expect((await other.get(`/api/v1/accounts/${account.id}/complaints`)).status).toBe(404);
    expect((await other.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'product', issue: 'x' })).status).toBe(404);
    expect((await other.get(`/api/v1/complaints/${created.body.id}`)).status).toBe(404);
    expect((await other.patch(`/api/v1/complaints/${created.body.id}`, { acknowledged_on: '2026-11-23' })).status).toBe(404);
    expect((await own.get('/api/v1/complaints/1e3')).status).toBe(404);
  });
});

describe('learning from complaints', () => {
  it('counts per category and month, medians, satisfaction and recurring issues over the team only', async () => {
    const { manager, rep } = await t.make.team('Learning');
    const { rep: outsider } = await t.make.team('Elsewhere');
    const account = await t.make.account(rep, { name: 'Repeat Offender Ltd' });
    const other = await t.make.account(outsider);
    const client = api(await t.make.apiToken(rep));
    const log = async (category: string, raised_on: string, steps: object = {}) => {
      const created = await client.post(`/api/v1/accounts/${account.id}/complaints`, { category, issue: `${category} issue`, raised_on });
      if (Object.keys(steps).length > 0) expect((await client.patch(`/api/v1/complaints/${created.body.id}`, steps)).status).toBe(200);
    };
    await log('delivery', '2026-10-05', { acknowledged_on: '2026-10-06', resolution: 'r', resolved_on: '2026-10-10', verified_on: '2026-10-20', satisfied: true });
    await log('delivery', '2026-11-02', { acknowledged_on: '2026-11-05', resolution: 'r', resolved_on: '2026-11-12', verified_on: '2026-11-20', satisfied: false });
    await log('billing', '2026-11-10', { acknowledged_on: '2026-11-10' });
    await api(await t.make.apiToken(outsider)).post(`/api/v1/accounts/${other.id}/complaints`, { category: 'staff', issue: 'Not ours', raised_on: '2026-11-10' });

    const { agent } = await signIn(t.app, manager);
    const page = await agent.get('/complaints/insights');
    expect(page.status).toBe(200);
    const rowOf = (category: string) => new RegExp(`<th scope="row">${category}</th>(.*?)</tr>`).exec(page.text)?.[1] ?? '';
    expect(rowOf('Delivery').match(/<td>(\d+)<\/td>/g)).toEqual(['<td>1</td>', '<td>1</td>']);
    expect(rowOf('Delivery')).toContain('<strong>2</strong>');
    expect(rowOf('Staff')).toContain('<strong>0</strong>');
    expect(page.text).toContain('<dd>3 (1 not yet resolved)</dd>');
    expect(page.text).toContain('<dd>1 day</dd>');
    expect(page.text).toContain('<dd>7.5 days</dd>');
    expect(page.text).toContain('50% of 2 verified');
    expect(page.text).toMatch(/Repeat Offender Ltd<\/a>: 2 Delivery complaints/);
  });

  it('is for managers and admins only', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    expect((await agent.get('/complaints/insights')).status).toBe(403);
  });

  it('takes medians from day histograms', () => {
    expect(medianOf([])).toBeNull();
    expect(medianOf([{ days: 3, count: 1 }])).toBe(3);
    expect(medianOf([{ days: 1, count: 1 }, { days: 7, count: 1 }])).toBe(4);
    expect(medianOf([{ days: 10, count: 1 }, { days: 2, count: 2 }])).toBe(2);
  });
});

describe('complaint categories', () => {
  it('lets an admin add and retire categories; a retired one cannot be used for new complaints', async () => {
    const admin = await t.make.user({ role: 'admin' });
    const { agent, submit } = await signIn(t.app, admin);
    expect((await agent.get('/complaints/categories')).text).toContain('Delivery');
    expect((await submit('/complaints/categories', '/complaints/categories', { name: 'Installation' })).status).toBe(302);
    const duplicate = await submit('/complaints/categories', '/complaints/categories', { name: 'installation' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.text).toContain('already on the list');
    const staff = await t.db.selectFrom('complaint_categories').select('id').where('name', '=', 'staff').executeTakeFirstOrThrow();
    expect((await submit('/complaints/categories', `/complaints/categories/${staff.id}`, { active: '0' })).status).toBe(302);

    const account = await t.make.account(admin);
    const client = api(await t.make.apiToken(admin));
    expect((await client.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'installation', issue: 'Wobbly stand' })).status).toBe(201);
    const retired = await client.post(`/api/v1/accounts/${account.id}/complaints`, { category: 'staff', issue: 'Rude' });
    expect(retired.status).toBe(400);
    expect(retired.body.error.fields.category).not.toContain('staff');
    await submit('/complaints/categories', `/complaints/categories/${staff.id}`, { active: '1' });
  });

  it('is for admins only', async () => {
    const { manager } = await t.make.team('Categories');
    const { agent, submit } = await signIn(t.app, manager);
    expect((await agent.get('/complaints/categories')).status).toBe(403);
    expect((await submit('/settings', '/complaints/categories', { name: 'sneaky' })).status).toBe(403);
    const names = await t.db.selectFrom('complaint_categories').select('name').where('name', '=', 'sneaky').execute();
    expect(names).toEqual([]);
  });
});
