import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setContactArchived } from '../../src/contacts/contacts.service.js';
import { type TestApp, createTestApp, testNow } from '../support/test-app.js';
import { type ApiClient, apiClient, twoTeams } from '../support/scenarios.js';

// Every query parameter the README documents for the API, called as an integration would: each one
// must change the answer the way the README says. The same file runs on SQLite (`npm test`) and
// PostgreSQL (`npm run test:pg`).

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let api: Record<'rep' | 'teammate' | 'manager' | 'outsider' | 'admin', ApiClient>;
let harbor: { id: number };
let harborAnnex: { id: number };
let bluewater: { id: number };
let archivedAccount: { id: number };
let outsiderHarbor: { id: number };

const names = (body: { data: { name?: string; account_name?: string }[] }) => body.data.map((row) => row.name ?? row.account_name).sort();

beforeAll(async () => {
  // Accounts opened three months ago, so none of them is still being onboarded when the tests look.
  t = await createTestApp({ now: '2026-08-20T09:00:00.000Z' });
  people = await twoTeams(t);
  const { rep, teammate, outsider } = people;

  harbor = await t.make.account(rep, { name: 'Harbor Dental Group' });
  harborAnnex = await t.make.account(rep, { name: 'North HARBOR Annex' });
  bluewater = await t.make.account(teammate, { name: 'Bluewater Law LLP' });
  archivedAccount = await t.make.account(rep, { name: 'Harbor Closed Branch' });
  outsiderHarbor = await t.make.account(outsider, { name: 'Harbor Freight South' });

  // Harbor's chain is mapped and met; Bluewater has nobody at all.
  const maria = await t.make.contact(rep, harbor.id, { name: 'Maria Lopez', roles: ['decision_maker'] });
  const paul = await t.make.contact(rep, harbor.id, { name: 'Paul Whitman', roles: ['boss'] });
  const una = await t.make.contact(rep, harbor.id, { name: 'Una User', roles: ['user', 'influencer'] });
  const gone = await t.make.contact(rep, harbor.id, { name: 'Archie Archived', roles: [] });
  await setContactArchived(t.db, t.clock, rep, gone.id, true);

  t.clock.set(testNow);
  for (const [days, contactIds] of [[3, [maria.id, una.id]], [10, [paul.id, una.id]], [20, [maria.id]]] as const) {
    const occurredAt = new Date(Date.parse(testNow) - days * 86_400_000).toISOString();
    await t.make.touchpoint(rep, harbor.id, { kind: 'coffee', location: 'outside_office', occurred_at: occurredAt, contact_ids: [...contactIds], summary: `Coffee ${days} days ago` });
  }

  api = {
    rep: apiClient(t.app, await t.make.apiToken(rep)),
    teammate: apiClient(t.app, await t.make.apiToken(teammate)),
    manager: apiClient(t.app, await t.make.apiToken(people.manager)),
    outsider: apiClient(t.app, await t.make.apiToken(outsider)),
    admin: apiClient(t.app, await t.make.apiToken(people.admin)),
  };
  expect((await api.rep.patch(`/accounts/${archivedAccount.id}`, { archived: true })).status).toBe(200);
});
afterAll(() => t.close());

describe('GET /api/v1/accounts', () => {
  it('?q= finds the caller\'s accounts by any part of the name, whatever the letter case', async () => {
    const all = await api.rep.get('/accounts');
    expect(names(all.body)).toEqual(['Harbor Dental Group', 'North HARBOR Annex']);

    const found = await api.rep.get('/accounts?q=harbor');
    expect(found.status).toBe(200);
    expect(names(found.body)).toEqual(['Harbor Dental Group', 'North HARBOR Annex']);
    expect(found.body.total).toBe(2);

    expect(names((await api.rep.get('/accounts?q=Dental')).body)).toEqual(['Harbor Dental Group']);
    expect(names((await api.rep.get('/accounts?q=  ANNEX ')).body)).toEqual(['North HARBOR Annex']);
    expect((await api.rep.get('/accounts?q=Bluewater')).body).toMatchObject({ data: [], total: 0 });
  });

  it('?q= treats % and _ as plain characters', async () => {
    expect((await api.rep.get('/accounts?q=%25')).body.total).toBe(0);
    expect((await api.rep.get('/accounts?q=_')).body.total).toBe(0);
  });

  it('?q= searches only what the caller may see', async () => {
    expect(names((await api.outsider.get('/accounts?q=harbor')).body)).toEqual(['Harbor Freight South']);
    expect(names((await api.manager.get('/accounts?q=harbor')).body)).toEqual(['Harbor Dental Group', 'North HARBOR Annex']);
    expect(names((await api.admin.get('/accounts?q=harbor')).body)).toEqual(['Harbor Dental Group', 'Harbor Freight South', 'North HARBOR Annex']);
  });

  it('?archived=true adds archived accounts, also to a search', async () => {
    expect(names((await api.rep.get('/accounts?archived=true')).body)).toEqual(['Harbor Closed Branch', 'Harbor Dental Group', 'North HARBOR Annex']);
    expect(names((await api.rep.get('/accounts?q=closed&archived=true')).body)).toEqual(['Harbor Closed Branch']);
    expect(names((await api.rep.get('/accounts?q=closed')).body)).toEqual([]);
  });

  it('?page= and ?per_page= page the list in name order', async () => {
    const first = await api.rep.get('/accounts?per_page=1');
    expect(first.body).toMatchObject({ page: 1, per_page: 1, total: 2, pages: 2 });
    expect(names(first.body)).toEqual(['Harbor Dental Group']);
    const second = await api.rep.get('/accounts?per_page=1&page=2');
    expect(second.body).toMatchObject({ page: 2, per_page: 1, total: 2, pages: 2 });
    expect(names(second.body)).toEqual(['North HARBOR Annex']);
    const searchedSecond = await api.rep.get('/accounts?q=harbor&per_page=1&page=2');
    expect(names(searchedSecond.body)).toEqual(['North HARBOR Annex']);
  });
});

