import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldWithControlCharacter } from '../../src/http/control-characters.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { apiClient, postForm } from '../support/scenarios.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('fieldWithControlCharacter', () => {
  it('names the first field holding a control character, nested fields by their dotted path', () => {
    expect(fieldWithControlCharacter({ name: 'Ann', notes: 'line one\r\nline two\tend' })).toBeUndefined();
    expect(fieldWithControlCharacter({ name: 'A\u0000nn' })).toBe('name');
    expect(fieldWithControlCharacter({ new_contacts: [{ name: 'ok' }, { title: 'bell\u0007' }] })).toBe('new_contacts.1.title');
    expect(fieldWithControlCharacter({ summary: 'escape \u001b[31m' })).toBe('summary');
    expect(fieldWithControlCharacter({ summary: 'delete \u007f' })).toBe('summary');
    expect(fieldWithControlCharacter({ count: 3, done: true, none: null })).toBeUndefined();
  });
});

// On PostgreSQL a NUL used to reach the database and answer 500; on SQLite it was stored.
describe('control characters in input', () => {
  it('are refused in the API with 400 naming the field, and nothing is saved', async () => {
    const rep = await t.make.user();
    const api = apiClient(t.app, await t.make.apiToken(rep));
    const created = await api.post('/accounts', { name: 'Nul\u0000 Corp' });
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: 'validation_failed', fields: { name: expect.stringContaining('control character') } });
    const account = await t.make.account(rep, { name: 'Clean Corp' });
    const contact = await api.post(`/accounts/${account.id}/contacts`, { name: 'Ann', title: 'Head\u0000of buying', roles: [] });
    expect(contact.status).toBe(400);
    expect(contact.body.error.fields).toHaveProperty('title');
    const touchpoint = await api.post(`/accounts/${account.id}/touchpoints`, { kind: 'call', location: 'phone', contact_ids: [], new_contacts: [{ name: 'B\u0001ob', roles: [] }] });
    expect(touchpoint.status).toBe(400);
    expect(touchpoint.body.error.fields).toHaveProperty(['new_contacts.0.name']);
    expect(await t.db.selectFrom('accounts').select('id').where('owner_id', '=', rep.id).execute()).toHaveLength(1);
    expect(await t.db.selectFrom('contacts').select('id').where('account_id', '=', account.id).execute()).toHaveLength(0);
  });

  it('are refused in a form with 400 naming the field', async () => {
    const rep = await t.make.user();
    const session = await signIn(t.app, rep);
    const response = await postForm(session, '/accounts', { name: 'Nul\u0000 Ltd' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('The field “name” contains a control character');
    expect(await t.db.selectFrom('accounts').select('id').where('owner_id', '=', rep.id).execute()).toHaveLength(0);
  });

  it('are refused in a search query and on the sign-in form', async () => {
    const rep = await t.make.user();
    const api = apiClient(t.app, await t.make.apiToken(rep));
    const search = await api.get('/accounts?q=a%00b');
    expect(search.status).toBe(400);
    expect(search.body.error.fields).toHaveProperty('q');
    const login = await supertest(t.app).post('/login').type('form').send({ email: `${rep.email}\u0000`, password: 'x' });
    expect(login.status).toBe(400);
  });

  it('keep tabs and line breaks, which people do type', async () => {
    const rep = await t.make.user();
    const api = apiClient(t.app, await t.make.apiToken(rep));
    const created = await api.post('/accounts', { name: 'Tabbed\tCorp', notes: 'first line\r\nsecond line' });
    expect(created.status).toBe(201);
    expect(created.body.notes).toBe('first line\r\nsecond line');
  });
});

describe('the API in any letter case', () => {
  it('answers JSON errors for /API/V1/… as for /api/v1/…', async () => {
    for (const path of ['/API/V1/me', '/Api/v1/accounts', '/api/V1/me']) {
      const response = await supertest(t.app).get(path);
      expect(response.status, path).toBe(401);
      expect(response.headers['content-type'], path).toMatch(/^application\/json/);
      expect(response.body.error.code).toBe('unauthorized');
    }
    const token = await t.make.apiToken(await t.make.user());
    const unknown = await supertest(t.app).get('/API/V1/no-such-thing').set('Authorization', `Bearer ${token}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const outside = await supertest(t.app).get('/API/nothing');
    expect(outside.status).toBe(404);
    expect(outside.body.error.code).toBe('not_found');
  });
});
