import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { type ApiClient, type Session, postForm, sessionsAndClients, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>> & { chicagoRep: CurrentUser };
let as: Record<'chicagoRep' | 'teammate' | 'manager' | 'outsider', Session>;
let api: Record<'chicagoRep' | 'teammate' | 'manager' | 'outsider', ApiClient>;

beforeAll(async () => {
  t = await createTestApp();
  const teams = await twoTeams(t);
  // The rep of these tests works in Chicago: forms speak local time, the database UTC.
  people = { ...teams, chicagoRep: await t.make.user({ role: 'rep', name: 'Riley Morgan', manager: teams.manager, time_zone: 'America/Chicago' }) };
  ({ as, api } = await sessionsAndClients(t, { chicagoRep: people.chicagoRep, teammate: people.teammate, manager: people.manager, outsider: people.outsider }));
});
afterAll(() => t.close());

/** An account of the Chicago rep with a decision-maker and a user. */
async function account(name: string) {
  const created = await t.make.account(people.chicagoRep, { name });
  const decider = await t.make.contact(people.chicagoRep, created.id, { name: `${name} Decider`, title: 'Office Manager', roles: ['decision_maker'] });
  const user = await t.make.contact(people.chicagoRep, created.id, { name: `${name} User`, title: 'Dispatcher', roles: ['user'] });
  return { account: created, decider, user };
}

const touchpointsOf = (accountId: number) => t.db.selectFrom('touchpoints').selectAll().where('account_id', '=', accountId).execute();
const contactsOf = (accountId: number) => t.db.selectFrom('contacts').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
const formPath = (accountId: number) => `/accounts/${accountId}/touchpoints/new`;

/** The "Met someone new?" rows as the browser posts them: flat field names, the unused row left blank. */
const newPeople = (...rows: { name: string; title?: string; roles?: string }[]) =>
  Object.fromEntries(
    [...rows, { name: '' }].flatMap((row, index) => [
      [`new_contacts[${index}][name]`, row.name],
      [`new_contacts[${index}][title]`, row.title ?? ''],
      [`new_contacts[${index}][roles]`, row.roles ?? ''],
    ]),
  );

describe('the log-a-touchpoint form', () => {
  it('opens with "now" in the rep’s time zone and the contact they came from ticked', async () => {
    const { account: acct, decider } = await account('Harbor Dental');
    const page = await as.chicagoRep.agent.get(`${formPath(acct.id)}?contact=${decider.id}`);
    expect(page.status).toBe(200);
    // 14:00 UTC on 23 November is 08:00 in Chicago (CST, UTC−6).
    expect(page.text).toContain('value="2026-11-23T08:00"');
    expect(page.text).toContain('In your time zone, America/Chicago.');
    expect(page.text).toContain(`value="${decider.id}" checked`);
  });

  it('logs a coffee with a known contact and a new person met there, in one step', async () => {
    const { account: acct, decider } = await account('Northwind Logistics');
    const response = await as.chicagoRep.submit(formPath(acct.id), `/accounts/${acct.id}/touchpoints`, {
      kind: 'coffee',
      location: 'outside_office',
      occurred_at: '2026-11-23T07:30',
      contact_ids: String(decider.id),
      ...newPeople({ name: 'Kayla Reed', title: 'Office Coordinator', roles: 'user' }),
      summary: 'Coffee at 7:30 before their day started.',
      internal_notes: 'Competitor quoted 10% lower.',
      value_delivered: 'Toner usage report',
      next_step: 'Send the lease renewal options',
      next_step_due_on: '2026-11-30',
      testimonial_url: '',
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/accounts/${acct.id}`);

    const [touchpoint] = await touchpointsOf(acct.id);
    expect(touchpoint).toMatchObject({
      author_id: people.chicagoRep.id,
      kind: 'coffee',
      location: 'outside_office',
      occurred_at: '2026-11-23T13:30:00.000Z',
      summary: 'Coffee at 7:30 before their day started.',
      internal_notes: 'Competitor quoted 10% lower.',
      next_step: 'Send the lease renewal options',
      next_step_due_on: '2026-11-30',
    });
    const kayla = (await contactsOf(acct.id)).find((contact) => contact.name === 'Kayla Reed')!;
    expect(kayla).toMatchObject({ title: 'Office Coordinator', last_touch_at: '2026-11-23T13:30:00.000Z' });
    expect((await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', kayla.id).execute()).map((row) => row.role)).toEqual(['user']);
    const participants = await t.db.selectFrom('touchpoint_contacts').select('contact_id').where('touchpoint_id', '=', touchpoint!.id).orderBy('contact_id').execute();
    expect(participants.map((row) => row.contact_id)).toEqual([decider.id, kayla.id]);
    expect(await contactsOf(acct.id)).toHaveLength(3);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'context']).where('entity_type', '=', 'contact').where('entity_id', '=', kayla.id).executeTakeFirstOrThrow();
    expect(audit).toEqual({ action: 'created', context: `touchpoint:${touchpoint!.id}` });
    const commitment = await t.db.selectFrom('commitments').selectAll().where('touchpoint_id', '=', touchpoint!.id).executeTakeFirstOrThrow();
    expect(commitment).toMatchObject({ description: 'Send the lease renewal options', due_on: '2026-11-30', owner_id: people.chicagoRep.id, done_at: null });

    const page = await as.chicagoRep.agent.get(`/accounts/${acct.id}`);
    expect(page.text).toContain('Logged coffee with Kayla Reed, Northwind Logistics Decider · added Kayla Reed (user)');
    // Shown back in the rep's zone.
    expect(page.text).toContain('<time datetime="2026-11-23T13:30:00.000Z">Mon 23 Nov 2026, 07:30</time>');
  });

  it('reads a summer time in the rep’s zone with daylight saving (UTC−5), and shows a manager in New York their own time', async () => {
    const { account: acct, decider } = await account('Summer Time Co');
    const response = await as.chicagoRep.submit(formPath(acct.id), `/accounts/${acct.id}/touchpoints`, {
      kind: 'meeting',
      location: 'customer_office',
      occurred_at: '2026-07-01T07:30',
      contact_ids: String(decider.id),
    });
    expect(response.status).toBe(302);
    expect((await touchpointsOf(acct.id))[0]!.occurred_at).toBe('2026-07-01T12:30:00.000Z');
    await t.db.updateTable('users').set({ time_zone: 'America/New_York' }).where('id', '=', people.manager.id).execute();
    try {
      expect((await as.manager.agent.get(`/accounts/${acct.id}`)).text).toContain('Wed 1 Jul 2026, 08:30');
    } finally {
      await t.db.updateTable('users').set({ time_zone: 'UTC' }).where('id', '=', people.manager.id).execute();
    }
  });

  it('saves nothing, not even the new person, when the touchpoint part is invalid, and keeps the typing', async () => {
    const { account: acct, decider } = await account('Cedar Ridge');
    const response = await as.chicagoRep.submit(formPath(acct.id), `/accounts/${acct.id}/touchpoints`, {
      kind: 'lunch',
      location: 'outside_office',
      occurred_at: '2026-11-23T07:30',
      contact_ids: String(decider.id),
      ...newPeople({ name: 'Angela Brooks', title: 'Purchasing Director', roles: 'decision_maker' }),
      summary: 'Talked about the district budget.',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-kind">Choose what kind of touchpoint it was</);
    expect(response.text).toContain('Talked about the district budget.</textarea>');
    expect(response.text).toContain('name="new_contacts[0][name]" value="Angela Brooks"');
    expect(response.text).toContain('name="new_contacts[0][title]" value="Purchasing Director"');
    expect(response.text).toContain('<option value="decision_maker" selected>');
    expect(response.text).toContain('value="outside_office" checked');
    expect(response.text).toContain(`value="${decider.id}" checked`);
    expect(await touchpointsOf(acct.id)).toHaveLength(0);
    expect((await contactsOf(acct.id)).map((contact) => contact.name)).not.toContain('Angela Brooks');
  });

  it('refuses a next-step due date without a next step, saving nothing', async () => {
    const { account: acct } = await account('Bluewater Law');
    const response = await as.chicagoRep.submit(formPath(acct.id), `/accounts/${acct.id}/touchpoints`, {
      kind: 'meeting',
      location: 'customer_office',
      occurred_at: '2026-11-20T10:00',
      ...newPeople({ name: 'Omar Haddad', title: '', roles: '' }),
      summary: 'Walked through the new scanner.',
      next_step: '',
      next_step_due_on: '2026-12-01',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-next_step">Say what the next step is, or clear its due date</);
    expect(response.text).toContain('value="Omar Haddad"');
    expect(response.text).toContain('value="2026-12-01"');
    expect(await touchpointsOf(acct.id)).toHaveLength(0);
    expect(await contactsOf(acct.id)).toHaveLength(2);
    expect(await t.db.selectFrom('commitments').select('id').where('account_id', '=', acct.id).execute()).toHaveLength(0);
  });

  it('refuses a participant from another account and a new person without a name', async () => {
    const { account: acct } = await account('Pinecrest Medical');
    const other = await account('Someone Else Inc');
    const foreign = await as.chicagoRep.submit(formPath(acct.id), `/accounts/${acct.id}/touchpoints`, {
      kind: 'call',
      location: 'phone',
      contact_ids: String(other.decider.id),
    });
    expect(foreign.status).toBe(400);
    expect(foreign.text).toMatch(new RegExp(`id="error-contact_ids">Not a contact at this account: ${other.decider.id}<`));

    const nameless = await as.chicagoRep.submit(formPath(acct.id), `/accounts/${acct.id}/touchpoints`, {
      kind: 'call',
      location: 'phone',
      ...newPeople({ name: '', title: 'Records Supervisor', roles: 'user' }),
    });
    expect(nameless.status).toBe(400);
    expect(nameless.text).toMatch(/id="error-new_contacts.0.name">Name is required</);
    expect(nameless.text).toContain('value="Records Supervisor"');
    expect(await touchpointsOf(acct.id)).toHaveLength(0);
    expect(await contactsOf(acct.id)).toHaveLength(2);
  });

  it('is refused with 404 at a teammate’s or another team’s account, and open to the manager', async () => {
    const { account: acct, decider } = await account('Quarry Builders');
    for (const who of ['teammate', 'outsider'] as const) {
      const form = await as[who].agent.get(formPath(acct.id));
      expect(form.status).toBe(404);
      expect(form.text).not.toContain('Quarry Builders');
      const post = await postForm(as[who], `/accounts/${acct.id}/touchpoints`, { kind: 'note', location: 'phone', contact_ids: String(decider.id) });
      expect(post.status).toBe(404);
    }
    expect(await touchpointsOf(acct.id)).toHaveLength(0);

    expect((await as.manager.agent.get(formPath(acct.id))).status).toBe(200);
    expect((await postForm(as.manager, `/accounts/${acct.id}/touchpoints`, { kind: 'note', location: 'phone', contact_ids: String(decider.id) })).status).toBe(302);
    expect(await touchpointsOf(acct.id)).toMatchObject([{ author_id: people.manager.id, kind: 'note' }]);
  });
});

describe('touchpoints API', () => {
  it('logs a touchpoint: 201 with the whole object, new contacts and contact updates in one go', async () => {
    const { account: acct, decider, user } = await account('Api Dental');
    const response = await api.chicagoRep.post(`/accounts/${acct.id}/touchpoints`, {
      contact_ids: [decider.id, user.id],
      kind: 'meal',
      occurred_at: '2026-11-20T12:00:00-05:00',
      location: 'outside_office',
      summary: 'Lunch to review the year.',
      next_step: 'Quote a second device',
      next_step_due_on: '2026-12-04',
      contact_updates: [{ contact_id: user.id, title: 'Head Dispatcher', roles: ['user', 'champion'] }],
      new_contacts: [{ name: 'Grace Kim', title: 'VP Operations', roles: ['boss'] }],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      account_id: acct.id,
      author_id: people.chicagoRep.id,
      kind: 'meal',
      occurred_at: '2026-11-20T17:00:00.000Z',
      location: 'outside_office',
      summary: 'Lunch to review the year.',
      next_step: 'Quote a second device',
      next_step_due_on: '2026-12-04',
    });
    expect(response.body.id).toBeDefined();
    const grace = (await contactsOf(acct.id)).find((contact) => contact.name === 'Grace Kim')!;
    expect(response.body.contact_ids.sort()).toEqual([decider.id, user.id, grace.id].sort());
    expect(await t.db.selectFrom('touchpoints').select('occurred_at').where('id', '=', response.body.id).executeTakeFirstOrThrow()).toEqual({ occurred_at: '2026-11-20T17:00:00.000Z' });
    expect((await contactsOf(acct.id)).find((contact) => contact.id === user.id)!.title).toBe('Head Dispatcher');
    const update = await t.db.selectFrom('audit_events').select(['action', 'context', 'changes']).where('entity_id', '=', user.id).where('action', '=', 'updated').executeTakeFirstOrThrow();
    expect(update.context).toBe(`touchpoint:${response.body.id}`);
    expect(JSON.parse(update.changes)).toMatchObject({ title: ['Dispatcher', 'Head Dispatcher'] });
  });

  it('saves nothing when the touchpoint part is invalid, even with valid new contacts', async () => {
    const { account: acct } = await account('Api Cedar');
    for (const [body, field] of [
      [{ kind: 'lunch', location: 'outside_office' }, 'kind'],
      [{ kind: 'call', location: 'phone', next_step_due_on: '2026-12-01' }, 'next_step'],
      [{ kind: 'call', location: 'phone', occurred_at: '2026-11-25T09:00:00Z' }, 'occurred_at'],
      [{ kind: 'call', location: 'phone', occurred_at: 'yesterday' }, 'occurred_at'],
    ] as const) {
      const response = await api.chicagoRep.post(`/accounts/${acct.id}/touchpoints`, { ...body, new_contacts: [{ name: 'Newly Met', roles: ['influencer'] }] });
      expect(response.status, field).toBe(400);
      expect(response.body.error.fields).toHaveProperty(field);
    }
    const twoAtOnce = await api.chicagoRep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'note', location: 'phone', next_step_due_on: '2026-12-01', occurred_at: '2026-11-25T09:00:00Z' });
    expect(twoAtOnce.status).toBe(400);
    expect(Object.keys(twoAtOnce.body.error.fields).sort()).toEqual(['next_step', 'occurred_at']);
    const badPerson = await api.chicagoRep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'call', location: 'phone', new_contacts: [{ name: 'Ok Person' }, { name: '' }] });
    expect(badPerson.status).toBe(400);
    expect(badPerson.body.error.fields).toHaveProperty(['new_contacts.1.name']);
    expect(await touchpointsOf(acct.id)).toHaveLength(0);
    expect((await contactsOf(acct.id)).map((contact) => contact.name).sort()).toEqual(['Api Cedar Decider', 'Api Cedar User']);
  });

  it('saves nothing when a contact_updates row names a contact of another account', async () => {
    const { account: acct, decider } = await account('Api Bluewater');
    const other = await account('Api Elsewhere');
    const response = await api.chicagoRep.post(`/accounts/${acct.id}/touchpoints`, {
      contact_ids: [decider.id],
      kind: 'meeting',
      location: 'customer_office',
      new_contacts: [{ name: 'Should Not Exist' }],
      contact_updates: [{ contact_id: other.decider.id, title: 'Hijacked' }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toEqual({ 'contact_updates.0.contact_id': 'Update only people who took part' });
    expect(await touchpointsOf(acct.id)).toHaveLength(0);
    expect((await contactsOf(acct.id)).map((contact) => contact.name)).not.toContain('Should Not Exist');
    expect((await contactsOf(other.account.id)).find((contact) => contact.id === other.decider.id)!.title).toBe('Office Manager');
  });

  it('rolls back the touchpoint and the new people when an update fails after they were written', async () => {
    const { account: acct, decider } = await account('Api Rollback');
    const other = await account('Api Rollback Other');
    const response = await api.chicagoRep.post(`/accounts/${acct.id}/touchpoints`, {
      contact_ids: [decider.id],
      kind: 'meeting',
      location: 'customer_office',
      new_contacts: [{ name: 'Rolled Back' }],
      contact_updates: [{ contact_id: decider.id, title: 'Director', reports_to_contact_id: other.user.id }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toEqual({ 'contact_updates.0.reports_to_contact_id': 'Choose someone at this account' });
    expect(await touchpointsOf(acct.id)).toHaveLength(0);
    const contacts = await contactsOf(acct.id);
    expect(contacts.map((contact) => contact.name)).not.toContain('Rolled Back');
    expect(contacts.find((contact) => contact.id === decider.id)).toMatchObject({ title: 'Office Manager', last_touch_at: null });
  });

  it('lists an account’s touchpoints newest first, with paging fields', async () => {
    const { account: acct, decider } = await account('Api Timeline');
    for (const day of ['01', '02', '03'])
      await t.make.touchpoint(people.chicagoRep, acct.id, { contact_ids: [decider.id], occurred_at: `2026-11-${day}T15:00:00Z`, summary: `Visit on the ${day}th` });
    const response = await api.chicagoRep.get(`/accounts/${acct.id}/touchpoints?per_page=2`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ page: 1, per_page: 2, total: 3, pages: 2 });
    expect(response.body.data.map((touchpoint: { occurred_at: string }) => touchpoint.occurred_at)).toEqual(['2026-11-03T15:00:00.000Z', '2026-11-02T15:00:00.000Z']);
    expect(response.body.data[0]).toMatchObject({ contact_ids: [decider.id], summary: 'Visit on the 03th', account_id: acct.id });
    expect((await api.manager.get(`/accounts/${acct.id}/touchpoints`)).body.total).toBe(3);
  });

  it('refuses another team’s or a teammate’s account, and unknown or malformed ids, with 404', async () => {
    const { account: acct, decider } = await account('Api Walled');
    await t.make.touchpoint(people.chicagoRep, acct.id, { contact_ids: [decider.id], summary: 'Private conversation' });
    for (const who of ['teammate', 'outsider'] as const) {
      const list = await api[who].get(`/accounts/${acct.id}/touchpoints`);
      expect(list.status).toBe(404);
      expect(JSON.stringify(list.body)).not.toContain('Private conversation');
      expect((await api[who].post(`/accounts/${acct.id}/touchpoints`, { kind: 'note', location: 'phone' })).status).toBe(404);
    }
    expect((await api.chicagoRep.get('/accounts/999999/touchpoints')).status).toBe(404);
    expect((await api.chicagoRep.post('/accounts/abc/touchpoints', { kind: 'note', location: 'phone' })).status).toBe(404);
    expect(await touchpointsOf(acct.id)).toHaveLength(1);
  });

  it('answers 401 without a token and 413 to a body over 100 kB', async () => {
    const { account: acct } = await account('Api Limits');
    expect((await supertest(t.app).post(`/api/v1/accounts/${acct.id}/touchpoints`).send({ kind: 'note', location: 'phone' })).status).toBe(401);
    const huge = await api.chicagoRep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'note', location: 'phone', summary: 'x'.repeat(101 * 1024) });
    expect(huge.status).toBe(413);
    expect(await touchpointsOf(acct.id)).toHaveLength(0);
  });
});
