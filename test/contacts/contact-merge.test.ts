import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { type ApiClient, type Session, postForm, sessionsAndClients, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
type Who = 'rep' | 'teammate' | 'manager' | 'outsider';
let as: Record<Who, Session>;
let api: Record<Who, ApiClient>;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  ({ as, api } = await sessionsAndClients(t, { rep: people.rep, teammate: people.teammate, manager: people.manager, outsider: people.outsider }));
});
afterAll(() => t.close());

/**
 * Thomas Reed (decision-maker, with a title) and "Tom Reed" (an influencer with an email, a
 * birthday with its year, a promise, a complaint and Ken reporting to him) are one person; they
 * were both at one meeting, and Tom alone at a call.
 */
async function twoEntries(name: string) {
  const rep = people.rep;
  const account = await t.make.account(rep, { name });
  const thomas = await t.make.contact(rep, account.id, { name: 'Thomas Reed', title: 'Chief Operating Officer', birthday: '03-14', roles: ['decision_maker'] });
  const tom = await t.make.contact(rep, account.id, { name: 'Tom Reed', title: 'COO', email: 'tom@example.com', birthday: '1975-03-14', roles: ['influencer'], allow_duplicate: true } as never);
  const ken = await t.make.contact(rep, account.id, { name: 'Ken Ito', reports_to_contact_id: tom.id });
  const meeting = await t.make.touchpoint(rep, account.id, { contact_ids: [thomas.id, tom.id], occurred_at: '2026-11-10T15:00:00Z' });
  const call = await t.make.touchpoint(rep, account.id, { contact_ids: [tom.id], kind: 'call', location: 'phone', occurred_at: '2026-11-20T15:00:00Z', next_step: 'Send the quote', next_step_due_on: '2026-11-30' });
  await t.db
    .insertInto('complaints')
    .values({ account_id: account.id, contact_id: tom.id, category: 'service', issue: 'Late toner', raised_on: '2026-11-20', acknowledged_on: null, acknowledged_by_id: null, resolution: null, response: null, resolved_on: null, resolved_by_id: null, follow_up_due_on: null, verified_on: null, verified_by_id: null, satisfied: null, outcome: null, created_at: '2026-11-20T10:00:00.000Z', updated_at: '2026-11-20T10:00:00.000Z' })
    .execute();
  return { account, thomas, tom, ken, meeting, call };
}

const contactRow = (id: number) => t.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();

