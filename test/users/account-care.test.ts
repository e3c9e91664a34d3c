import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttleKey } from '../../src/users/login-throttle.js';
import { testPassword } from '../support/factories.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn, testNow } from '../support/test-app.js';
import { type Session, apiClient, postForm, twoTeams } from '../support/scenarios.js';
import { startSmtpServer } from '../digest/digest-fixtures.js';

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let people: Awaited<ReturnType<typeof twoTeams>>;
let as: Record<'rep' | 'manager' | 'otherManager' | 'outsider' | 'admin', Session>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ mailer: smtp.mailer() });
  people = await twoTeams(t);
  as = {
    rep: await signIn(t.app, people.rep),
    manager: await signIn(t.app, people.manager),
    otherManager: await signIn(t.app, people.otherManager),
    outsider: await signIn(t.app, people.outsider),
    admin: await signIn(t.app, people.admin),
  };
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

const stillSignedIn = async (session: Session) => (await session.agent.get('/accounts')).status === 200;
let addresses = 0;
/** A sign-in attempt from an address of its own, so these checks never add up to an address's limit. */
async function canSignIn(email: string, password: string) {
  const agent = supertest.agent(t.app);
  const page = await agent.get('/login');
  const response = await agent.post('/login').set('X-Forwarded-For', `198.18.0.${++addresses}`).type('form').send({ _csrf: csrfTokenIn(page.text), email, password });
  return response.status === 302;
}
const sessionsOf = async (userId: number) => (await t.db.selectFrom('sessions').select('sid').where('user_id', '=', userId).execute()).length;

