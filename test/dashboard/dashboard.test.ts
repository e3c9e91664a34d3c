import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

let t: TestApp;
let manager: CurrentUser;
let rep: CurrentUser;
let teammate: CurrentUser;
let outsider: CurrentUser;
const ids: Record<string, number> = {};

/** A team with a healthy account, a neglected one and one whose decision-maker is due for coffee this week. */
beforeAll(async () => {
  t = await createTestApp(); // Monday 23 Nov 2026, 14:00 UTC
  ({ manager, rep } = await t.make.team('Dana'));
  teammate = await t.make.user({ name: 'Sam Teammate', manager });
  outsider = (await t.make.team('Other')).rep;

  const healthy = await t.make.account(rep, { name: 'Bluewater Law' });
  const people = [
    await t.make.contact(rep, healthy.id, { name: 'Helen Park', roles: ['decision_maker'] }),
    await t.make.contact(rep, healthy.id, { name: 'James Whitaker', roles: ['boss'] }),
    await t.make.contact(rep, healthy.id, { name: 'Nora Quinn', roles: ['user'] }),
    await t.make.contact(rep, healthy.id, { name: 'Omar Haddad', roles: ['influencer'] }),
  ];
  await t.make.touchpoint(rep, healthy.id, { contact_ids: people.map((p) => p.id), kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-20T12:00:00Z' });
  ids.healthy = healthy.id;

  const neglected = await t.make.account(rep, { name: 'Cedar Ridge Schools', openedDaysAgo: 20 });
  await t.make.contact(rep, neglected.id, { name: 'Angela Brooks', roles: ['decision_maker'] });
  ids.neglected = neglected.id;

  const dueSoon = await t.make.account(rep, { name: 'Granite Insurance' });
  const olivia = await t.make.contact(rep, dueSoon.id, { name: 'Olivia Grant', roles: ['decision_maker', 'boss', 'influencer'] });
  const ben = await t.make.contact(rep, dueSoon.id, { name: 'Ben Carter', roles: ['user'] });
  await t.make.touchpoint(rep, dueSoon.id, { contact_ids: [olivia.id, ben.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-10-27T12:00:00Z' });
  ids.dueSoon = dueSoon.id;

  ids.teammates = (await t.make.account(teammate, { name: 'Oakwood Senior Living', openedDaysAgo: 60 })).id;
  ids.outsiders = (await t.make.account(outsider, { name: 'Elsewhere Inc', openedDaysAgo: 60 })).id;
});
afterAll(() => t.close());

/** Where each name stands in the account list (not in the panels above it). */
const order = (html: string, names: string[]) => {
  const list = html.slice(html.indexOf('<ul class="account-list">'));
  return names.map((name) => list.indexOf(name)).filter((index) => index >= 0);
};

describe('My accounts', () => {
  it('lists the rep’s own accounts riskiest first, with level, flags and decision-maker meeting age', async () => {
    const { agent } = await signIn(t.app, rep);
    const page = await agent.get('/accounts');
    expect(page.status).toBe(200);
    // Cedar Ridge is at risk; the other two score 0 and follow by name.
    const positions = order(page.text, ['Cedar Ridge Schools', 'Bluewater Law', 'Granite Insurance']);
    expect(positions).toHaveLength(3);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(page.text).toContain('Gone quiet');
    expect(page.text).toContain('Decision-maker met outside 3 days ago');
    expect(page.text).not.toContain('Oakwood Senior Living');
    expect(page.text).not.toContain('Elsewhere Inc');
  });

  it('lists decision-maker meetings due in the next 7 days so they can be booked ahead', async () => {
    const { agent } = await signIn(t.app, rep);
    const page = await agent.get('/accounts');
    expect(page.text).toContain('Decision-maker meetings due this week');
    expect(page.text).toMatch(/Granite Insurance<\/a>: coffee with Olivia Grant due in 3 days/);
  });

  it('shows the rep’s late promises and the key dates of the next two weeks', async () => {
    const colleague = await t.make.user({ name: 'Pat Promiser' });
    const account = await t.make.account(colleague, { name: 'Maple Street Accounting' });
    const rachel = await t.make.contact(colleague, account.id, { name: 'Rachel Adams', roles: ['decision_maker'], birthday: '11-28' });
    await t.make.touchpoint(colleague, account.id, { contact_ids: [rachel.id], next_step: 'Send the toner price list', next_step_due_on: '2026-11-20', occurred_at: '2026-11-16T15:00:00Z' });
    const { agent } = await signIn(t.app, colleague);
    const page = await agent.get('/accounts');
    expect(page.text).toContain('Send the toner price list');
    expect(page.text).toMatch(/Late \(1\)/);
    expect(page.text).toContain("Rachel Adams</a>'s birthday");
  });

  it('filters by level and by flag', async () => {
    const { agent } = await signIn(t.app, rep);
    const byFlag = await agent.get('/accounts?flag=account_gone_quiet');
    expect(byFlag.text).toContain('Cedar Ridge Schools');
    expect(byFlag.text).not.toContain('Bluewater Law</strong>');
    const noMatch = await agent.get('/accounts?flag=complaint_follow_up_overdue');
    expect(noMatch.text).toContain('No account matches these filters.');
    const byLevel = await agent.get('/accounts?level=ok');
    expect(byLevel.text).toContain('Bluewater Law</strong>');
    expect(byLevel.text).not.toContain('Cedar Ridge Schools</strong>');
  });

  it('shows a manager only their own accounts here', async () => {
    const { agent } = await signIn(t.app, manager);
    const page = await agent.get('/accounts');
    expect(page.text).not.toContain('Cedar Ridge Schools');
  });
});

describe('the team view', () => {
  it('shows a manager every account of their reps, with counts per level per rep', async () => {
    const { agent } = await signIn(t.app, manager);
    const page = await agent.get('/team');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Cedar Ridge Schools');
    expect(page.text).toContain('Oakwood Senior Living');
    expect(page.text).not.toContain('Elsewhere Inc');
    expect(page.text).toMatch(new RegExp(`${rep.name}</a></th>\\s*<td data-label="Accounts">3</td>`));
  });

  it('filters by rep', async () => {
    const { agent } = await signIn(t.app, manager);
    const page = await agent.get(`/team?owner=${teammate.id}`);
    expect(page.text).toContain('Oakwood Senior Living</strong>');
    expect(page.text).not.toContain('Cedar Ridge Schools</strong>');
  });

  it('is refused to a rep, and shows nothing of another team even when asked by owner', async () => {
    const { agent } = await signIn(t.app, rep);
    expect((await agent.get('/team')).status).toBe(403);
    const other = await signIn(t.app, (await t.make.team('Third')).manager);
    const page = await other.agent.get(`/team?owner=${rep.id}`);
    expect(page.text).not.toContain('Cedar Ridge Schools');
  });
});

describe('the risk API', () => {
  it('GET /api/v1/risk lists every visible account riskiest first', async () => {
    const token = await t.make.apiToken(manager);
    const response = await supertest(t.app).get('/api/v1/risk').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    const names = response.body.data.map((row: { account_name: string }) => row.account_name);
    expect(names).toHaveLength(4);
    expect(names).not.toContain('Elsewhere Inc');
    const scores = response.body.data.map((row: { score: number }) => row.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const cedar = response.body.data.find((row: { account_name: string }) => row.account_name === 'Cedar Ridge Schools');
    expect(cedar).toMatchObject({ account_id: ids.neglected, owner_id: rep.id, level: 'at_risk' });
    expect(cedar.flags).toEqual(expect.arrayContaining(['account_gone_quiet', 'single_threaded', 'boss_unknown']));
    expect(response.body).toMatchObject({ page: 1, total: 4 });
  });

  it('GET /api/v1/accounts/:id/risk explains each flag and refuses another team', async () => {
    const token = await t.make.apiToken(rep);
    const response = await supertest(t.app).get(`/api/v1/accounts/${ids.dueSoon}/risk`).set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ score: 0, level: 'ok', flags: [], bus_factor: 2 });
    expect(response.body.decision_maker_meeting).toMatchObject({ due_on: '2026-11-26', due_in_days: 3 });

    const neglected = await supertest(t.app).get(`/api/v1/accounts/${ids.neglected}/risk`).set('Authorization', `Bearer ${token}`);
    const quiet = neglected.body.flags.find((flag: { code: string }) => flag.code === 'account_gone_quiet');
    expect(quiet).toMatchObject({ severity: 'medium', message: 'No touchpoint with anyone yet.' });
    expect(quiet.next_action).toMatch(/Call or drop by/);

    const outsiderToken = await t.make.apiToken(outsider);
    expect((await supertest(t.app).get(`/api/v1/accounts/${ids.neglected}/risk`).set('Authorization', `Bearer ${outsiderToken}`)).status).toBe(404);
    expect((await supertest(t.app).get(`/api/v1/accounts/abc/risk`).set('Authorization', `Bearer ${outsiderToken}`)).status).toBe(404);
  });

  it('the account page shows the flags with their next action, the meeting clock and the bus factor', async () => {
    const { agent } = await signIn(t.app, rep);
    const page = await agent.get(`/accounts/${ids.dueSoon}`);
    expect(page.text).toContain('Olivia Grant: last met outside the office 27 days ago; next due in 3 days (26 Nov) on a 30-day cadence.');
    expect(page.text).toContain('Bus factor: 2.');
    const neglected = await agent.get(`/accounts/${ids.neglected}`);
    expect(neglected.text).toContain('No touchpoint with anyone yet.');
    expect(neglected.text).toContain('Find out who the decision-maker reports to and ask for an introduction.');
  });
});