describe('GET /api/v1/accounts/:id/contacts and /touchpoints', () => {
  it('?archived=true adds archived contacts', async () => {
    const active = await api.rep.get(`/accounts/${harbor.id}/contacts`);
    expect(names(active.body)).toEqual(['Maria Lopez', 'Paul Whitman', 'Una User']);
    const all = await api.rep.get(`/accounts/${harbor.id}/contacts?archived=true`);
    expect(names(all.body)).toEqual(['Archie Archived', 'Maria Lopez', 'Paul Whitman', 'Una User']);
  });

  it('?page= and ?per_page= page the timeline, newest first', async () => {
    const first = await api.rep.get(`/accounts/${harbor.id}/touchpoints?per_page=2`);
    expect(first.body).toMatchObject({ page: 1, per_page: 2, total: 3, pages: 2 });
    expect(first.body.data.map((row: { summary: string }) => row.summary)).toEqual(['Coffee 3 days ago', 'Coffee 10 days ago']);
    const second = await api.rep.get(`/accounts/${harbor.id}/touchpoints?per_page=2&page=2`);
    expect(second.body.data.map((row: { summary: string }) => row.summary)).toEqual(['Coffee 20 days ago']);
  });
});

describe('GET /api/v1/risk', () => {
  interface RiskRow { account_id: number; account_name: string; owner_id: number; level: string; flags: string[] }
  const rowsOf = (body: { data: RiskRow[] }) => body.data;

  it('lists every visible account; ?level= keeps exactly the accounts at that level', async () => {
    const all = rowsOf((await api.manager.get('/risk')).body);
    expect(all.map((row) => row.account_name).sort()).toEqual(['Bluewater Law LLP', 'Harbor Dental Group', 'North HARBOR Annex']);
    const bluewaterRow = all.find((row) => row.account_id === bluewater.id);
    const harborRow = all.find((row) => row.account_id === harbor.id);
    expect(bluewaterRow?.level).toBe('critical');
    expect(harborRow?.level).not.toBe('critical');

    for (const level of new Set(all.map((row) => row.level))) {
      const filtered = await api.manager.get(`/risk?level=${level}`);
      expect(filtered.status).toBe(200);
      expect(rowsOf(filtered.body).map((row) => row.account_id).sort()).toEqual(all.filter((row) => row.level === level).map((row) => row.account_id).sort());
    }
  });

  it('?flag= keeps the accounts that raise that flag', async () => {
    const bossUnknown = rowsOf((await api.manager.get('/risk?flag=boss_unknown')).body);
    expect(bossUnknown.map((row) => row.account_id).sort()).toEqual([harborAnnex.id, bluewater.id].sort());
    expect(bossUnknown.every((row) => row.flags.includes('boss_unknown'))).toBe(true);
    // Filters combine: gone quiet and critical are the two accounts nobody has met.
    const quietAndCritical = rowsOf((await api.manager.get('/risk?flag=account_gone_quiet&level=critical')).body);
    expect(quietAndCritical.map((row) => row.account_id).sort()).toEqual([harborAnnex.id, bluewater.id].sort());
  });

  it('?owner_id= keeps one owner\'s accounts, within what the caller may see', async () => {
    const teammates = rowsOf((await api.manager.get(`/risk?owner_id=${people.teammate.id}`)).body);
    expect(teammates.map((row) => row.account_id)).toEqual([bluewater.id]);
    const outsiders = rowsOf((await api.manager.get(`/risk?owner_id=${people.outsider.id}`)).body);
    expect(outsiders).toEqual([]);
  });

  it('?page= and ?per_page= page it, riskiest first', async () => {
    const all = rowsOf((await api.manager.get('/risk')).body);
    const second = await api.manager.get('/risk?per_page=1&page=2');
    expect(second.body).toMatchObject({ page: 2, per_page: 1, total: 3, pages: 3 });
    expect(rowsOf(second.body).map((row) => row.account_id)).toEqual([all[1].account_id]);
  });
});

