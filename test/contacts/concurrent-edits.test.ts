import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EditConflict } from '../../src/audit/concurrent-edits.js';
import { type Contact, updateContact } from '../../src/contacts/contacts.service.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';
import { type Session, apiClient, twoTeams } from '../support/scenarios.js';

// Runs on SQLite under `npm test` and on PostgreSQL under `npm run test:pg`.

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let rep: Session;
let manager: Session;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  [rep, manager] = await Promise.all([signIn(t.app, people.rep), signIn(t.app, people.manager)]);
});
afterAll(() => t.close());

const contactRow = (id: number) => t.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function contactAtNorth(name: string) {
  const account = await t.make.account(people.rep, { name: `${name} Account` });
  return t.make.contact(people.rep, account.id, { name, title: 'Office Manager', phone: '555 0100', roles: ['decision_maker'] });
}

/** Opens the edit form like a browser: the CSRF token, the hidden version and every field as shown. */
async function openEditForm(session: Session, contact: Contact) {
  const page = await session.agent.get(`/contacts/${contact.id}/edit`);
  const version = /name="version" value="(\d+)"/.exec(page.text)?.[1];
  const row = await contactRow(contact.id);
  const fields = {
    name: row.name,
    title: row.title ?? '',
    roles: contact.roles,
    reports_to_contact_id: row.reports_to_contact_id ?? '',
    email: row.email ?? '',
    phone: row.phone ?? '',
    started_in_role_on: row.started_in_role_on ?? '',
    birthday: row.birthday ?? '',
    preferred_channel: row.preferred_channel ?? '',
    preferred_time: row.preferred_time ?? '',
  };
  return {
    version,
    save: (changes: Record<string, unknown>) =>
      session.agent.post(`/contacts/${contact.id}`).type('form').send({ _csrf: csrfTokenIn(page.text), version, ...fields, ...changes }),
  };
}