describe('merging two entries for one person', () => {
  it('moves everything to the one kept, keeps the richer of each field, records it, and the merged one is gone', async () => {
    const { account, thomas, tom, ken, meeting, call } = await twoEntries('Merge Api Co');
    const versionBefore = (await t.db.selectFrom('accounts').select('risk_version').where('id', '=', account.id).executeTakeFirstOrThrow()).risk_version;
    const response = await api.rep.post(`/contacts/${tom.id}/merge`, { into_contact_id: thomas.id });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: thomas.id,
      name: 'Thomas Reed',
      title: 'Chief Operating Officer',
      email: 'tom@example.com',
      birthday: '1975-03-14',
      roles: ['decision_maker', 'influencer'],
      merge: { merged_contact_id: tom.id, kept: { name: 'into', title: 'into', email: 'merged', birthday: 'merged', roles: 'into' }, moved: { touchpoints: 2, promises: 1, complaints: 1 } },
    });

    expect(await contactRow(tom.id)).toBeUndefined();
    expect((await api.rep.get(`/contacts/${tom.id}`)).status).toBe(404);
    expect((await as.rep.agent.get(`/contacts/${tom.id}`)).status).toBe(404);
    // Participants de-duplicated: the meeting once, the call now with Thomas.
    const participants = await t.db.selectFrom('touchpoint_contacts').select(['touchpoint_id', 'contact_id']).where('account_id', '=', account.id).orderBy('touchpoint_id').execute();
    expect(participants).toEqual([
      { touchpoint_id: meeting.id, contact_id: thomas.id },
      { touchpoint_id: call.id, contact_id: thomas.id },
    ]);
    expect(await contactRow(thomas.id)).toMatchObject({ touchpoint_count: 2, last_touch_at: '2026-11-20T15:00:00.000Z' });
    expect(await contactRow(ken.id)).toMatchObject({ reports_to_contact_id: thomas.id });
    expect(await t.db.selectFrom('commitments').select('contact_id').where('account_id', '=', account.id).execute()).toEqual([{ contact_id: thomas.id }]);
    expect(await t.db.selectFrom('complaints').select('contact_id').where('account_id', '=', account.id).execute()).toEqual([{ contact_id: thomas.id }]);
    const history = await t.db.selectFrom('audit_events').selectAll().where('entity_type', '=', 'contact').where('entity_id', '=', thomas.id).orderBy('id').execute();
    expect(history.map((event) => event.action)).toEqual(['created', 'created', 'merged']);
    expect(history.at(-1)).toMatchObject({ user_id: people.rep.id, context: `contact:${tom.id}` });
    expect(JSON.parse(history.at(-1)!.changes)).toMatchObject({ merged_contact: ['Tom Reed', null], email: [null, 'tom@example.com'], birthday: ['03-14', '1975-03-14'] });
    expect((await t.db.selectFrom('accounts').select('risk_version').where('id', '=', account.id).executeTakeFirstOrThrow()).risk_version).toBeGreaterThan(versionBefore);
    // Search finds the one kept (by the email it took over), never the merged entry.
    expect((await api.rep.get('/search?q=tom reed')).body.data.map((row: { id: number }) => row.id)).toEqual([thomas.id]);
    expect((await api.rep.get('/search?q=thomas')).body.data.map((row: { id: number }) => row.id)).toEqual([thomas.id]);
  });

  it('merges only within one account, and refuses another team or a teammate', async () => {
    const { thomas, tom } = await twoEntries('Merge Refusals Co');
    const elsewhere = await t.make.account(people.rep, { name: 'Merge Elsewhere Co' });
    const stranger = await t.make.contact(people.rep, elsewhere.id, { name: 'Tom Reed' });
    const across = await api.rep.post(`/contacts/${tom.id}/merge`, { into_contact_id: stranger.id });
    expect(across.status).toBe(400);
    expect(across.body.error.fields).toEqual({ into_contact_id: 'Only contacts of the same account can be merged' });
    expect((await api.rep.post(`/contacts/${tom.id}/merge`, { into_contact_id: tom.id })).body.error.fields).toHaveProperty('into_contact_id');
    expect((await api.rep.post(`/contacts/${tom.id}/merge`, {})).body.error.fields).toHaveProperty('into_contact_id');
    const theirs = await t.make.account(people.outsider, { name: 'Their Co' });
    const theirContact = await t.make.contact(people.outsider, theirs.id, { name: 'Tom Reed' });
    expect((await api.rep.post(`/contacts/${tom.id}/merge`, { into_contact_id: theirContact.id })).body.error.fields).toHaveProperty('into_contact_id');
    for (const who of ['teammate', 'outsider'] as const) {
      expect((await api[who].post(`/contacts/${tom.id}/merge`, { into_contact_id: thomas.id })).status, who).toBe(404);
      expect((await as[who].agent.get(`/contacts/${tom.id}/merge`)).status, who).toBe(404);
      expect((await postForm(as[who], `/contacts/${tom.id}/merge`, { into_contact_id: thomas.id })).status, who).toBe(404);
    }
    expect(await contactRow(tom.id)).toBeDefined();
    expect((await api.rep.post('/contacts/abc/merge', { into_contact_id: thomas.id })).status).toBe(404);
  });

  it('"Merge into…" shows what it will keep before merging, and says what it chose after', async () => {
    const { thomas, tom } = await twoEntries('Merge Page Co');
    const contactPage = await as.manager.agent.get(`/contacts/${tom.id}`);
    expect(contactPage.text).toContain(`href="/contacts/${tom.id}/merge"`);
    const choose = await as.manager.agent.get(`/contacts/${tom.id}/merge`);
    expect(choose.status).toBe(200);
    expect(choose.text).toContain(`<option value="${thomas.id}"`);
    const preview = await as.manager.agent.get(`/contacts/${tom.id}/merge?into_contact_id=${thomas.id}`);
    expect(preview.status).toBe(200);
    expect(preview.text).toMatch(/<th scope="row">Email<\/th><td>tom@example.com<\/td><td>Tom Reed<\/td>/);
    expect(preview.text).toMatch(/<th scope="row">Title<\/th><td>Chief Operating Officer<\/td><td>Thomas Reed<\/td><td>COO<\/td>/);
    expect(preview.text).toContain('2 touchpoints, 1 promises, 1 complaints');
    const bad = await as.manager.agent.get(`/contacts/${tom.id}/merge?into_contact_id=${tom.id}`);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="error-into_contact_id">/);

    const merged = await postForm(as.manager, `/contacts/${tom.id}/merge`, { into_contact_id: String(thomas.id) });
    expect(merged.status).toBe(302);
    expect(merged.headers.location).toBe(`/contacts/${thomas.id}`);
    const page = await as.manager.agent.get(`/contacts/${thomas.id}`);
    expect(page.text).toContain('Merged Tom Reed into Thomas Reed · kept email “tom@example.com” (from Tom Reed), birthday “1975-03-14” (from Tom Reed)');
  });
});
