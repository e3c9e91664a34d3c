import { createHash } from 'node:crypto';
import argon2 from 'argon2';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { pino } from 'pino';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';
import { testPassword } from '../support/factories.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('signing in', () => {
  it('signs a rep in with email and password and out again', async () => {
    const rep = await t.make.user({ email: 'rita@example.com' });
    const agent = supertest.agent(t.app);
    const loginPage = await agent.get('/login');
    expect(loginPage.status).toBe(200);
    const login = await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(loginPage.text), email: 'Rita@Example.com ', password: testPassword });
    expect(login.status).toBe(302);
    expect(login.headers.location).toBe('/accounts');
    const cookie = login.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect((await agent.get('/accounts')).text).toContain('My accounts');

    const page = await agent.get('/accounts');
    const logout = await agent.post('/logout').type('form').send({ _csrf: csrfTokenIn(page.text) });
    expect(logout.headers.location).toBe('/login');
    expect((await agent.get('/accounts')).status).toBe(302);
    expect(rep.email).toBe('rita@example.com');
  });

  it('refuses a wrong password and keeps the email typed', async () => {
    await t.make.user({ email: 'wrong@example.com' });
    const agent = supertest.agent(t.app);
    const loginPage = await agent.get('/login');
    const response = await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(loginPage.text), email: 'wrong@example.com', password: 'not the password' });
    expect(response.status).toBe(401);
    expect(response.text).toContain('do not match');
    expect(response.text).toContain('value="wrong@example.com"');
  });

  it('replaces a password hash made with older settings at the next sign-in, and the password still works', async () => {
    const user = await t.make.user();
    const olderHash = await argon2.hash(testPassword, { type: argon2.argon2id, memoryCost: 65_536, timeCost: 3, parallelism: 4 });
    await t.db.updateTable('users').set({ password_hash: olderHash }).where('id', '=', user.id).execute();
    await signIn(t.app, user);
    const { password_hash } = await t.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(password_hash).not.toContain(testPassword);
    await signIn(t.app, user);
  });

  it('refuses a disabled user', async () => {
    const user = await t.make.user();
    await t.db.updateTable('users').set({ active: 0 }).where('id', '=', user.id).execute();
    await expect(signIn(t.app, user)).rejects.toThrow(/401/);
  });

  it('sends a signed-out visitor to the login page and back afterwards', async () => {
    const response = await supertest(t.app).get('/accounts/5');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/login?next=%2Faccounts%2F5');
  });

  it('does not follow a next= that leaves the site', async () => {
    const user = await t.make.user();
    const agent = supertest.agent(t.app);
    const loginPage = await agent.get('/login');
    const response = await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(loginPage.text), email: user.email, password: testPassword, next: '//evil.example/' });
    expect(response.headers.location).toBe('/accounts');
  });

  it('stores passwords only as slow hashes', async () => {
    const user = await t.make.user();
    const row = await t.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(testPassword);
  });
});

describe('CSRF protection', () => {
  it('rejects a form posted without the token and saves nothing', async () => {
    const user = await t.make.user();
    const { agent } = await signIn(t.app, user);
    const response = await agent.post('/accounts').type('form').send({ name: 'Forged Corp' });
    expect(response.status).toBe(403);
    const forged = await t.db.selectFrom('accounts').select('id').where('name', '=', 'Forged Corp').execute();
    expect(forged).toHaveLength(0);
  });

  it('rejects a login posted without the token', async () => {
    const user = await t.make.user();
    const response = await supertest(t.app).post('/login').type('form').send({ email: user.email, password: testPassword });
    expect(response.status).toBe(403);
  });
});

/** express-session signs its cookie: "s:<session id>.<signature>", URL-encoded. */
const sessionIdIn = (cookie: string) => /^s:([^.]+)\./.exec(decodeURIComponent(/buychain\.sid=([^;]+)/.exec(cookie)![1]!))![1]!;

describe('sessions', () => {
  it('survive an app restart on the same database', async () => {
    const user = await t.make.user();
    const { agent } = await signIn(t.app, user);
    const cookie = (await agent.get('/accounts')).request.cookies;
    const restarted = createApp({
      db: t.reconnect(),
      clock: t.clock,
      mailer: t.mailer,
      config: parseConfig({ DATABASE_URL: t.url, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent' }),
      logger: pino({ level: 'silent' }),
    });
    const response = await supertest(restarted).get('/accounts').set('Cookie', cookie);
    expect(response.status).toBe(200);
    expect(response.text).toContain('My accounts');
  });

  it('are stored in the database, not in memory', async () => {
    const user = await t.make.user();
    await signIn(t.app, user);
    const rows = await t.db.selectFrom('sessions').select('user_id').where('user_id', '=', user.id).execute();
    expect(rows).toHaveLength(1);
  });

  it('keep only a hash of the session id that the cookie carries', async () => {
    const user = await t.make.user();
    const { agent } = await signIn(t.app, user);
    const cookie = (await agent.get('/accounts')).request.cookies;
    const sid = sessionIdIn(cookie);
    const [row] = await t.db.selectFrom('sessions').select('sid').where('user_id', '=', user.id).execute();
    expect(row!.sid).not.toContain(sid);
    expect(row!.sid).toBe(createHash('sha256').update(sid).digest('hex'));
  });
});

describe('sessions saved before their ids were hashed', () => {
  it('still sign their user in after the upgrade', async () => {
    const user = await t.make.user();
    const { agent } = await signIn(t.app, user);
    const cookie = (await agent.get('/accounts')).request.cookies;
    const sid = sessionIdIn(cookie);
    // As the previous release kept it: the id itself.
    await t.db.updateTable('sessions').set({ sid }).where('user_id', '=', user.id).execute();
    expect((await supertest(t.app).get('/accounts').set('Cookie', cookie)).status).toBe(302);

    const { up } = await import('../../migrations/2026_12_01_1000_hash_session_ids.js');
    await up(t.db);
    const page = await supertest(t.app).get('/accounts').set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('My accounts');
  });
});
