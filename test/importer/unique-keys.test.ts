import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Migration, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { apiClient } from '../support/scenarios.js';
import { createTestDatabase } from '../support/test-database.js';
import { type TestApp, createTestApp, signIn, testNow } from '../support/test-app.js';

// An account per owner and normalised name, a contact per account and email: the keys that let two
// imports of one file run at once. Forms and the API answer a clash as a 400 naming the field.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('one account per owner and name', () => {
  it('refuses a second account of the same name (case and spaces aside) on the page, with the input kept and the error beside the name', async () => {
    const rep = await t.make.user();
    await t.make.account(rep, { name: 'Harbor  Dental Group' });
    const { submit } = await signIn(t.app, rep);
    const response = await submit('/accounts/new', '/accounts', { name: ' harbor dental   GROUP ', status: 'customer', notes: 'Second try' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-name">This owner already has an account named “Harbor  Dental Group”/);
    expect(response.text).toContain('Second try');
    expect(await t.db.selectFrom('accounts').select('id').where('owner_id', '=', rep.id).execute()).toHaveLength(1);
  });

  it('answers 400 naming the field in the API, for a new account and for a rename onto another', async () => {
    const rep = await t.make.user();
    const api = apiClient(t.app, await t.make.apiToken(rep));
    await api.post('/accounts', { name: 'Cedar Labs' }).expect(201);
    const again = await api.post('/accounts', { name: 'CEDAR LABS' });
    expect(again.status).toBe(400);
    expect(again.body.error.fields).toEqual({ name: 'This owner already has an account named “Cedar Labs”: open that one, or choose another name' });
    const other = await api.post('/accounts', { name: 'Cedar Labs West' }).expect(201);
    const rename = await api.patch(`/accounts/${other.body.id}`, { name: 'cedar labs' });
    expect(rename.status).toBe(400);
    expect(rename.body.error.fields.name).toContain('Cedar Labs');
    // Renaming an account to its own name in other letters is no clash.
    await api.patch(`/accounts/${other.body.id}`, { name: 'CEDAR LABS WEST' }).expect(200);
  });

  it('lets two owners have accounts of the same name', async () => {
    const { rep, manager } = await t.make.team('Twins');
    const api = apiClient(t.app, await t.make.apiToken(manager));
    await api.post('/accounts', { name: 'Summit Hotels' }).expect(201);
    await api.post('/accounts', { name: 'Summit Hotels', owner_id: rep.id }).expect(201);
  });
});

describe('following a person who left to a company the rep already has', () => {
  it('says so beside the destination instead of failing', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep, { name: 'Pinecrest Clinic' });
    const tom = await t.make.contact(rep, account.id, { name: 'Tom Alvarez', roles: ['decision_maker'] });
    await t.make.account(rep, { name: 'Acme Imaging' });
    const session = await signIn(t.app, rep);
    await session.submit(`/contacts/${tom.id}/departure`, `/contacts/${tom.id}/departure`, { left_on: '2026-11-20', notice: 'surprise', destination: 'ACME imaging' });
    const follow = await session.submit(`/contacts/${tom.id}`, `/contacts/${tom.id}/follow`, {});
    expect(follow.status).toBe(400);
    expect(follow.text).toContain('There is already an account named “Acme Imaging”');
    expect(await t.db.selectFrom('accounts').select('id').where('origin_contact_id', '=', tom.id).execute()).toEqual([]);
  });
});

describe('one contact per account and email', () => {
  it('refuses a second contact with the same email at the account, and lets another account have it', async () => {
    const rep = await t.make.user();
    const api = apiClient(t.app, await t.make.apiToken(rep));
    const account = await t.make.account(rep);
    const elsewhere = await t.make.account(rep);
    await api.post(`/accounts/${account.id}/contacts`, { name: 'Maria Lopez', email: 'maria@harbor.test', roles: [] }).expect(201);
    // The same address at the account is the same person: asked about (409), never added twice.
    for (const allowDuplicate of [false, true]) {
      const twin = await api.post(`/accounts/${account.id}/contacts`, { name: 'M. Lopez', email: 'Maria@Harbor.test', roles: [], allow_duplicate: allowDuplicate });
      expect(twin.status).toBe(409);
      expect(twin.body.error).toMatchObject({ code: 'possible_duplicate', existing_contact_id: expect.any(Number) });
      expect(twin.body.error.fields).toHaveProperty('email');
    }
    await api.post(`/accounts/${elsewhere.id}/contacts`, { name: 'Maria Lopez', email: 'maria@harbor.test', roles: [] }).expect(201);
    const jon = await api.post(`/accounts/${account.id}/contacts`, { name: 'Jon Park', email: 'jon@harbor.test', roles: [] }).expect(201);
    const change = await api.patch(`/contacts/${jon.body.id}`, { email: 'MARIA@harbor.test' });
    expect(change.status).toBe(400);
    expect(change.body.error.fields.email).toContain('Maria Lopez');
  });
});

describe('the migration that adds the keys', () => {
  it('keeps twins already in the database: the first of them holds the key, nothing is deleted', async () => {
    const database = await createTestDatabase();
    try {
      const { db } = database;
      const migrationFolder = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'migrations');
      const provider = {
        async getMigrations() {
          const migrations: Record<string, Migration> = {};
          for (const file of (await fs.readdir(migrationFolder)).filter((name) => name.endsWith('.ts')))
            migrations[file.replace(/\.ts$/, '')] = await import(pathToFileURL(path.join(migrationFolder, file)).href);
          return migrations;
        },
      };
      const migrator = new Migrator({ db, provider });
      const down = await migrator.migrateTo('2026_12_01_1000_hash_session_ids');
      expect(down.error).toBeUndefined();
      const now = testNow;
      const [{ id: ownerId }] = await db
        .insertInto('users')
        .values({ email: 'twin-owner@example.com', name: 'Twin Owner', role: 'rep', time_zone: 'UTC', created_at: now, updated_at: now })
        .returning('id')
        .execute();
      const account = (name: string) =>
        db.insertInto('accounts').values({ name, owner_id: ownerId!, status: 'customer', created_at: now, updated_at: now } as never).returning('id').executeTakeFirstOrThrow();
      const first = await account('Bluewater Media');
      const second = await account('  BLUEWATER   media');
      const contact = (email: string | null) =>
        db.insertInto('contacts').values({ account_id: first.id, name: 'Someone', email, created_at: now, updated_at: now } as never).returning('id').executeTakeFirstOrThrow();
      const maria = await contact('maria@bluewater.test');
      const mariaAgain = await contact('MARIA@bluewater.test');
      const nobody = await contact(null);

      await migrateToLatest(db);
      const accounts = await db.selectFrom('accounts').select(['id', 'name_key']).where('owner_id', '=', ownerId!).orderBy('id').execute();
      expect(accounts).toEqual([
        { id: first.id, name_key: 'bluewater media' },
        { id: second.id, name_key: null },
      ]);
      const contacts = await db.selectFrom('contacts').select(['id', 'email_key']).where('account_id', '=', first.id).orderBy('id').execute();
      expect(contacts).toEqual([
        { id: maria.id, email_key: 'maria@bluewater.test' },
        { id: mariaAgain.id, email_key: null },
        { id: nobody.id, email_key: null },
      ]);
    } finally {
      await database.drop();
    }
  });
});
