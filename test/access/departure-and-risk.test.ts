import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { type ApiClient, type Session, postForm, sessionsAndClients, twoTeams } from '../support/scenarios.js';

// Who may see what on the dashboards, the departure flow and the risk API. The risk rules
// themselves are tested in test/risk; here only that every route refuses what it should.

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let as: Record<'rep' | 'teammate' | 'manager' | 'outsider' | 'admin', Session>;
let api: Record<'rep' | 'teammate' | 'manager' | 'outsider' | 'admin', ApiClient>;
let north: { id: number };
let teammates: { id: number };
let south: { id: number };

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  ({ as, api } = await sessionsAndClients(t, people));
  north = await t.make.account(people.rep, { name: 'Northern Lights Dental' });
  teammates = await t.make.account(people.teammate, { name: 'Teammate Tractors' });
  south = await t.make.account(people.outsider, { name: 'Southern Cross Freight' });
});
afterAll(() => t.close());

const decisionMaker = (accountId: number, name: string) => t.make.contact(people.rep, accountId, { name, title: 'Office Manager', roles: ['decision_maker'] });
const contactRow = (id: number) => t.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const playbookSteps = (contactId: number) => t.db.selectFrom('commitments').select('id').where('departed_contact_id', '=', contactId).execute();

describe('dashboards', () => {
  it('"My accounts" lists only the viewer’s own accounts', async () => {
    const rep = (await as.rep.agent.get('/accounts')).text;
    expect(rep).toContain('Northern Lights Dental');
    expect(rep).not.toContain('Teammate Tractors');
    expect(rep).not.toContain('Southern Cross Freight');
    expect((await as.outsider.agent.get('/accounts')).text).not.toContain('Northern Lights Dental');
  });

  it('the team view shows a manager their reps’ accounts and never another team’s, even when asked by owner', async () => {
    const team = await as.manager.agent.get('/team');
    expect(team.status).toBe(200);
    expect(team.text).toContain('Northern Lights Dental');
    expect(team.text).toContain('Teammate Tractors');
    expect(team.text).not.toContain('Southern Cross Freight');
    const asked = await as.manager.agent.get(`/team?owner=${people.outsider.id}`);
    expect(asked.status).toBe(200);
    expect(asked.text).not.toContain('Southern Cross Freight');

    const admin = (await as.admin.agent.get('/team')).text;
    expect(admin).toContain('Northern Lights Dental');
    expect(admin).toContain('Southern Cross Freight');
  });

  it('the team view is not for reps: 403', async () => {
    const response = await as.rep.agent.get('/team');
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('Teammate Tractors');
  });
});

