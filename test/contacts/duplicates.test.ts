import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { type ApiClient, type Session, sessionsAndClients, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let rep: CurrentUser;
let as: Record<'rep' | 'outsider', Session>;
let api: Record<'rep' | 'outsider', ApiClient>;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  rep = people.rep;
  ({ as, api } = await sessionsAndClients(t, { rep, outsider: people.outsider }));
});
afterAll(() => t.close());

/** Maria decides; Tom Reed, an influencer, was added today. Nobody uses the product yet. */
async function account(name: string) {
  const created = await t.make.account(rep, { name });
  const maria = await t.make.contact(rep, created.id, { name: 'Maria Lopez', roles: ['decision_maker'] });
  const tom = await t.make.contact(rep, created.id, { name: 'Tom Reed', email: 'tom.reed@example.com', roles: ['influencer'] });
  return { account: created, maria, tom };
}
const namesAt = async (accountId: number) =>
  (await t.db.selectFrom('contacts').select('name').where('account_id', '=', accountId).orderBy('id').execute()).map((row) => row.name);

describe('adding someone who is already there', () => {
  it('the API answers 409 with the existing contact; allow_duplicate adds a namesake, never a second owner of an email', async () => {
    const { account: acct, tom } = await account('Api Dupes Co');
    const again = await api.rep.post(`/accounts/${acct.id}/contacts`, { name: '  tom  RÉED ' });
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({
      code: 'possible_duplicate',
      message: 'Is this Tom Reed (influencer, added today)?',
      fields: { name: 'Is this Tom Reed (influencer, added today)?' },
      existing_contact_id: tom.id,
    });
    const sameEmail = await api.rep.post(`/accounts/${acct.id}/contacts`, { name: 'T. Reed', email: 'TOM.REED@example.com', allow_duplicate: true });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.error).toMatchObject({ existing_contact_id: tom.id, fields: { email: 'Tom Reed (influencer, added today) already has this email. Is it them?' } });
    expect(await namesAt(acct.id)).toEqual(['Maria Lopez', 'Tom Reed']);

    const namesake = await api.rep.post(`/accounts/${acct.id}/contacts`, { name: 'Tom Reed', title: 'Warehouse lead', allow_duplicate: true });
    expect(namesake.status).toBe(201);
    expect(await namesAt(acct.id)).toEqual(['Maria Lopez', 'Tom Reed', 'Tom Reed']);
    expect((await api.outsider.post(`/accounts/${acct.id}/contacts`, { name: 'Tom Reed' })).status).toBe(404);
  });

  it('the contact form asks instead of adding, keeps the typing, and adds a different person when told', async () => {
    const { account: acct, tom } = await account('Form Dupes Co');
    const form = `/accounts/${acct.id}/contacts/new`;
    const asked = await as.rep.submit(form, `/accounts/${acct.id}/contacts`, { name: 'Tom Reed', title: 'Buyer' });
    expect(asked.status).toBe(409);
    expect(asked.text).toContain('Is this Tom Reed (influencer, added today)?');
    expect(asked.text).toContain(`href="/contacts/${tom.id}"`);
    expect(asked.text).toContain('value="Buyer"');
    expect(asked.text).toContain('name="allow_duplicate"');
    expect(await namesAt(acct.id)).toEqual(['Maria Lopez', 'Tom Reed']);

    const added = await as.rep.submit(form, `/accounts/${acct.id}/contacts`, { name: 'Tom Reed', title: 'Buyer', allow_duplicate: '1' });
    expect(added.status).toBe(302);
    expect(await namesAt(acct.id)).toEqual(['Maria Lopez', 'Tom Reed', 'Tom Reed']);
  });
});