describe('two people editing the same contact in the browser', () => {
  it('keeps both changes when they changed different fields', async () => {
    const contact = await contactAtNorth('Maria Lopez');
    const repForm = await openEditForm(rep, contact);
    const managerForm = await openEditForm(manager, contact);
    expect(repForm.version).toBe('1');

    expect((await managerForm.save({ phone: '555 0199' })).status).toBe(302);
    expect((await repForm.save({ title: 'Practice Administrator' })).status).toBe(302);

    expect(await contactRow(contact.id)).toMatchObject({ title: 'Practice Administrator', phone: '555 0199', version: 3 });
  });

  it('refuses the second save of a field the first one changed, shows what changed, keeps the typing, and saves it when asked again', async () => {
    const contact = await contactAtNorth('Tom Alvarez');
    const repForm = await openEditForm(rep, contact);
    const managerForm = await openEditForm(manager, contact);
    await managerForm.save({ title: 'VP Operations', phone: '555 0142' });

    const refused = await repForm.save({ title: 'Head of Operations', preferred_time: 'Before 9am' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Someone else changed this since you opened it');
    expect(refused.text).toContain('Changed by North Manager to “VP Operations”');
    expect(refused.text).toContain('value="Head of Operations"');
    expect(refused.text).toContain('value="Before 9am"');
    // The manager's other change is shown, not the stale value the rep's form still held.
    expect(refused.text).toContain('value="555 0142"');
    expect(refused.text).toContain('name="version" value="2"');
    expect(await contactRow(contact.id)).toMatchObject({ title: 'VP Operations', phone: '555 0142', preferred_time: null, version: 2 });

    const again = await rep.agent
      .post(`/contacts/${contact.id}`)
      .type('form')
      .send({ _csrf: csrfTokenIn(refused.text), ...formValuesIn(refused.text, `/contacts/${contact.id}`) });
    expect(again.status).toBe(302);
    expect(await contactRow(contact.id)).toMatchObject({ title: 'Head of Operations', phone: '555 0142', preferred_time: 'Before 9am', version: 3 });
  });

  it('answers 400 for a version that is not a number, and 404 for another team’s contact', async () => {
    const contact = await contactAtNorth('Helen Park');
    const form = await openEditForm(rep, contact);
    const bad = await form.save({ version: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Send the version you read');

    const outsider = await signIn(t.app, people.outsider);
    const page = await outsider.agent.get('/settings');
    const refused = await outsider.agent.post(`/contacts/${contact.id}`).type('form').send({ _csrf: csrfTokenIn(page.text), version: '1', title: 'Spy' });
    expect(refused.status).toBe(404);
    expect((await contactRow(contact.id)).title).toBe('Office Manager');
  });
});

/** The text inputs, selects, ticked boxes and hidden version of the contact form in a page, as a browser would post them. */
function formValuesIn(html: string, action: string): Record<string, unknown> {
  const start = html.indexOf(`action="${action}"`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const values: Record<string, unknown> = { roles: [] };
  for (const [, name, value] of form.matchAll(/<input[^>]*name="(\w+)"[^>]*value="([^"]*)"/g))
    if (name !== 'roles' && name !== '_csrf') values[name!] = value!.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  for (const [, value] of form.matchAll(/name="roles" value="(\w+)" checked/g)) (values.roles as string[]).push(value!);
  for (const [, name, body] of form.matchAll(/<select[^>]*name="(\w+)">([\s\S]*?)<\/select>/g))
    values[name!] = /<option value="([^"]*)" selected/.exec(body!)?.[1] ?? '';
  return values;
}

describe('PATCH /api/v1/contacts/:id with a version', () => {
  it('lands changes to different fields, refuses the same field with 409 naming who changed it to what', async () => {
    const contact = await contactAtNorth('Grace Kim');
    const repApi = apiClient(t.app, await t.make.apiToken(people.rep));
    const managerApi = apiClient(t.app, await t.make.apiToken(people.manager));
    const read = await repApi.get(`/contacts/${contact.id}`);
    expect(read.body.version).toBe(1);

    expect((await managerApi.patch(`/contacts/${contact.id}`, { version: 1, title: 'COO' })).status).toBe(200);
    const merged = await repApi.patch(`/contacts/${contact.id}`, { version: 1, phone: '555 0123' });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ title: 'COO', phone: '555 0123', version: 3 });

    const conflict = await repApi.patch(`/contacts/${contact.id}`, { version: 1, title: 'CFO', roles: ['boss'] });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({
      error: { code: 'conflict', message: expect.stringContaining('Nothing was saved'), fields: { title: 'Changed by North Manager to “COO”' } },
    });
    expect(await contactRow(contact.id)).toMatchObject({ title: 'COO', version: 3 });

    // Sending a field with the value it had at your version is not a change: theirs stays.
    const unchanged = await repApi.patch(`/contacts/${contact.id}`, { version: 1, title: 'Office Manager', preferred_time: 'Mornings' });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toMatchObject({ title: 'COO', preferred_time: 'Mornings', version: 4 });
  });

  it('without a version applies just the fields sent', async () => {
    const contact = await contactAtNorth('Luis Ortega');
    const repApi = apiClient(t.app, await t.make.apiToken(people.rep));
    await repApi.patch(`/contacts/${contact.id}`, { title: 'Dispatcher' });
    const response = await repApi.patch(`/contacts/${contact.id}`, { phone: '555 0777' });
    expect(response.body).toMatchObject({ title: 'Dispatcher', phone: '555 0777', version: 3 });
  });

  it('answers 400 for a bad version and 404 for another team’s contact', async () => {
    const contact = await contactAtNorth('Angela Brooks');
    const repApi = apiClient(t.app, await t.make.apiToken(people.rep));
    const bad = await repApi.patch(`/contacts/${contact.id}`, { version: 'latest', title: 'X' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toHaveProperty('version');
    const future = await repApi.patch(`/contacts/${contact.id}`, { version: 7, title: 'X' });
    expect(future.status).toBe(400);
    const outsiderApi = apiClient(t.app, await t.make.apiToken(people.outsider));
    expect((await outsiderApi.patch(`/contacts/${contact.id}`, { version: 1, title: 'X' })).status).toBe(404);
    expect(await contactRow(contact.id)).toMatchObject({ title: 'Office Manager', version: 1 });
  });
});

describe('simultaneous transactions', () => {
  const saveInItsOwnTransaction = (contactId: number, patch: Parameters<typeof updateContact>[4], baseVersion?: number) =>
    t.db.transaction().execute((trx) => updateContact(trx, t.clock, people.rep, contactId, patch, { baseVersion }));

  it('never both win the same field: one saves, the other gets a conflict', async () => {
    const contact = await contactAtNorth('Derek Olsen');
    const results = await Promise.allSettled([
      saveInItsOwnTransaction(contact.id, { title: 'Broker Owner' }, 1),
      saveInItsOwnTransaction(contact.id, { title: 'Managing Broker' }, 1),
    ]);
    const saved = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(saved).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(EditConflict);
    const row = await contactRow(contact.id);
    expect(row.version).toBe(2);
    expect(row.title).toBe((saved[0] as PromiseFulfilledResult<Contact>).value.title);
  });

  it('both land when they change different fields, with or without a version', async () => {
    const contact = await contactAtNorth('Kayla Reed');
    await Promise.all([
      saveInItsOwnTransaction(contact.id, { title: 'Office Coordinator' }, 1),
      saveInItsOwnTransaction(contact.id, { phone: '555 0188' }, 1),
      saveInItsOwnTransaction(contact.id, { preferred_time: 'Fridays' }),
      saveInItsOwnTransaction(contact.id, { email: 'kayla@summit.example' }),
    ]);
    expect(await contactRow(contact.id)).toMatchObject({
      title: 'Office Coordinator',
      phone: '555 0188',
      preferred_time: 'Fridays',
      email: 'kayla@summit.example',
      version: 5,
    });
  });
});