describe('GET /api/v1/accounts/:id/commitments and /complaints', () => {
  it('?status=open|done keeps promises in that state; without it, both', async () => {
    const kept = await api.rep.post(`/accounts/${harbor.id}/commitments`, { description: 'Send the service report', due_on: '2026-11-30' });
    await api.rep.post(`/accounts/${harbor.id}/commitments`, { description: 'Quote for the second site', due_on: '2026-12-04' });
    expect((await api.rep.patch(`/commitments/${kept.body.id}`, { done: true })).status).toBe(200);

    const descriptions = (body: { data: { description: string }[] }) => body.data.map((row) => row.description).sort();
    expect(descriptions((await api.rep.get(`/accounts/${harbor.id}/commitments?status=done`)).body)).toEqual(['Send the service report']);
    expect(descriptions((await api.rep.get(`/accounts/${harbor.id}/commitments?status=open`)).body)).toEqual(['Quote for the second site']);
    expect(descriptions((await api.rep.get(`/accounts/${harbor.id}/commitments`)).body)).toEqual(['Quote for the second site', 'Send the service report']);
    const paged = await api.rep.get(`/accounts/${harbor.id}/commitments?per_page=1&page=2`);
    expect(paged.body).toMatchObject({ page: 2, per_page: 1, total: 2, pages: 2 });
    expect(paged.body.data).toHaveLength(1);
  });

  it('?page= and ?per_page= page the complaints', async () => {
    for (const issue of ['Toner arrived late', 'Invoice doubled', 'Jams on tray 2']) {
      expect((await api.rep.post(`/accounts/${bluewater.id}/complaints`, { category: 'delivery', issue })).status).toBe(404);
      expect((await api.teammate.post(`/accounts/${bluewater.id}/complaints`, { category: 'delivery', issue })).status).toBe(201);
    }
    const first = await api.teammate.get(`/accounts/${bluewater.id}/complaints?per_page=2`);
    expect(first.body).toMatchObject({ page: 1, per_page: 2, total: 3, pages: 2 });
    expect(first.body.data).toHaveLength(2);
    const second = await api.teammate.get(`/accounts/${bluewater.id}/complaints?per_page=2&page=2`);
    expect(second.body.data).toHaveLength(1);
    const issues = [...first.body.data, ...second.body.data].map((row: { issue: string }) => row.issue).sort();
    expect(issues).toEqual(['Invoice doubled', 'Jams on tray 2', 'Toner arrived late']);
  });
});

describe('GET /api/v1/digest/preview', () => {
  const accountIdsIn = (body: unknown) => [...JSON.stringify(body).matchAll(/"account_id":(\d+)/g)].map((match) => Number(match[1]));

  it('?manager_id= picks the manager (admins: any; managers: only themselves)', async () => {
    const north = await api.admin.get(`/digest/preview?manager_id=${people.manager.id}`);
    expect(north.status).toBe(200);
    expect(accountIdsIn(north.body)).toContain(bluewater.id);
    expect(accountIdsIn(north.body)).not.toContain(outsiderHarbor.id);
    const south = await api.admin.get(`/digest/preview?manager_id=${people.otherManager.id}`);
    expect(south.status).toBe(200);
    expect(accountIdsIn(south.body)).toContain(outsiderHarbor.id);
    expect(accountIdsIn(south.body)).not.toContain(bluewater.id);

    expect((await api.manager.get(`/digest/preview?manager_id=${people.otherManager.id}`)).status).toBe(404);
    expect((await api.rep.get('/digest/preview')).status).toBe(403);
  });

  it('?week= picks the week, and a malformed one answers 400 with the field', async () => {
    const current = await api.manager.get('/digest/preview');
    expect(current.body.week.id).toBe('2026-W48');
    const earlier = await api.manager.get('/digest/preview?week=2026-W40');
    expect(earlier.status).toBe(200);
    expect(earlier.body.week).toMatchObject({ id: '2026-W40', starts_on: '2026-09-28' });
    const bad = await api.manager.get('/digest/preview?week=week-40');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toHaveProperty('week');
  });
});
