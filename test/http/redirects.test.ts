import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { sameSitePath } from '../../src/http/redirects.js';
import { testPassword } from '../support/factories.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';
import { postForm } from '../support/scenarios.js';

/** Targets a browser would follow off the site, one way or another. */
const leavingTheSite = [
  '//evil.example/',
  '/\\evil.example',
  '/\\/evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  'https://evil.example/',
  'http:evil.example',
  'evil.example',
  'javascript:alert(1)',
  '\\\\evil.example',
  ' /accounts',
  '',
];

describe('sameSitePath', () => {
  it('keeps a path on this site, resolved as a browser would', () => {
    expect(sameSitePath('/accounts/5?show=done#top', '/x')).toBe('/accounts/5?show=done#top');
    expect(sameSitePath('/accounts/../settings', '/x')).toBe('/settings');
  });

  it.each(leavingTheSite)('sends %j to the default page', (target) => {
    expect(sameSitePath(target, '/accounts')).toBe('/accounts');
  });

  it('refuses what is not text', () => {
    expect(sameSitePath(['/a', '/b'], '/accounts')).toBe('/accounts');
    expect(sameSitePath(undefined, '/accounts')).toBe('/accounts');
  });
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('redirects after a request', () => {
  it('after sign-in go only to a path on this site (?next=)', { timeout: 120_000 }, async () => {
    const user = await t.make.user();
    for (const next of leavingTheSite) {
      const agent = supertest.agent(t.app);
      const page = await agent.get(`/login?next=${encodeURIComponent(next)}`);
      expect(page.text).toContain('name="next" value="/accounts"');
      const response = await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(page.text), email: user.email, password: testPassword, next });
      expect(response.status).toBe(302);
      expect(response.headers.location, next).toBe('/accounts');
    }
    const agent = supertest.agent(t.app);
    const page = await agent.get('/login');
    const kept = await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(page.text), email: user.email, password: testPassword, next: '/settings' });
    expect(kept.headers.location).toBe('/settings');
  });

  it('after marking a promise done go only to a path on this site (return_to)', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep);
    const session = await signIn(t.app, rep);
    const make = () =>
      t.db
        .insertInto('commitments')
        .values({ account_id: account.id, owner_id: rep.id, description: 'Send the quote', due_on: '2026-11-30', created_at: '2026-11-23T10:00:00.000Z' })
        .returning('id')
        .executeTakeFirstOrThrow();
    for (const returnTo of ['/\\evil.example', '//evil.example', 'https://evil.example/']) {
      const { id } = await make();
      const response = await postForm(session, `/commitments/${id}`, { done: '1', return_to: returnTo });
      expect(response.status).toBe(302);
      expect(response.headers.location, returnTo).toBe(`/accounts/${account.id}/commitments`);
    }
    const { id } = await make();
    expect((await postForm(session, `/commitments/${id}`, { done: '1', return_to: '/accounts' })).headers.location).toBe('/accounts');
  });
});
