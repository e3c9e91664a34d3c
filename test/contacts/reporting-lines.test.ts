import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { type Session, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let rep: Session;
beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  rep = await signIn(t.app, people.rep);
});
afterAll(() => t.close());

const reportsTo = async (id: number) => (await t.db.selectFrom('contacts').select('reports_to_contact_id').where('id', '=', id).executeTakeFirstOrThrow()).reports_to_contact_id;

describe('adding the decision-maker’s boss', () => {
  it('offers, pre-ticked, "Maria Lopez reports to Paul Whitman", and links them when saved', async () => {
    const account = await t.make.account(people.rep, { name: 'Lopez Logistics' });
    const maria = await t.make.contact(people.rep, account.id, { name: 'Maria Lopez', roles: ['decision_maker'] });

    const created = await rep.submit(`/accounts/${account.id}/contacts/new`, `/accounts/${account.id}/contacts`, { name: 'Paul Whitman', roles: ['boss'] });
    expect(created.status).toBe(302);
    const paul = await t.db.selectFrom('contacts').select('id').where('name', '=', 'Paul Whitman').executeTakeFirstOrThrow();
    expect(created.headers.location).toBe(`/contacts/${paul.id}#reporting-lines`);

    const page = await rep.agent.get(`/contacts/${paul.id}`);
    expect(page.text).toContain(`<input type="checkbox" name="report_ids" value="${maria.id}" checked> Maria Lopez reports to Paul Whitman`);

    const saved = await rep.submit(`/contacts/${paul.id}`, `/contacts/${paul.id}/reports`, { report_ids: [String(maria.id)] });
    expect(saved.status).toBe(302);
    expect(await reportsTo(maria.id)).toBe(paul.id);
    // Linked: nothing more to offer, and the change is in Maria's history.
    expect((await rep.agent.get(`/contacts/${paul.id}`)).text).not.toContain('id="reporting-lines"');
    expect((await rep.agent.get(`/contacts/${maria.id}`)).text).toContain('<li>Reports to: — → Paul Whitman</li>');
  });

  it('goes back to the account when the new contact is not a boss, or nobody is left to link', async () => {
    const account = await t.make.account(people.rep, { name: 'Plain Co' });
    await t.make.contact(people.rep, account.id, { name: 'Dee Cider', roles: ['decision_maker'] });
    const user = await rep.submit(`/accounts/${account.id}/contacts/new`, `/accounts/${account.id}/contacts`, { name: 'Una User', roles: ['user'] });
    expect(user.headers.location).toBe(`/accounts/${account.id}`);
  });

  it('refuses another team’s contacts, as the boss or as the one who reports', async () => {
    const account = await t.make.account(people.rep, { name: 'Guarded Co' });
    const boss = await t.make.contact(people.rep, account.id, { name: 'Our Boss', roles: ['boss'] });
    const theirAccount = await t.make.account(people.outsider, { name: 'Theirs Inc' });
    const theirs = await t.make.contact(people.outsider, theirAccount.id, { name: 'Their Decider', roles: ['decision_maker'] });
    const theirBoss = await t.make.contact(people.outsider, theirAccount.id, { name: 'Their Boss', roles: ['boss'] });

    expect((await rep.submit(`/contacts/${boss.id}`, `/contacts/${theirBoss.id}/reports`, { report_ids: [] })).status).toBe(404);
    const refused = await rep.submit(`/contacts/${boss.id}`, `/contacts/${boss.id}/reports`, { report_ids: [String(theirs.id)] });
    expect(refused.status).toBe(400);
    expect(await reportsTo(theirs.id)).toBeNull();
  });
});
