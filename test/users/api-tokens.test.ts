import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/users/tokens.js';
import { type TestApp, createTestApp, signIn, testNow } from '../support/test-app.js';
import { apiClient, postForm } from '../support/scenarios.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const tokenIn = (html: string) => /<code class="token">([^<]+)<\/code>/.exec(html)?.[1];

/** Every stored column of every token row, as text: where a leaked plain token would show up. */
async function everythingStoredAboutTokens() {
  const rows = await t.db.selectFrom('api_tokens').selectAll().execute();
  return JSON.stringify(rows);
}

describe('personal API tokens on the settings page', () => {
  it('creates a token, shows it once, and stores only its hash', async () => {
    const user = await t.make.user({ name: 'Token Tess' });
    const session = await signIn(t.app, user);
    const response = await session.submit('/settings', '/settings/tokens', { token_name: 'Spreadsheet sync' });
    expect(response.status).toBe(201);
    const token = tokenIn(response.text);
    expect(token).toMatch(/^bc_[A-Za-z0-9_-]{43}$/);

    const stored = await everythingStoredAboutTokens();
    expect(stored).not.toContain(token!);
    expect(stored).not.toContain(token!.slice(3));
    const row = await t.db.selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'Spreadsheet sync', token_hash: hashToken(token!), revoked_at: null, last_used_at: null });

    const later = await session.agent.get('/settings');
    expect(later.text).toContain('Spreadsheet sync');
    expect(later.text).not.toContain(token!);

    const me = await apiClient(t.app, token!).get('/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: user.id, email: user.email, name: 'Token Tess', role: 'rep', manager_id: null, time_zone: 'UTC' });
    const used = await t.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(used.last_used_at).toBe(testNow);

    // "Last used" is kept to the minute.
    const lastUsed = async () => (await t.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', row.id).executeTakeFirstOrThrow()).last_used_at;
    try {
      t.clock.set('2026-11-23T14:00:30.000Z');
      await apiClient(t.app, token!).get('/me');
      expect(await lastUsed()).toBe(testNow);
      t.clock.set('2026-11-23T14:01:30.000Z');
      await apiClient(t.app, token!).get('/me');
      expect(await lastUsed()).toBe('2026-11-23T14:01:30.000Z');
    } finally {
      t.clock.set(testNow);
    }
  });

  it('re-renders with the error beside the token name when it is blank, and creates nothing', async () => {
    const user = await t.make.user({ name: 'Blank Bill' });
    const session = await signIn(t.app, user);
    const response = await session.submit('/settings', '/settings/tokens', { token_name: '   ' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-token_name">Token name is required</);
    expect(response.text).not.toMatch(/id="error-name">/);
    expect(await t.db.selectFrom('api_tokens').select('id').where('user_id', '=', user.id).execute()).toHaveLength(0);
  });

  it('revokes a token so the API refuses it from then on', async () => {
    const user = await t.make.user();
    const token = await t.make.apiToken(user);
    const client = apiClient(t.app, token);
    expect((await client.get('/me')).status).toBe(200);
    const { id } = await t.db.selectFrom('api_tokens').select('id').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();

    const session = await signIn(t.app, user);
    const response = await postForm(session, `/settings/tokens/${id}/revoke`);
    expect(response.status).toBe(302);
    expect((await t.db.selectFrom('api_tokens').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow()).revoked_at).toBe(testNow);
    const refused = await client.get('/me');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect((await session.agent.get('/settings')).text).toContain('Token revoked.');
  });

  it('answers 404 when revoking someone else’s token, an unknown or a malformed id, and leaves it working', async () => {
    const owner = await t.make.user();
    const token = await t.make.apiToken(owner);
    const { id } = await t.db.selectFrom('api_tokens').select('id').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
    const stranger = await signIn(t.app, await t.make.user({ role: 'manager' }));
    for (const path of [`/settings/tokens/${id}/revoke`, '/settings/tokens/999999/revoke', '/settings/tokens/abc/revoke'])
      expect((await postForm(stranger, path)).status, path).toBe(404);
    expect((await apiClient(t.app, token).get('/me')).status).toBe(200);
  });
});

describe('API authentication', () => {
  it('answers 401 without a token, with a bad one, or with another scheme', async () => {
    const user = await t.make.user();
    const token = await t.make.apiToken(user);
    const cases = [
      supertest(t.app).get('/api/v1/me'),
      supertest(t.app).get('/api/v1/me').set('Authorization', 'Bearer bc_made-up'),
      supertest(t.app).get('/api/v1/me').set('Authorization', `Bearer ${token}x`),
      supertest(t.app).get('/api/v1/me').set('Authorization', `Token ${token}`),
      supertest(t.app).get('/api/v1/me').set('Authorization', `Bearer ${hashToken(token)}`),
    ];
    for (const request of cases) {
      const response = await request;
      expect(response.status).toBe(401);
      expect(response.body.error).toMatchObject({ code: 'unauthorized' });
    }
  });

  it('refuses the token of a disabled user', async () => {
    const user = await t.make.user();
    const token = await t.make.apiToken(user);
    await t.db.updateTable('users').set({ active: 0 }).where('id', '=', user.id).execute();
    expect((await apiClient(t.app, token).get('/me')).status).toBe(401);
  });

  it('does not accept a session cookie instead of a token', async () => {
    const user = await t.make.user();
    const session = await signIn(t.app, user);
    expect((await session.agent.get('/api/v1/me')).status).toBe(401);
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const token = await t.make.apiToken(await t.make.user());
    const response = await apiClient(t.app, token).get('/no-such-thing');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });
});