describe('the departure flow', () => {
  it('opens for the owner and their manager, and is 404 for a teammate or another team', async () => {
    const contact = await decisionMaker(north.id, 'Maria Lopez');
    for (const who of ['rep', 'manager'] as const) {
      const page = await as[who].agent.get(`/contacts/${contact.id}/departure`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Is Maria Lopez leaving, or gone?');
    }
    for (const who of ['teammate', 'outsider'] as const) {
      const page = await as[who].agent.get(`/contacts/${contact.id}/departure`);
      expect(page.status).toBe(404);
      expect(page.text).not.toContain('Maria Lopez');
    }
    expect((await as.rep.agent.get('/contacts/abc/departure')).status).toBe(404);
  });

  it('refuses a departure or a follow from a teammate or another team with 404, changing nothing', async () => {
    const contact = await decisionMaker(north.id, 'Tom Alvarez');
    for (const who of ['teammate', 'outsider'] as const) {
      expect((await postForm(as[who], `/contacts/${contact.id}/departure`, { left_on: '2026-11-20', notice: 'surprise', destination: 'Acme' })).status).toBe(404);
      expect((await postForm(as[who], `/contacts/${contact.id}/follow`)).status).toBe(404);
      expect((await api[who].post(`/contacts/${contact.id}/departure`, { left_on: '2026-11-20', notice: 'surprise' })).status).toBe(404);
    }
    expect(await contactRow(contact.id)).toMatchObject({ status: 'active', left_on: null, version: 1 });
    expect(await playbookSteps(contact.id)).toHaveLength(0);
  });

  it('re-renders the departure form with the input kept and the error beside the field', async () => {
    const contact = await decisionMaker(north.id, 'Angela Brooks');
    const response = await as.rep.submit(`/contacts/${contact.id}/departure`, `/contacts/${contact.id}/departure`, { left_on: '2026-11-20', destination: 'Lakeside Schools' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-notice">Did they tell you in advance, or was it a surprise\?</);
    expect(response.text).toContain('value="Lakeside Schools"');
    expect(response.text).toContain('value="2026-11-20"');
    expect((await contactRow(contact.id)).status).toBe('active');

    const api400 = await api.rep.post(`/contacts/${contact.id}/departure`, { left_on: '20 Nov', notice: 'surprise' });
    expect(api400.status).toBe(400);
    expect(api400.body.error.fields).toHaveProperty('left_on');
  });

  it('lets the manager record a departure on a rep’s account, which starts the playbook', async () => {
    const contact = await decisionMaker(north.id, 'Helen Park');
    const response = await postForm(as.manager, `/contacts/${contact.id}/departure`, { left_on: '2026-11-20', notice: 'surprise', destination: 'Bluewater Law' });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/accounts/${north.id}#playbook`);
    expect(await contactRow(contact.id)).toMatchObject({ status: 'left', left_on: '2026-11-20', departure_notice: 'surprise', departure_destination: 'Bluewater Law' });
    expect((await playbookSteps(contact.id)).length).toBeGreaterThan(0);
  });

  it('records a departure through the API, answering the contact as itself', async () => {
    const contact = await decisionMaker(north.id, 'Derek Olsen');
    const response = await api.rep.post(`/contacts/${contact.id}/departure`, { left_on: '2026-12-31', notice: 'told_in_advance', destination: 'Summit Realty' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: contact.id, status: 'leaving', leaving_on: '2026-12-31', notice: 'told_in_advance', destination: 'Summit Realty' });
    expect(await contactRow(contact.id)).toMatchObject({ status: 'leaving', leaving_on: '2026-12-31' });
  });

  it('refuses to follow someone who has not left', async () => {
    const contact = await decisionMaker(north.id, 'Still Here');
    const response = await postForm(as.rep, `/contacts/${contact.id}/follow`);
    expect(response.status).toBe(400);
    expect(response.text).toContain('Still Here has not left');
  });
});

describe('risk API', () => {
  it('answers an account’s risk to the owner and their manager, and 404 to anyone else', async () => {
    const own = await api.rep.get(`/accounts/${north.id}/risk`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ score: expect.any(Number), level: expect.any(String), flags: expect.any(Array) });
    expect((await api.manager.get(`/accounts/${north.id}/risk`)).status).toBe(200);
    for (const [who, path] of [
      ['teammate', `/accounts/${north.id}/risk`],
      ['outsider', `/accounts/${north.id}/risk`],
      ['rep', '/accounts/999999/risk'],
      ['rep', '/accounts/abc/risk'],
    ] as const)
      expect((await api[who].get(path)).status, `${who} ${path}`).toBe(404);
  });

  it('lists only the accounts the caller may see', async () => {
    const idsFor = async (who: keyof typeof api) => (await api[who].get('/risk')).body.data.map((row: { account_id: number }) => row.account_id);
    const rep = await idsFor('rep');
    expect(rep).toContain(north.id);
    expect(rep).not.toContain(teammates.id);
    expect(rep).not.toContain(south.id);
    const manager = await idsFor('manager');
    expect(manager).toEqual(expect.arrayContaining([north.id, teammates.id]));
    expect(manager).not.toContain(south.id);
    expect(await idsFor('outsider')).not.toContain(north.id);
    const filtered = await api.manager.get(`/risk?owner_id=${people.outsider.id}`);
    expect(filtered.body.data).toEqual([]);
  });
});
