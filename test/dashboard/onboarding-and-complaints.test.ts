import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComplaint, updateComplaint } from '../../src/complaints/complaints.service.js';
import { buildDigest, findDigestRecipient } from '../../src/digest/digest.service.js';
import { applyImport } from '../../src/importer/import-run.js';
import { stageImport } from '../../src/importer/import-staging.js';
import { recordDeparture } from '../../src/playbook/playbook.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { apiClient } from '../support/scenarios.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

// New and imported accounts are onboarding, not emergencies; real risks (a departure, a complaint
// nobody answered) stay on top; the level counts and the Flag filter say what they mean.

let t: TestApp;
let dana: CurrentUser;
let riley: CurrentUser;
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestApp(); // Monday 23 Nov 2026
  dana = await t.make.user({ role: 'manager', name: 'Dana Whitfield' });
  riley = await t.make.user({ name: 'Riley Morgan', manager: dana });

  // A running account whose decision-maker is leaving on 23 Dec with nobody named.
  const northwind = await t.make.account(riley, { name: 'Northwind Logistics', openedDaysAgo: 300 });
  ids.northwind = northwind.id;
  const grace = await t.make.contact(riley, northwind.id, { name: 'Grace Kim', roles: ['boss'] });
  const tom = await t.make.contact(riley, northwind.id, { name: 'Tom Alvarez', roles: ['decision_maker'], reports_to_contact_id: grace.id });
  const luis = await t.make.contact(riley, northwind.id, { name: 'Luis Ortega', roles: ['user'] });
  await t.make.touchpoint(riley, northwind.id, { contact_ids: [tom.id, luis.id, grace.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-16T07:30:00Z' });
  await recordDeparture(t.db, t.clock, riley, tom.id, { left_on: '2026-12-23', notice: 'told_in_advance' });

  // A healthy account with a complaint raised five days ago that nobody has acknowledged.
  const harbor = await t.make.account(riley, { name: 'Harbor Dental', openedDaysAgo: 300 });
  ids.harbor = harbor.id;
  const boss = await t.make.contact(riley, harbor.id, { name: 'Ken Ito', roles: ['boss', 'influencer'] });
  const maria = await t.make.contact(riley, harbor.id, { name: 'Maria Lopez', roles: ['decision_maker', 'user'], reports_to_contact_id: boss.id });
  await t.make.touchpoint(riley, harbor.id, { contact_ids: [maria.id, boss.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-20T07:30:00Z' });
  ids.complaint = (await createComplaint(t.db, t.clock, riley, harbor.id, { category: 'billing', issue: 'Billed twice for October', contact_id: maria.id, raised_on: '2026-11-18' })).id;

  // Two accounts imported a minute ago: nothing mapped yet.
  const upload = await stageImport(t.db, t.clock, riley, ['account,name,roles\nFresh Dental,,\nNew Leaf Print,Ann Lee,user\n'], { fileName: 'two-accounts.csv' });
  await applyImport(t.db, t.clock, riley, upload);
});
afterAll(() => t.close());

describe('accounts just imported', () => {
  it('are Getting started on My accounts, with their own count, after the real risks', async () => {
    const session = await signIn(t.app, riley);
    const page = await session.agent.get('/accounts');
    expect(page.text).toMatch(/href="\/accounts\?level=getting_started"><span class="level level-getting_started"><span aria-hidden="true" class="level-icon"><\/span>Getting started · 2<\/span>/);
    expect(page.text).toContain('Getting started: map who decides, their boss, the users.');
    const list = page.text.slice(page.text.indexOf('<ul class="account-list">'));
    expect(list.indexOf('Northwind Logistics')).toBeLessThan(list.indexOf('Fresh Dental'));
    expect(list.indexOf('Harbor Dental')).toBeLessThan(list.indexOf('Fresh Dental'));
    const onlyNew = await session.agent.get('/accounts?level=getting_started');
    expect(onlyNew.text).toContain('Fresh Dental');
    expect(onlyNew.text).toContain('New Leaf Print');
    expect(onlyNew.text).not.toContain('Northwind Logistics</strong>');
  });

  it('are listed by the risk API with their level, score and flags, after the real risks', async () => {
    const api = apiClient(t.app, await t.make.apiToken(riley));
    const { data } = (await api.get('/risk')).body as { data: { account_name: string; level: string; score: number; flags: string[] }[] };
    expect(data.map((row) => row.account_name).slice(-2).sort()).toEqual(['Fresh Dental', 'New Leaf Print']);
    expect(data.find((row) => row.account_name === 'Fresh Dental')).toMatchObject({ level: 'getting_started', score: 100, flags: expect.arrayContaining(['no_decision_maker']) });
  });

  it("are left out of the digest's at-risk list, and counted once per rep", async () => {
    const { digest } = await buildDigest(t.db, await findDigestRecipient(t.db, dana, dana.id), { now: t.clock.now(), baseUrl: 'http://buychain.test' });
    expect(digest.accounts_at_risk.rows.map((row) => row.account_name)).not.toContain('Fresh Dental');
    expect(digest.getting_started).toEqual([{ owner_name: 'Riley Morgan', accounts: 2 }]);
    // The leaving decision-maker is in view six weeks ahead, and heads the list with its next step.
    expect(digest.accounts_at_risk.rows[0]).toMatchObject({ account_name: 'Northwind Logistics', level: 'at_risk' });
    expect(digest.accounts_at_risk.rows[0]!.flags[0]).toMatchObject({ code: 'key_contact_leaving' });
    expect(digest.departures).toEqual([expect.objectContaining({ contact_name: 'Tom Alvarez', on: '2026-12-23', successor: null, playbook: { done: 0, total: 3 } })]);
  });
});

describe('the level counts', () => {
  it('never show a solid red "Critical · 0"', async () => {
    const page = await (await signIn(t.app, riley)).agent.get('/accounts');
    expect(page.text).toContain('<span class="level level-critical level-none"><span aria-hidden="true" class="level-icon"></span>Critical · 0</span>');
  });
});

describe('the Flag filter', () => {
  it('shows each flag by its label and filters by it, on My accounts and the team view', async () => {
    for (const [user, path] of [
      [riley, '/accounts'],
      [dana, '/team'],
    ] as const) {
      const session = await signIn(t.app, user);
      const page = await session.agent.get(path);
      expect(page.text).not.toContain('[object Object]');
      expect(page.text).toContain('<option value="recovery_in_progress" >Recovery in progress</option>');
      expect(page.text).toContain('<option value="complaint_unresolved" >Complaint unresolved</option>');
      const filtered = await session.agent.get(`${path}?flag=recovery_in_progress`);
      expect(filtered.text).toContain('<option value="recovery_in_progress" selected>Recovery in progress</option>');
      expect(filtered.text).toContain('Northwind Logistics</strong>');
      expect(filtered.text).not.toContain('Harbor Dental</strong>');
    }
  });
});

describe('a complaint counts while it is open', () => {
  it('unacknowledged after 2 days: complaint_unresolved, high as a decision-maker raised it', async () => {
    const api = apiClient(t.app, await t.make.apiToken(riley));
    const risk = (await api.get(`/accounts/${ids.harbor}/risk`)).body as { flags: { code: string; severity: string; message: string }[] };
    expect(risk.flags[0]).toMatchObject({
      code: 'complaint_unresolved',
      severity: 'high',
      message: 'The complaint “Billed twice for October” from Maria Lopez, raised 5 days ago, has not been acknowledged.',
    });
    const page = await (await signIn(t.app, riley)).agent.get('/accounts');
    expect(page.text).toContain('Complaint unresolved');
  });

  it('its follow-up date becomes a promise listed with the rep’s, kept when the customer is verified satisfied', async () => {
    await updateComplaint(t.db, t.clock, riley, ids.complaint!, { acknowledged_on: '2026-11-19', resolution: 'Refunded the second charge', resolved_on: '2026-11-20', follow_up_due_on: '2026-11-27' });
    const promise = () => t.db.selectFrom('commitments').select(['description', 'due_on', 'done_at', 'source']).where('complaint_id', '=', ids.complaint!).executeTakeFirst();
    expect(await promise()).toMatchObject({ source: 'complaint', due_on: '2026-11-27', done_at: null, description: 'Follow up on the complaint “Billed twice for October”: is the customer 100% satisfied with the fix?' });
    const page = await (await signIn(t.app, riley)).agent.get('/accounts');
    const promises = page.text.slice(page.text.indexOf('Your promises'));
    expect(promises).toContain('Follow up on the complaint “Billed twice for October”');

    await updateComplaint(t.db, t.clock, riley, ids.complaint!, { verified_on: '2026-11-23', satisfied: true });
    expect((await promise())?.done_at).not.toBeNull();
    const risk = (await apiClient(t.app, await t.make.apiToken(riley)).get(`/accounts/${ids.harbor}/risk`)).body as { flags: { code: string }[] };
    expect(risk.flags.map((flag) => flag.code)).not.toContain('complaint_unresolved');
  });
});