describe('changing your password in Settings', () => {
  it('needs the current password, then signs out every other browser and keeps this one', async () => {
    const user = await t.make.user({ name: 'Pat Change' });
    const here = await signIn(t.app, user);
    const elsewhere = await signIn(t.app, user);

    const wrong = await here.submit('/settings', '/settings/password', { current_password: 'not it', new_password: 'a brand new secret', new_password_again: 'a brand new secret' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toMatch(/id="error-current_password">That is not your current password</);
    const mismatch = await here.submit('/settings', '/settings/password', { current_password: testPassword, new_password: 'a brand new secret', new_password_again: 'a brand new secreT' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toMatch(/id="error-new_password_again">The two new passwords differ</);
    const short = await here.submit('/settings', '/settings/password', { current_password: testPassword, new_password: 'short', new_password_again: 'short' });
    expect(short.text).toMatch(/id="error-new_password">Use at least 10 characters</);
    expect(short.text).not.toContain('value="short"');
    expect(await canSignIn(user.email, testPassword)).toBe(true);

    const changed = await here.submit('/settings', '/settings/password', { current_password: testPassword, new_password: 'a brand new secret', new_password_again: 'a brand new secret' });
    expect(changed.status).toBe(302);
    expect((await here.agent.get('/settings')).text).toContain('Password changed.');
    expect(await stillSignedIn(here)).toBe(true);
    expect(await stillSignedIn(elsewhere)).toBe(false);
    expect(await canSignIn(user.email, testPassword)).toBe(false);
    expect(await canSignIn(user.email, 'a brand new secret')).toBe(true);
  });

  it('changes only the signed-in user’s password, whatever id is posted', async () => {
    await postForm(as.outsider, '/settings/password', { current_password: testPassword, new_password: 'outsider new pass', new_password_again: 'outsider new pass', id: String(people.rep.id), user_id: String(people.rep.id) });
    expect(await canSignIn(people.rep.email, testPassword)).toBe(true);
    expect(await canSignIn(people.outsider.email, 'outsider new pass')).toBe(true);
    as.outsider = await signIn(t.app, people.outsider, 'outsider new pass');
  });
});

describe('sign out everywhere', () => {
  it('ends every session, this one included, and keeps API tokens unless asked', async () => {
    const user = await t.make.user();
    const [one, two] = [await signIn(t.app, user), await signIn(t.app, user)];
    const token = await t.make.apiToken(user);
    const response = await postForm(one, '/settings/sign-out-everywhere');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/login?notice=signed_out_everywhere');
    expect((await one.agent.get('/login?notice=signed_out_everywhere')).text).toContain('You are signed out everywhere.');
    expect(await stillSignedIn(one)).toBe(false);
    expect(await stillSignedIn(two)).toBe(false);
    expect(await sessionsOf(user.id)).toBe(0);
    expect((await apiClient(t.app, token).get('/me')).status).toBe(200);
  });

  it('revokes every API token too when ticked', async () => {
    const user = await t.make.user();
    const session = await signIn(t.app, user);
    const token = await t.make.apiToken(user);
    await postForm(session, '/settings/sign-out-everywhere', { revoke_tokens: '1' });
    expect((await apiClient(t.app, token).get('/me')).status).toBe(401);
  });

  it('signs out only the signed-in user, whatever id is posted', async () => {
    const session = await signIn(t.app, people.outsider, 'outsider new pass');
    await postForm(session, '/settings/sign-out-everywhere', { id: String(people.rep.id), user_id: String(people.rep.id) });
    expect(await stillSignedIn(as.rep)).toBe(true);
    as.outsider = await signIn(t.app, people.outsider, 'outsider new pass');
  });
});

describe('one-time reset links from an admin', () => {
  const linkIn = (text: string) => /http:\/\/buychain\.test\/reset-password\?token=[A-Za-z0-9_-]+/.exec(text)![0];

  it('are emailed, work once within the hour, sign the user out everywhere, and only their hash is kept', async () => {
    const user = await t.make.user({ name: 'Forgetful Fay', email: 'fay@example.com' });
    const oldSession = await signIn(t.app, user);
    const sent = await postForm(as.admin, `/admin/users/${user.id}/reset-link`);
    expect(sent.status).toBe(302);
    expect((await as.admin.agent.get('/admin/users')).text).toContain('Emailed Forgetful Fay a link to set a new password');
    await expect.poll(() => smtp.received.filter((mail) => mail.subject === 'Set a new Buychain password' && mail.text?.includes('Forgetful Fay')).length).toBe(1);
    const mail = smtp.received.find((received) => received.text?.includes('Forgetful Fay'))!;
    expect(mail.text).toContain('The Admin sent you a link');
    const link = linkIn(mail.text!);
    const token = new URL(link).searchParams.get('token')!;
    expect(JSON.stringify(await t.db.selectFrom('password_resets').selectAll().execute())).not.toContain(token);

    const browser = supertest.agent(t.app);
    const form = await browser.get(`/reset-password?token=${token}`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('fay@example.com');
    const mismatch = await browser.post('/reset-password').type('form').send({ _csrf: csrfTokenIn(form.text), token, new_password: 'fay new password', new_password_again: 'other' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toMatch(/id="error-new_password_again">The two new passwords differ</);
    const done = await browser.post('/reset-password').type('form').send({ _csrf: csrfTokenIn(form.text), token, new_password: 'fay new password', new_password_again: 'fay new password' });
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe('/login?notice=password_set');
    expect(await stillSignedIn(oldSession)).toBe(false);
    expect(await canSignIn(user.email, 'fay new password')).toBe(true);
    expect(await canSignIn(user.email, testPassword)).toBe(false);

    // Used once: the same link no longer works.
    expect((await browser.get(`/reset-password?token=${token}`)).status).toBe(404);
    const again = await browser.post('/reset-password').type('form').send({ _csrf: csrfTokenIn(form.text), token, new_password: 'fay third password', new_password_again: 'fay third password' });
    expect(again.status).toBe(404);
    expect(await canSignIn(user.email, 'fay new password')).toBe(true);
  });

  it('expire after an hour, and a new link replaces the previous one', async () => {
    const user = await t.make.user({ name: 'Late Larry' });
    await postForm(as.admin, `/admin/users/${user.id}/reset-link`);
    await postForm(as.admin, `/admin/users/${user.id}/reset-link`);
    await expect.poll(() => smtp.received.filter((mail) => mail.text?.includes('Late Larry')).length).toBe(2);
    const [first, second] = smtp.received.filter((mail) => mail.text?.includes('Late Larry')).map((mail) => linkIn(mail.text!).replace('http://buychain.test', ''));
    expect((await supertest(t.app).get(first!)).status).toBe(404);
    expect((await supertest(t.app).get(second!)).status).toBe(200);
    try {
      t.clock.set('2026-11-23T15:00:01.000Z');
      const expired = await supertest(t.app).get(second!);
      expect(expired.status).toBe(404);
      expect(expired.text).toContain('Ask an admin to send you a new one');
    } finally {
      t.clock.set(testNow);
    }
  });

  it('unlock an account locked by failed sign-ins', async () => {
    const user = await t.make.user({ name: 'Locked Lou' });
    for (let guess = 0; guess < 4; guess++) await canSignIn(user.email, 'wrong');
    await t.db.updateTable('login_throttles').set({ failures: 10, blocked_until: '2026-11-23T14:15:00.000Z' }).where('key', '=', throttleKey('account', user.email)).execute();
    expect(await canSignIn(user.email, testPassword)).toBe(false);
    await postForm(as.admin, `/admin/users/${user.id}/reset-link`);
    await expect.poll(() => smtp.received.filter((mail) => mail.text?.includes('Locked Lou')).length).toBe(1);
    const link = linkIn(smtp.received.find((mail) => mail.text?.includes('Locked Lou'))!.text!).replace('http://buychain.test', '');
    const browser = supertest.agent(t.app);
    const form = await browser.get(link);
    await browser.post('/reset-password').type('form').send({ _csrf: csrfTokenIn(form.text), token: new URL(link, 'http://x').searchParams.get('token'), new_password: 'lou new password', new_password_again: 'lou new password' });
    expect(await canSignIn(user.email, 'lou new password')).toBe(true);
  });

  it('are for admins only: reps and managers of any team get 403 and nothing is sent', async () => {
    const before = smtp.received.length;
    for (const who of ['rep', 'manager', 'otherManager'] as const) {
      expect((await postForm(as[who], `/admin/users/${people.outsider.id}/reset-link`)).status).toBe(403);
      expect((await postForm(as[who], `/admin/users/${people.rep.id}/reset-link`)).status).toBe(403);
    }
    expect((await postForm(as.admin, '/admin/users/999999/reset-link')).status).toBe(404);
    expect(smtp.received.length).toBe(before);
    expect(await t.db.selectFrom('password_resets').select('id').where('user_id', 'in', [people.outsider.id, people.rep.id]).execute()).toHaveLength(0);
  });
});

describe('API tokens that expire', () => {
  it('stop working after their lifetime, and Settings shows when they expire and when they were last used', async () => {
    const user = await t.make.user();
    const session = await signIn(t.app, user);
    const created = await session.submit('/settings', '/settings/tokens', { token_name: 'Quarterly sync', token_lifetime_days: '30' });
    expect(created.status).toBe(201);
    const token = /<code class="token">([^<]+)<\/code>/.exec(created.text)![1]!;
    const row = await t.db.selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.expires_at).toBe('2026-12-23T14:00:00.000Z');
    expect((await apiClient(t.app, token).get('/me')).status).toBe(200);
    const settings = await session.agent.get('/settings');
    expect(settings.text).toContain('Wed 23 Dec 2026');
    expect(settings.text).toMatch(/data-label="Last used">Mon 23 Nov 2026/);
    try {
      t.clock.set('2026-12-23T14:00:00.000Z');
      expect((await apiClient(t.app, token).get('/me')).status).toBe(401);
    } finally {
      t.clock.set(testNow);
    }
    await t.db.updateTable('api_tokens').set({ expires_at: '2026-11-23T13:00:00.000Z' }).where('id', '=', row.id).execute();
    expect((await session.agent.get('/settings')).text).toContain('<strong>Expired</strong>');
  });

  it('refuses a lifetime that is not offered, with the error beside the field', async () => {
    const user = await t.make.user();
    const session = await signIn(t.app, user);
    const response = await session.submit('/settings', '/settings/tokens', { token_name: 'Forever-ish', token_lifetime_days: '9999' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-token_lifetime_days">Choose how long the token works</);
    expect(await t.db.selectFrom('api_tokens').select('id').where('user_id', '=', user.id).execute()).toHaveLength(0);
  });
});

describe('disabling and enabling a user', () => {
  it('never revives the API tokens they had before', async () => {
    const user = await t.make.user();
    const token = await t.make.apiToken(user);
    await postForm(as.admin, `/admin/users/${user.id}`, { active: '0' });
    await postForm(as.admin, `/admin/users/${user.id}`, { active: '1' });
    expect(await canSignIn(user.email, testPassword)).toBe(true);
    expect((await apiClient(t.app, token).get('/me')).status).toBe(401);
    const fresh = await t.make.apiToken(user);
    expect((await apiClient(t.app, fresh).get('/me')).status).toBe(200);
  });
});

describe('deleting a user', () => {
  it('moves their accounts and open promises to the person chosen first, then removes them everywhere', async () => {
    const leaver = await t.make.user({ name: 'Leaving Lena', email: 'lena@example.com', manager: people.manager });
    const accounts = [await t.make.account(leaver, { name: 'Lena One' }), await t.make.account(leaver, { name: 'Lena Two' })];
    await t.db.insertInto('commitments').values({ account_id: accounts[0]!.id, owner_id: leaver.id, description: 'Call back', due_on: '2026-11-30', created_at: testNow }).execute();
    const token = await t.make.apiToken(leaver);
    const session = await signIn(t.app, leaver);

    const page = await as.admin.agent.get(`/admin/users/${leaver.id}/delete`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('They own 2 accounts and 1 open promise.');
    const unchosen = await as.admin.submit(`/admin/users/${leaver.id}/delete`, `/admin/users/${leaver.id}/delete`, { successor_id: '' });
    expect(unchosen.status).toBe(400);
    expect(unchosen.text).toMatch(/id="error-successor_id">Choose who takes over Leaving Lena’s accounts</);
    expect((await t.db.selectFrom('users').select('deleted_at').where('id', '=', leaver.id).executeTakeFirstOrThrow()).deleted_at).toBeNull();

    const done = await as.admin.submit(`/admin/users/${leaver.id}/delete`, `/admin/users/${leaver.id}/delete`, { successor_id: String(people.rep.id) });
    expect(done.status).toBe(302);
    const list = await as.admin.agent.get('/admin/users');
    expect(list.text).toContain('Deleted Leaving Lena. 2 accounts and 1 open promise now belong to North Rep.');
    expect(list.text).not.toContain('lena@example.com');
    const moved = await t.db.selectFrom('accounts').select('owner_id').where('id', 'in', accounts.map((account) => account.id)).execute();
    expect(moved.every((account) => account.owner_id === people.rep.id)).toBe(true);
    expect((await t.db.selectFrom('commitments').select('owner_id').where('account_id', '=', accounts[0]!.id).executeTakeFirstOrThrow()).owner_id).toBe(people.rep.id);
    const audit = await t.db.selectFrom('audit_events').selectAll().where('account_id', '=', accounts[0]!.id).where('context', '=', 'user_deleted').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.changes)).toEqual({ owner_id: [leaver.id, people.rep.id] });
    expect(audit.user_id).toBe(people.admin.id);

    expect(await stillSignedIn(session)).toBe(false);
    expect((await apiClient(t.app, token).get('/me')).status).toBe(401);
    expect(await canSignIn('lena@example.com', testPassword)).toBe(false);
    expect((await as.rep.agent.get(`/accounts/${accounts[1]!.id}`)).status).toBe(200);
    // Their email is free for someone new.
    await t.make.user({ email: 'lena@example.com' });
    // Gone: their page answers 404.
    expect((await as.admin.agent.get(`/admin/users/${leaver.id}/delete`)).status).toBe(404);
  });

  it('refuses a manager who still has reps, and yourself, with a clear message', async () => {
    const { manager } = await t.make.team('Kept');
    const managerPage = await as.admin.agent.get(`/admin/users/${manager.id}/delete`);
    expect(managerPage.text).toContain('Kept Manager still manages 1 person; give them another manager first.');
    expect(managerPage.text).not.toContain('<button type="submit" class="danger">Delete');
    const refused = await postForm(as.admin, `/admin/users/${manager.id}/delete`, {});
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('give them another manager first');
    const self = await postForm(as.admin, `/admin/users/${people.admin.id}/delete`, {});
    expect(self.status).toBe(400);
    expect(self.text).toContain('You cannot delete yourself; ask another admin.');
    expect(await t.db.selectFrom('users').select('id').where('deleted_at', 'is not', null).where('id', 'in', [manager.id, people.admin.id]).execute()).toHaveLength(0);
  });

  it('is for admins only: reps and managers of any team get 403 and nothing changes', async () => {
    for (const who of ['rep', 'manager', 'otherManager'] as const) {
      expect((await as[who].agent.get(`/admin/users/${people.outsider.id}/delete`)).status).toBe(403);
      expect((await postForm(as[who], `/admin/users/${people.outsider.id}/delete`, { successor_id: String(people.rep.id) })).status).toBe(403);
    }
    expect((await as.admin.agent.get('/admin/users/999999/delete')).status).toBe(404);
    expect((await as.admin.agent.get('/admin/users/abc/delete')).status).toBe(404);
    expect((await t.db.selectFrom('users').select('deleted_at').where('id', '=', people.outsider.id).executeTakeFirstOrThrow()).deleted_at).toBeNull();
  });
});
