import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { apiClient, postForm, twoTeams } from '../support/scenarios.js';
import { startSmtpServer } from './digest-fixtures.js';

// Monday 23 November 2026, 14:00 UTC. Digests go through a real SMTP server.

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let people: Awaited<ReturnType<typeof twoTeams>>;
let northAccountId: number;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ mailer: smtp.mailer() });
  people = await twoTeams(t);
  northAccountId = (await t.make.account(people.rep, { name: 'North Unknowns', openedDaysAgo: 60 })).id;
  await t.make.account(people.outsider, { name: 'South Secrets', openedDaysAgo: 60 });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

describe('GET /api/v1/digest/preview', () => {
  it('gives a manager their own digest as data, naming every account it lists', async () => {
    const api = apiClient(t.app, await t.make.apiToken(people.manager));
    const response = await api.get('/digest/preview?week=2026-W48');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ manager: { id: people.manager.id, email: people.manager.email }, week: { id: '2026-W48' }, delivery: null });
    expect(response.body.accounts_at_risk.rows).toEqual([
      expect.objectContaining({ account_id: northAccountId, account_name: 'North Unknowns', owner_name: people.rep.name, level: 'critical', url: `http://buychain.test/accounts/${northAccountId}` }),
    ]);
    expect(JSON.stringify(response.body)).not.toContain('South Secrets');
    // Without manager_id: the caller's own; without week: their current week.
    expect((await api.get('/digest/preview')).body.week.id).toBe('2026-W48');
  });

  it("answers 404 for another manager's digest, 403 for a rep, and lets an admin see any manager's", async () => {
    const manager = apiClient(t.app, await t.make.apiToken(people.manager));
    expect((await manager.get(`/digest/preview?manager_id=${people.otherManager.id}`)).status).toBe(404);
    expect((await manager.get('/digest/preview?manager_id=abc')).status).toBe(404);
    expect((await apiClient(t.app, await t.make.apiToken(people.rep)).get(`/digest/preview?manager_id=${people.manager.id}`)).status).toBe(403);
    const admin = apiClient(t.app, await t.make.apiToken(people.admin));
    const south = await admin.get(`/digest/preview?manager_id=${people.otherManager.id}`);
    expect(south.status).toBe(200);
    expect(south.body.accounts_at_risk.rows.map((row: { account_name: string }) => row.account_name)).toEqual(['South Secrets']);
    // A rep is not a manager: there is no digest of theirs to see.
    expect((await admin.get(`/digest/preview?manager_id=${people.rep.id}`)).status).toBe(404);
    expect((await admin.get('/digest/preview')).status).toBe(400);
  });

  it('rejects a malformed or non-existent week with 400 naming the field', async () => {
    const api = apiClient(t.app, await t.make.apiToken(people.manager));
    for (const week of ['48', '2026-W54', '2027-W53']) {
      const response = await api.get(`/digest/preview?week=${week}`);
      expect(response.status, week).toBe(400);
      expect(response.body.error.fields.week).toBeTruthy();
    }
  });
});

