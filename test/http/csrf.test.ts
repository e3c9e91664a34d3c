import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPassword } from '../support/factories.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const sessionRows = async () => (await t.db.selectFrom('sessions').select('sid').execute()).length;

describe('sessions are created only at sign-in', () => {
  it('stores no session for anonymous visits, a failed sign-in, or a CSRF failure', async () => {
    const user = await t.make.user();
    const before = await sessionRows();
    const agent = supertest.agent(t.app);
    const page = await agent.get('/login');
    expect(page.status).toBe(200);
    await agent.get('/accounts');
    await agent.get('/reset-password?token=nothing');
    await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(page.text), email: user.email, password: 'wrong password' });
    await agent.post('/login').type('form').send({ email: user.email, password: testPassword });
    await supertest(t.app).get('/login');
    expect(await sessionRows()).toBe(before);
    // The page sets no session cookie either, only the sign-in form's own.
    expect(String(page.headers['set-cookie'])).not.toContain('buychain.sid');

    await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(page.text), email: user.email, password: testPassword });
    expect(await sessionRows()).toBe(before + 1);
  });
});

describe('the sign-in form without a session', () => {
  it('refuses a token from another browser, a missing cookie, or a forged token', async () => {
    const user = await t.make.user();
    const mine = supertest.agent(t.app);
    const theirs = supertest.agent(t.app);
    const myPage = await mine.get('/login');
    const theirPage = await theirs.get('/login');
    const send = (agent: ReturnType<typeof supertest.agent> | ReturnType<typeof supertest>, token: string) =>
      agent.post('/login').type('form').send({ _csrf: token, email: user.email, password: testPassword });
    expect((await send(mine, csrfTokenIn(theirPage.text))).status).toBe(403);
    expect((await send(supertest(t.app), csrfTokenIn(myPage.text))).status).toBe(403);
    expect((await send(mine, 'forged')).status).toBe(403);
    expect((await send(mine, csrfTokenIn(myPage.text))).status).toBe(302);
  });

  it('keeps working for forms of a signed-in user, whose token lives in the session', async () => {
    const user = await t.make.user();
    const session = await signIn(t.app, user);
    const page = await session.agent.get('/settings');
    const foreign = await supertest.agent(t.app).get('/login');
    expect((await session.agent.post('/settings').type('form').send({ _csrf: csrfTokenIn(foreign.text), name: 'X', time_zone: 'UTC' })).status).toBe(403);
    expect((await session.agent.post('/settings').type('form').send({ _csrf: csrfTokenIn(page.text), name: 'Still Me', time_zone: 'UTC' })).status).toBe(302);
  });

  it('marks the form cookie HttpOnly and SameSite, and __Host- with Secure over https', async () => {
    const page = await supertest(t.app).get('/login');
    expect(String(page.headers['set-cookie'])).toMatch(/^buychain\.csrf=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const secure = await createTestApp({ env: { BASE_URL: 'https://crm.example.com', SESSION_SECRET: 'a'.repeat(40) } });
    try {
      const securePage = await supertest(secure.app).get('/login');
      expect(String(securePage.headers['set-cookie'])).toMatch(/^__Host-buychain\.csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    } finally {
      await secure.close();
    }
  });
});
