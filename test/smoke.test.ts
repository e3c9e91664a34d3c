import supertest from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoPassword, seedDemo } from '../src/demo/demo-seed.js';
import { type TestApp, createTestApp, signIn } from './support/test-app.js';
import { apiClient } from './support/scenarios.js';
import { findUserByEmail } from '../src/users/users.service.js';
import { exportKinds } from '../src/csv-export/csv-export.service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await seedDemo(t.db, t.clock);
});
afterAll(() => t.close());

type Viewer = 'owner' | 'teammate' | 'manager' | 'admin';
const viewers: Record<Viewer, string> = {
  owner: 'riley@demo.buychain.test',
  teammate: 'sam@demo.buychain.test',
  manager: 'dana@demo.buychain.test',
  admin: 'admin@demo.buychain.test',
};

/** What each viewer should get: a rep sees only their own accounts (404 elsewhere); role-only pages answer 403. */
const everyone = { owner: 200, teammate: 200, manager: 200, admin: 200 };
const ownersAccount = { owner: 200, teammate: 404, manager: 200, admin: 200 };
const managersOnly = { owner: 403, teammate: 403, manager: 200, admin: 200 };
const adminsOnly = { owner: 403, teammate: 403, manager: 403, admin: 200 };

// Some thirty pages for each of four viewers, on a machine other tests share: a generous time limit.
it('opens every page as every role with the demo company loaded, and never fails', { timeout: 90_000 }, async () => {
  const riley = (await findUserByEmail(t.db, viewers.owner))!;
  const account = await t.db.selectFrom('accounts').select('id').where('owner_id', '=', riley.id).where('name', '=', 'Northwind Logistics').executeTakeFirstOrThrow();
  const contacts = await t.db.selectFrom('contacts').select(['id', 'status']).where('account_id', '=', account.id).orderBy('id').execute();
  const leaving = contacts.find((contact) => contact.status === 'leaving')!;
  const active = contacts.find((contact) => contact.status === 'active')!;
  const category = await t.db.selectFrom('complaint_categories').select('name').orderBy('position').executeTakeFirstOrThrow();
  const complaint = await apiClient(t.app, await t.make.apiToken(riley)).post(`/accounts/${account.id}/complaints`, {
    category: category.name,
    issue: 'The copier jammed during payroll week.',
    contact_id: active.id,
  });
  expect(complaint.status).toBe(201);
  const touchpoint = await t.db.selectFrom('touchpoints').select('id').where('account_id', '=', account.id).orderBy('id').executeTakeFirstOrThrow();

  const pages: Record<string, Record<Viewer, number>> = {
    '/accounts': everyone,
    '/accounts?level=at_risk': everyone,
    '/accounts/new': everyone,
    '/settings': everyone,
    '/week': everyone,
    '/week?week=2026-W49': everyone,
    '/settings/mailbox': everyone,
    '/import': everyone,
    '/export': { owner: 301, teammate: 301, manager: 301, admin: 301 },
    ...Object.fromEntries(exportKinds.map((kind) => [`/export/${kind}.csv`, everyone])),
    '/team': managersOnly,
    '/complaints/insights': managersOnly,
    '/admin/users': adminsOnly,
    '/admin/company': adminsOnly,
    [`/admin/users/${riley.id}/delete`]: adminsOnly,
    '/complaints/categories': adminsOnly,
    '/search': everyone,
    '/search?q=maria': everyone,
    [`/accounts/${account.id}`]: ownersAccount,
    [`/accounts/${account.id}?page=2`]: ownersAccount,
    [`/accounts/${account.id}/edit`]: ownersAccount,
    [`/accounts/${account.id}/contacts/new`]: ownersAccount,
    [`/accounts/${account.id}/touchpoints/new`]: ownersAccount,
    [`/accounts/${account.id}/report`]: ownersAccount,
    [`/accounts/${account.id}/commitments`]: ownersAccount,
    [`/accounts/${account.id}/complaints`]: ownersAccount,
    [`/complaints/${complaint.body.id}`]: ownersAccount,
    [`/contacts/${active.id}`]: ownersAccount,
    [`/contacts/${active.id}/edit`]: ownersAccount,
    [`/contacts/${active.id}/departure`]: ownersAccount,
    [`/contacts/${leaving.id}`]: ownersAccount,
    [`/contacts/${leaving.id}/departure`]: ownersAccount,
    [`/contacts/${active.id}/merge`]: ownersAccount,
    [`/contacts/${active.id}/merge?into_contact_id=${leaving.id}`]: ownersAccount,
    [`/touchpoints/${touchpoint.id}/edit`]: ownersAccount,
    [`/touchpoints/${touchpoint.id}/delete`]: ownersAccount,
    [`/accounts/${account.id}/touchpoints/deleted`]: ownersAccount,
  };

  const expected: Record<string, number> = {};
  const actual: Record<string, number> = {};
  for (const [viewer, email] of Object.entries(viewers) as [Viewer, string][]) {
    const { agent } = await signIn(t.app, { email }, demoPassword);
    for (const [path, statuses] of Object.entries(pages)) {
      expected[`${viewer} GET ${path}`] = statuses[viewer];
      actual[`${viewer} GET ${path}`] = (await agent.get(path)).status;
    }
  }
  expect(actual).toEqual(expected);

  const signedOut = await supertest(t.app).get('/login');
  expect(signedOut.status).toBe(200);
});