describe('the preview page', () => {
  it('shows a manager the digest as it will be sent, and "Send now" sends it once', async () => {
    const session = await signIn(t.app, people.manager);
    const page = await session.agent.get('/digest');
    expect(page.status).toBe(200);
    expect(page.text).toContain('North Unknowns');
    expect(page.text).toContain('Team risk digest 2026-W48 (23–29 Nov 2026): 1 account at risk');
    expect(page.text).toContain('Not sent yet');
    expect(page.text).toContain('Send now');

    const sent = await postForm(session, '/digest/send', { manager_id: people.manager.id, week: '2026-W48' });
    expect(sent.status).toBe(302);
    expect(smtp.received.filter((mail) => mail.subject?.includes('2026-W48') && JSON.stringify(mail.to).includes(people.manager.email))).toHaveLength(1);
    const after = await session.agent.get(sent.headers.location!);
    expect(after.text).toContain(`Digest sent to ${people.manager.email}.`);
    expect(after.text).toContain('Sent Mon 23 Nov 2026, 14:00');
    expect(after.text).not.toContain('Send now');

    const again = await postForm(session, '/digest/send', { manager_id: people.manager.id, week: '2026-W48' });
    expect((await session.agent.get(again.headers.location!)).text).toContain('already sent');
    expect(smtp.received.filter((mail) => JSON.stringify(mail.to).includes(people.manager.email))).toHaveLength(1);
  });

  it('refuses another team’s manager (404) and reps (403); an admin picks any manager', async () => {
    const manager = await signIn(t.app, people.manager);
    expect((await manager.agent.get(`/digest?manager_id=${people.otherManager.id}`)).status).toBe(404);
    expect((await postForm(manager, '/digest/send', { manager_id: people.otherManager.id, week: '2026-W48' })).status).toBe(404);
    const rep = await signIn(t.app, people.rep);
    expect((await rep.agent.get('/digest')).status).toBe(403);
    expect((await postForm(rep, '/digest/send', { manager_id: people.manager.id, week: '2026-W48' })).status).toBe(403);
    const admin = await signIn(t.app, people.admin);
    const page = await admin.agent.get(`/digest?manager_id=${people.otherManager.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('South Secrets');
    expect(page.text).toContain(`<option value="${people.manager.id}"`);
  });

  it('answers 400 with the error beside the week field for a bad week, and only sends the current week', async () => {
    const session = await signIn(t.app, people.manager);
    const page = await session.agent.get('/digest?week=2026-W99');
    expect(page.status).toBe(400);
    expect(page.text).toContain('There is no week 2026-W99');
    const past = await postForm(session, '/digest/send', { manager_id: people.manager.id, week: '2026-W47' });
    expect(past.status).toBe(400);
    expect(past.text).toContain('Only this week’s digest (2026-W48) can be sent now');
  });
});

describe('digest settings', () => {
  it('lets a manager choose the day and hour or opt out, and validates the choice', async () => {
    const session = await signIn(t.app, people.manager);
    const page = await session.agent.get('/settings');
    expect(page.text).toContain('Weekly risk digest');
    expect(page.text).toMatch(/<option value="1" selected>Monday<\/option>/);
    expect(page.text).toMatch(/<option value="7" selected>07:00<\/option>/);

    const saved = await postForm(session, '/settings', { name: people.manager.name, time_zone: 'UTC', digest_day: '3', digest_hour: '6', digest_opt_out: '1' });
    expect(saved.status).toBe(302);
    expect(await t.db.selectFrom('users').select(['digest_day', 'digest_hour', 'digest_opt_out']).where('id', '=', people.manager.id).executeTakeFirst()).toEqual({
      digest_day: 3,
      digest_hour: 6,
      digest_opt_out: 1,
    });
    expect((await session.agent.get('/digest?week=2026-W49')).text).toContain('opted out of the digest');

    const invalid = await postForm(session, '/settings', { name: people.manager.name, time_zone: 'UTC', digest_day: '9', digest_hour: '6', digest_opt_out: '0' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('Choose a day of the week');

    const rep = await signIn(t.app, people.rep);
    expect((await rep.agent.get('/settings')).text).not.toContain('Weekly risk digest');
  });
});

describe('the admin view of deliveries', () => {
  it('lists failures with their error and next try; only admins may open it', async () => {
    smtp.refuseNext(1);
    const admin = await signIn(t.app, people.admin);
    await postForm(admin, '/digest/send', { manager_id: people.otherManager.id, week: '2026-W48' });
    const page = await admin.agent.get('/admin/digests');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Needs a look');
    expect(page.text).toContain('Mailbox temporarily unavailable');
    expect(page.text).toContain('Next try Mon 23 Nov 2026, 14:05');
    const manager = await signIn(t.app, people.manager);
    expect((await manager.agent.get('/admin/digests')).status).toBe(403);
  });
});
