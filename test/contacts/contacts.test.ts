import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { type ApiClient, type Session, postForm, sessionsAndClients, twoTeams } from '../support/scenarios.js';

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

const contactRow = (id: number) => t.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const rolesOf = async (id: number) =>
  (await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', id).orderBy('role').execute()).map((row) => row.role);
const contactsNamed = (name: string) => t.db.selectFrom('contacts').select('id').where('name', '=', name).execute();

/** An account of the North rep with a decision-maker and her boss. */
async function accountWithChain(name: string) {
  const account = await t.make.account(people.rep, { name });
  const boss = await t.make.contact(people.rep, account.id, { name: `${name} Boss`, title: 'Managing Partner', roles: ['boss'] });
  const decider = await t.make.contact(people.rep, account.id, { name: `${name} Decider`, title: 'Office Manager', roles: ['decision_maker'], reports_to_contact_id: boss.id });
  return { account, boss, decider };
}

describe('contact pages', () => {
  it('adds a contact with several roles, a reports-to line and every detail', async () => {
    const { account, boss } = await accountWithChain('Harbor Dental');
    const form = await as.rep.agent.get(`/accounts/${account.id}/contacts/new`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('Harbor Dental Boss');

    const response = await as.rep.submit(`/accounts/${account.id}/contacts/new`, `/accounts/${account.id}/contacts`, {
      name: 'Priya Shah',
      title: 'Front Desk Lead',
      roles: ['user', 'champion'],
      reports_to_contact_id: String(boss.id),
      email: 'Priya@HarborDental.example',
      phone: '+1 312 555 0101',
      started_in_role_on: '2025-02-01',
      birthday: '04-12',
      preferred_channel: 'phone',
      preferred_time: 'Before 9am',
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/accounts/${account.id}`);
    const [created] = await contactsNamed('Priya Shah');
    expect(await contactRow(created!.id)).toMatchObject({
      account_id: account.id,
      title: 'Front Desk Lead',
      reports_to_contact_id: boss.id,
      email: 'priya@harbordental.example',
      phone: '+1 312 555 0101',
      started_in_role_on: '2025-02-01',
      birthday: '04-12',
      preferred_channel: 'phone',
      preferred_time: 'Before 9am',
      status: 'active',
    });
    expect(await rolesOf(created!.id)).toEqual(['champion', 'user']);
    const page = await as.rep.agent.get(`/accounts/${account.id}`);
    expect(page.text).toContain('Priya Shah added to the buying chain.');
    expect(page.text).toContain(`<a href="/contacts/${created!.id}">Priya Shah</a>`);
  });

  it('re-renders the new-contact form with the input kept and errors beside the fields', async () => {
    const { account } = await accountWithChain('Summit Realty');
    const response = await as.rep.submit(`/accounts/${account.id}/contacts/new`, `/accounts/${account.id}/contacts`, {
      name: '',
      title: 'Broker Owner',
      roles: ['decision_maker', 'influencer'],
      email: 'derek@',
      birthday: '13-40',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-name">Name is required</);
    expect(response.text).toMatch(/id="error-email">Enter an email address like name@company.com</);
    expect(response.text).toMatch(/id="error-birthday">Not a real date</);
    expect(response.text).toContain('value="Broker Owner"');
    expect(response.text).toContain('value="derek@"');
    expect(response.text).toContain('value="decision_maker" checked');
    expect(response.text).toContain('value="influencer" checked');
    expect(response.text).not.toContain('value="boss" checked');
    expect(await t.db.selectFrom('contacts').select('id').where('title', '=', 'Broker Owner').execute()).toHaveLength(0);
  });

  it('refuses a reports-to line to someone at another account', async () => {
    const { account } = await accountWithChain('Cedar Ridge');
    const elsewhere = await accountWithChain('Elsewhere Inc');
    const response = await as.rep.submit(`/accounts/${account.id}/contacts/new`, `/accounts/${account.id}/contacts`, {
      name: 'Angela Brooks',
      reports_to_contact_id: String(elsewhere.boss.id),
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-reports_to_contact_id">Choose someone at this account</);
    expect(response.text).toContain('value="Angela Brooks"');
    expect(await contactsNamed('Angela Brooks')).toHaveLength(0);
  });

  it('shows the contact page and forms to the owner and their manager, and 404 to anyone else', async () => {
    const { account, decider } = await accountWithChain('Bluewater Law');
    const paths = [`/contacts/${decider.id}`, `/contacts/${decider.id}/edit`, `/accounts/${account.id}/contacts/new`];
    for (const path of paths) {
      for (const who of ['rep', 'manager'] as const) {
        const page = await as[who].agent.get(path);
        expect(page.status, `${who} ${path}`).toBe(200);
        expect(page.text).toContain('Bluewater Law');
      }
      for (const who of ['teammate', 'outsider'] as const) {
        const page = await as[who].agent.get(path);
        expect(page.status, `${who} ${path}`).toBe(404);
        expect(page.text).not.toContain('Bluewater Law');
      }
    }
    expect((await as.rep.agent.get('/contacts/abc')).status).toBe(404);
    expect((await as.rep.agent.get('/contacts/999999')).status).toBe(404);
  });

  it('refuses to add, edit or archive at another team’s account, and lets the manager do it', async () => {
    const { account, decider } = await accountWithChain('Northwind Logistics');
    for (const who of ['teammate', 'outsider'] as const) {
      expect((await postForm(as[who], `/accounts/${account.id}/contacts`, { name: 'Intruder' })).status).toBe(404);
      expect((await postForm(as[who], `/contacts/${decider.id}`, { name: 'Renamed' })).status).toBe(404);
      expect((await postForm(as[who], `/contacts/${decider.id}/archive`, { archived: '1' })).status).toBe(404);
    }
    expect(await contactsNamed('Intruder')).toHaveLength(0);
    expect(await contactRow(decider.id)).toMatchObject({ name: 'Northwind Logistics Decider', archived: 0, version: 1 });

    expect((await postForm(as.manager, `/accounts/${account.id}/contacts`, { name: 'Luis Ortega', roles: 'user' })).status).toBe(302);
    expect(await contactsNamed('Luis Ortega')).toHaveLength(1);
    expect((await postForm(as.manager, `/contacts/${decider.id}/archive`, { archived: '1' })).status).toBe(302);
    expect((await contactRow(decider.id)).archived).toBe(1);
  });

  it('saves an edit, clearing what was emptied and unticking roles', async () => {
    const { decider } = await accountWithChain('Pinecrest Medical');
    await t.db.updateTable('contacts').set({ phone: '555 0100' }).where('id', '=', decider.id).execute();
    const response = await as.rep.submit(`/contacts/${decider.id}/edit`, `/contacts/${decider.id}`, {
      name: 'Sandra Lee',
      title: 'Director of Facilities',
      roles: 'influencer',
      reports_to_contact_id: '',
      email: '',
      phone: '',
      started_in_role_on: '2026-09-01',
      birthday: '',
      preferred_channel: 'email',
      preferred_time: '',
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/contacts/${decider.id}`);
    expect(await contactRow(decider.id)).toMatchObject({
      name: 'Sandra Lee',
      title: 'Director of Facilities',
      reports_to_contact_id: null,
      phone: null,
      started_in_role_on: '2026-09-01',
      preferred_channel: 'email',
      version: 2,
    });
    expect(await rolesOf(decider.id)).toEqual(['influencer']);
    expect((await as.rep.agent.get(`/contacts/${decider.id}`)).text).toContain('Sandra Lee saved.');
  });

  it('re-renders the edit form on bad input, keeping the typing, and saves nothing', async () => {
    const { decider } = await accountWithChain('Granite Insurance');
    const response = await as.rep.submit(`/contacts/${decider.id}/edit`, `/contacts/${decider.id}`, {
      name: '',
      title: 'Head of Procurement',
      roles: ['decision_maker', 'chief'],
      started_in_role_on: '2026-02-30',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-name">Name is required</);
    expect(response.text).toMatch(/id="error-started_in_role_on">Not a real date</);
    expect(response.text).toContain('Roles are decision_maker, boss, user, influencer, champion');
    expect(response.text).toContain('value="Head of Procurement"');
    expect(await contactRow(decider.id)).toMatchObject({ name: 'Granite Insurance Decider', title: 'Office Manager', version: 1 });
  });

  it('refuses a reporting loop', async () => {
    const { boss, decider } = await accountWithChain('Loop Industries');
    const response = await as.rep.submit(`/contacts/${boss.id}/edit`, `/contacts/${boss.id}`, { name: boss.name, reports_to_contact_id: String(decider.id), roles: 'boss' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-reports_to_contact_id">That would make a reporting loop</);
    expect((await contactRow(boss.id)).reports_to_contact_id).toBeNull();

    const self = await api.rep.patch(`/contacts/${decider.id}`, { reports_to_contact_id: decider.id });
    expect(self.status).toBe(400);
    expect(self.body.error.fields.reports_to_contact_id).toBe('That would make a reporting loop');
    expect((await contactRow(decider.id)).reports_to_contact_id).toBe(boss.id);
  });

  it('archives a contact out of the buying chain and restores it', async () => {
    const { account, decider } = await accountWithChain('Foxglove Florists');
    const archive = await postForm(as.rep, `/contacts/${decider.id}/archive`, { archived: '1' });
    expect(archive.status).toBe(302);
    expect((await contactRow(decider.id)).archived).toBe(1);
    expect((await as.rep.agent.get(`/contacts/${decider.id}`)).text).toContain('Foxglove Florists Decider archived: hidden from the buying chain.');
    expect((await as.rep.agent.get(`/accounts/${account.id}`)).text).not.toContain(`href="/contacts/${decider.id}"`);

    await postForm(as.rep, `/contacts/${decider.id}/archive`, { archived: '0' });
    expect((await contactRow(decider.id)).archived).toBe(0);
    expect((await as.rep.agent.get(`/accounts/${account.id}`)).text).toContain(`href="/contacts/${decider.id}"`);
  });
});

describe('the audit trail on the contact page', () => {
  it('records who created, edited, archived and restored a contact, and what changed from what to what', async () => {
    const { account, boss } = await accountWithChain('Audit Partners');
    await as.rep.submit(`/accounts/${account.id}/contacts/new`, `/accounts/${account.id}/contacts`, { name: 'Nora Quinn', title: 'Legal Secretary', roles: 'user' });
    const [nora] = await contactsNamed('Nora Quinn');
    await as.manager.submit(`/contacts/${nora!.id}/edit`, `/contacts/${nora!.id}`, {
      name: 'Nora Quinn',
      title: 'Office Manager',
      roles: ['decision_maker', 'influencer'],
      reports_to_contact_id: String(boss.id),
    });
    await postForm(as.rep, `/contacts/${nora!.id}/archive`, { archived: '1' });
    await postForm(as.rep, `/contacts/${nora!.id}/archive`, { archived: '0' });

    const events = await t.db.selectFrom('audit_events').select(['action', 'user_id']).where('entity_type', '=', 'contact').where('entity_id', '=', nora!.id).orderBy('id').execute();
    expect(events).toEqual([
      { action: 'created', user_id: people.rep.id },
      { action: 'updated', user_id: people.manager.id },
      { action: 'archived', user_id: people.rep.id },
      { action: 'restored', user_id: people.rep.id },
    ]);

    const page = (await as.rep.agent.get(`/contacts/${nora!.id}`)).text;
    const history = page.slice(page.indexOf('Change history'));
    expect(history).toContain('<strong>Created</strong> by North Rep');
    expect(history).toContain('<li>Name: — → Nora Quinn</li>');
    expect(history).toContain('<strong>Updated</strong> by North Manager');
    expect(history).toContain('<li>Job title: Legal Secretary → Office Manager</li>');
    expect(history).toContain('<li>Roles in the buying chain: User → Decision-maker, Influencer</li>');
    expect(history).toContain('<li>Reports to: — → Audit Partners Boss</li>');
    expect(history).toContain('<strong>Archived</strong> by North Rep');
    expect(history).toContain('<strong>Restored</strong> by North Rep');
    // Newest first.
    expect(history.indexOf('<strong>Restored</strong>')).toBeLessThan(history.indexOf('<strong>Created</strong>'));
  });

  it('records changes made through the API too', async () => {
    const { decider } = await accountWithChain('Api Audit Co');
    await api.rep.patch(`/contacts/${decider.id}`, { status: 'leaving', leaving_on: '2026-12-15', notice: 'told_in_advance' });
    const page = (await as.rep.agent.get(`/contacts/${decider.id}`)).text;
    expect(page).toContain('<strong>Marked leaving</strong> by North Rep');
    // In the words and date format of the forms, never the stored codes.
    expect(page).toContain('<li>Status: Still there → Leaving</li>');
    expect(page).toContain('<li>Leaving date: — → 15 Dec 2026</li>');
    expect(page).toContain('<li>How did you hear?: — → Told us in advance</li>');
    expect(page).not.toMatch(/told_in_advance|2026-12-15/);
  });
});

describe('contacts API', () => {
  it('lists an account’s contacts with their roles, leaving archived ones out unless asked', async () => {
    const { account, boss, decider } = await accountWithChain('Listing Labs');
    const archived = await t.make.contact(people.rep, account.id, { name: 'Gone Astray' });
    await t.db.updateTable('contacts').set({ archived: 1 }).where('id', '=', archived.id).execute();

    const response = await api.rep.get(`/accounts/${account.id}/contacts`);
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual([
      expect.objectContaining({ id: boss.id, name: 'Listing Labs Boss', roles: ['boss'], reports_to_contact_id: null }),
      expect.objectContaining({ id: decider.id, name: 'Listing Labs Decider', roles: ['decision_maker'], reports_to_contact_id: boss.id, status: 'active' }),
    ]);
    const all = await api.rep.get(`/accounts/${account.id}/contacts?archived=true`);
    expect(all.body.data.map((contact: { name: string }) => contact.name)).toContain('Gone Astray');

    expect((await api.manager.get(`/accounts/${account.id}/contacts`)).status).toBe(200);
    for (const who of ['teammate', 'outsider'] as const) {
      const refused = await api[who].get(`/accounts/${account.id}/contacts`);
      expect(refused.status).toBe(404);
      expect(JSON.stringify(refused.body)).not.toContain('Listing Labs');
    }
  });

  it('creates a contact: 201 with the whole object and its id', async () => {
    const { account, boss } = await accountWithChain('Create Corp');
    const response = await api.rep.post(`/accounts/${account.id}/contacts`, {
      name: 'Omar Haddad',
      title: 'IT Manager',
      roles: ['influencer', 'influencer', 'user'],
      reports_to_contact_id: boss.id,
      birthday: '1980-07-04',
      preferred_channel: 'email',
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      account_id: account.id,
      name: 'Omar Haddad',
      title: 'IT Manager',
      roles: ['influencer', 'user'],
      reports_to_contact_id: boss.id,
      birthday: '1980-07-04',
      preferred_channel: 'email',
      status: 'active',
      archived: false,
    });
    expect(response.body.id).toBeDefined();
    expect(await contactRow(response.body.id)).toMatchObject({ name: 'Omar Haddad', account_id: account.id, reports_to_contact_id: boss.id });
    expect(await rolesOf(response.body.id)).toEqual(['influencer', 'user']);
  });

  it('answers 400 naming each bad field, and saves nothing', async () => {
    const { account } = await accountWithChain('Bad Input Ltd');
    const elsewhere = await accountWithChain('Other Place Ltd');
    const response = await api.rep.post(`/accounts/${account.id}/contacts`, { name: 'Kayla Reed', roles: ['ceo'], email: 'nope', birthday: '02-30' });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.error.fields).sort()).toEqual(['birthday', 'email', 'roles.0']);
    const foreign = await api.rep.post(`/accounts/${account.id}/contacts`, { name: 'Kayla Reed', reports_to_contact_id: elsewhere.boss.id });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.fields).toEqual({ reports_to_contact_id: 'Choose someone at this account' });
    const nameless = await api.rep.post(`/accounts/${account.id}/contacts`, { roles: [] });
    expect(nameless.body.error.fields).toHaveProperty('name');
    expect(await contactsNamed('Kayla Reed')).toHaveLength(0);
  });

  it('refuses to create at another team’s account with 404', async () => {
    const { account } = await accountWithChain('Walled Garden');
    for (const who of ['teammate', 'outsider'] as const) expect((await api[who].post(`/accounts/${account.id}/contacts`, { name: 'Sneaky Pete' })).status).toBe(404);
    expect((await api.rep.post('/accounts/abc/contacts', { name: 'Sneaky Pete' })).status).toBe(404);
    expect(await contactsNamed('Sneaky Pete')).toHaveLength(0);
    expect((await api.manager.post(`/accounts/${account.id}/contacts`, { name: 'Welcome Wendy' })).status).toBe(201);
  });

  it('reads one contact as itself; another team, a teammate, unknown and malformed ids are 404', async () => {
    const { decider } = await accountWithChain('Reading Room');
    const own = await api.rep.get(`/contacts/${decider.id}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: decider.id, name: 'Reading Room Decider', roles: ['decision_maker'] });
    expect((await api.manager.get(`/contacts/${decider.id}`)).status).toBe(200);
    for (const [who, path] of [
      ['teammate', `/contacts/${decider.id}`],
      ['outsider', `/contacts/${decider.id}`],
      ['rep', '/contacts/999999'],
      ['rep', '/contacts/-1'],
      ['rep', '/contacts/x1'],
    ] as const) {
      const response = await api[who].get(path);
      expect(response.status, `${who} ${path}`).toBe(404);
      expect(JSON.stringify(response.body)).not.toContain('Reading Room');
    }
  });

  it('patches a contact; a bad field is 400 and another team is 404, both saving nothing', async () => {
    const { decider } = await accountWithChain('Patch Point');
    const patched = await api.rep.patch(`/contacts/${decider.id}`, { title: 'COO', roles: ['decision_maker', 'champion'], phone: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: decider.id, title: 'COO', roles: ['decision_maker', 'champion'], phone: null });
    expect(await rolesOf(decider.id)).toEqual(['champion', 'decision_maker']);

    const invalid = await api.rep.patch(`/contacts/${decider.id}`, { status: 'left', preferred_channel: 'pigeon' });
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.error.fields).sort()).toEqual(['preferred_channel', 'status']);

    for (const who of ['teammate', 'outsider'] as const) expect((await api[who].patch(`/contacts/${decider.id}`, { title: 'Spy' })).status).toBe(404);
    expect(await contactRow(decider.id)).toMatchObject({ title: 'COO', status: 'active' });
    expect((await api.manager.patch(`/contacts/${decider.id}`, { title: 'Chief Operating Officer' })).body.title).toBe('Chief Operating Officer');
  });
});