describe('one touchpoint form, one new person', () => {
  const formOf = (accountId: number) => `/accounts/${accountId}/touchpoints/new`;

  it('the same new person in "met someone new" and a gap answer is added once (the issue’s Tom Reed)', async () => {
    const acct = await t.make.account(rep, { name: 'Gap Dupes Co' });
    const maria = await t.make.contact(rep, acct.id, { name: 'Maria Lopez', roles: ['decision_maker'] });
    const form = await as.rep.agent.get(formOf(acct.id));
    expect(form.text).toContain('Who else has a say in the purchase?');
    expect(form.text).toContain('list="people-typed-above"');
    // Shown again after a failed save, the answers offer the new people typed above.
    const failed = await as.rep.submit(formOf(acct.id), `/accounts/${acct.id}/touchpoints`, { kind: 'meeting', location: 'customer_office', contact_ids: String(maria.id), 'new_contacts[0][name]': 'Ken Ito', next_step_due_on: '2026-11-30' });
    expect(failed.status).toBe(400);
    expect(failed.text).toMatch(/<datalist id="people-typed-above">\s*<option value="Ken Ito"><\/option>/);
    const response = await as.rep.submit(formOf(acct.id), `/accounts/${acct.id}/touchpoints`, {
      kind: 'meeting',
      location: 'customer_office',
      occurred_at: '2026-11-23T09:00',
      contact_ids: String(maria.id),
      'new_contacts[0][name]': 'Tom Reed',
      'new_contacts[0][roles]': 'influencer',
      'new_contacts[1][name]': 'tom reed',
      'new_contacts[1][roles]': 'champion',
      'gap_answers[influencer][name]': 'Tom  Reed',
    });
    expect(response.status).toBe(302);
    expect(await namesAt(acct.id)).toEqual(['Maria Lopez', 'Tom Reed']);
    const tom = await t.db.selectFrom('contacts').select('id').where('account_id', '=', acct.id).where('name', '=', 'Tom Reed').executeTakeFirstOrThrow();
    const roles = await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', tom.id).orderBy('role').execute();
    expect(roles.map((row) => row.role)).toEqual(['champion', 'influencer']);
    const page = await as.rep.agent.get(`/accounts/${acct.id}`);
    expect(page.text.match(/added Tom Reed/g)).toHaveLength(1);
  });

  it('a new person matching someone already here is asked about beside the row; “that’s them” ticks them, “different” adds', async () => {
    const { account: acct, maria, tom } = await account('Row Dupes Co');
    const fields = { kind: 'meeting', location: 'customer_office', occurred_at: '2026-11-23T09:00', contact_ids: String(maria.id), summary: 'Met the team' };
    const asked = await as.rep.submit(formOf(acct.id), `/accounts/${acct.id}/touchpoints`, { ...fields, 'new_contacts[0][name]': 'Tom Reed' });
    expect(asked.status).toBe(409);
    expect(asked.text).toMatch(/id="error-new_contacts.0.name">Is this Tom Reed \(influencer, added today\)\?/);
    expect(asked.text).toContain(`name="new_contacts[0][same_as]" value="${tom.id}"`);
    expect(asked.text).toContain('Met the team');
    expect(await t.db.selectFrom('touchpoints').select('id').where('account_id', '=', acct.id).execute()).toEqual([]);

    const them = await as.rep.submit(formOf(acct.id), `/accounts/${acct.id}/touchpoints`, { ...fields, 'new_contacts[0][name]': 'Tom Reed', 'new_contacts[0][same_as]': String(tom.id) });
    expect(them.status).toBe(302);
    expect(await namesAt(acct.id)).toEqual(['Maria Lopez', 'Tom Reed']);
    const participants = await t.db.selectFrom('touchpoint_contacts').select('contact_id').where('account_id', '=', acct.id).orderBy('contact_id').execute();
    expect(participants.map((row) => row.contact_id)).toEqual([maria.id, tom.id]);

    const different = await as.rep.submit(formOf(acct.id), `/accounts/${acct.id}/touchpoints`, { ...fields, 'new_contacts[0][name]': 'Tom Reed', 'new_contacts[0][same_as]': 'new' });
    expect(different.status).toBe(302);
    expect(await namesAt(acct.id)).toEqual(['Maria Lopez', 'Tom Reed', 'Tom Reed']);
  });

  it('the touchpoint API answers 409 naming the row and the existing contact', async () => {
    const { account: acct, maria, tom } = await account('Api Row Dupes Co');
    const response = await api.rep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'call', location: 'phone', contact_ids: [maria.id], new_contacts: [{ name: 'Tom Reed' }] });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'possible_duplicate', existing_contact_id: tom.id, fields: { 'new_contacts.0.name': 'Is this Tom Reed (influencer, added today)?' } });
    const allowed = await api.rep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'call', location: 'phone', new_contacts: [{ name: 'Tom Reed', allow_duplicate: true }] });
    expect(allowed.status).toBe(201);
  });
});
