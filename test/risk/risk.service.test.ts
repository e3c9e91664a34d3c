import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { riskDashboard } from '../../src/dashboard/dashboard.service.js';
import { riskLevels } from '../../src/risk/risk.rules.js';
import { assessAccounts } from '../../src/risk/risk.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp, testNow } from '../support/test-app.js';

/** Counts the statements the database answered (subqueries are part of their statement). */
class QueryCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count += 1;
    return args.result;
  }
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function repWithAccounts(count: number): Promise<CurrentUser> {
  const rep = await t.make.user();
  for (let index = 0; index < count; index++) {
    const account = await t.make.account(rep, { name: `Account ${String(index).padStart(3, '0')}` });
    const decisionMaker = await t.make.contact(rep, account.id, { name: `Decider ${index}`, roles: ['decision_maker'] });
    await t.make.contact(rep, account.id, { name: `User ${index}`, roles: ['user'] });
    if (index % 3 === 0)
      await t.make.touchpoint(rep, account.id, { contact_ids: [decisionMaker.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-20T07:30:00Z', next_step: 'Send quote', next_step_due_on: '2026-11-21' });
  }
  return rep;
}

// Building 300 accounts one by one through the services takes a while on PostgreSQL on a busy machine.
describe('risk for a list of accounts', { timeout: 120_000 }, () => {
  it('takes the same small number of queries for 3 accounts as for 300, and one once remembered', async () => {
    const few = await repWithAccounts(3);
    const many = await repWithAccounts(300);
    const clock = { now: new Date(testNow), zone: 'UTC' };

    const counter = new QueryCounter();
    const counted = t.db.withPlugin(counter);
    const small = await assessAccounts(counted, { visibleTo: few }, clock);
    const queriesForFew = counter.count;
    counter.count = 0;
    const large = await assessAccounts(counted, { visibleTo: many }, clock);

    expect(small).toHaveLength(3);
    expect(large).toHaveLength(300);
    expect(counter.count).toBe(queriesForFew);
    expect(queriesForFew).toBeLessThanOrEqual(7);

    // Later the same day, nothing changed: the remembered assessments, in one query.
    counter.count = 0;
    const again = await assessAccounts(counted, { visibleTo: many }, clock);
    expect(counter.count).toBe(1);
    expect(again).toEqual(large);
  });

  it('reads the data: a coffee outside restarts the clock, a late next step is a late promise', async () => {
    const rep = await t.make.user({ time_zone: 'America/New_York' });
    const account = await t.make.account(rep, { name: 'Harbor Dental' });
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', roles: ['decision_maker'] });
    const clock = { now: new Date(testNow), zone: rep.time_zone };
    const flagsNow = async () => (await assessAccounts(t.db, { ids: [account.id] }, clock))[0]!.risk.flags.map((flag) => flag.code);

    await t.make.touchpoint(rep, account.id, { contact_ids: [maria.id], kind: 'call', location: 'phone', occurred_at: '2026-11-22T15:00:00Z' });
    await t.make.touchpoint(rep, account.id, { contact_ids: [maria.id], kind: 'meeting', location: 'customer_office', occurred_at: '2026-11-22T16:00:00Z' });
    await t.db.updateTable('accounts').set({ created_at: '2026-09-01T00:00:00.000Z' }).where('id', '=', account.id).execute();
    expect(await flagsNow()).toContain('decision_maker_meeting_overdue');

    await t.make.touchpoint(rep, account.id, { contact_ids: [maria.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-10T12:30:00Z', next_step: 'Send the toner price list', next_step_due_on: '2026-11-20' });
    const flags = await flagsNow();
    expect(flags).not.toContain('decision_maker_meeting_overdue');
    expect(flags).toContain('commitment_overdue');
  });
});

describe('remembered risk', () => {
  const clockAt = (iso: string, zone = 'UTC') => ({ now: new Date(iso), zone });
  const codes = async (accountId: number, clock = clockAt(testNow)) =>
    (await assessAccounts(t.db, { ids: [accountId] }, clock))[0]!.risk.flags.map((flag) => flag.code);

  it('is recomputed after every kind of write the rules read', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep, { name: 'Cache Check' });
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', roles: ['decision_maker'] });
    expect(await codes(account.id)).toContain('boss_unknown');

    await t.make.contact(rep, account.id, { name: 'Ken Ito', roles: ['boss'] });
    expect(await codes(account.id)).not.toContain('boss_unknown');

    await t.make.touchpoint(rep, account.id, { contact_ids: [maria.id], occurred_at: '2026-11-20T12:00:00Z' });
    expect(await codes(account.id)).not.toContain('account_gone_quiet');

    const { updateContact } = await import('../../src/contacts/contacts.service.js');
    await updateContact(t.db, t.clock, rep, maria.id, { status: 'leaving', leaving_on: '2026-12-31' });
    expect(await codes(account.id)).toContain('key_contact_leaving');

    const { createCommitment } = await import('../../src/commitments/commitments.service.js');
    await createCommitment(t.db, t.clock, rep, account.id, { description: 'Send the quote', due_on: '2026-11-20' });
    expect(await codes(account.id)).toContain('commitment_overdue');

    const { updateAccount } = await import('../../src/accounts/accounts.service.js');
    await t.db.updateTable('accounts').set({ created_at: '2026-01-01T00:00:00.000Z' }).where('id', '=', account.id).execute();
    await updateAccount(t.db, t.clock, rep, account.id, { meeting_cadence_days: 7 });
    expect(await codes(account.id)).toContain('decision_maker_meeting_overdue');
  });

  it('is kept per time zone and per local day', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep, { name: 'Day Check' });
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', roles: ['decision_maker'] });
    await t.make.touchpoint(rep, account.id, { contact_ids: [maria.id], occurred_at: '2026-10-09T12:00:00Z' });
    // 45 days after 9 Oct is 23 Nov: quiet from the 24th.
    expect(await codes(account.id)).not.toContain('account_gone_quiet');
    expect(await codes(account.id, clockAt('2026-11-24T14:00:00Z'))).toContain('account_gone_quiet');
    expect(await codes(account.id, clockAt('2026-11-24T03:00:00Z', 'America/Los_Angeles'))).not.toContain('account_gone_quiet');
    expect(await codes(account.id)).not.toContain('account_gone_quiet');
  });

  it('is not trusted when other rules made it (a deploy that changed a rule)', async () => {
    const rep = await t.make.user();
    const account = await t.make.account(rep, { name: 'Rules Check' });
    await t.make.contact(rep, account.id, { name: 'Maria Lopez', roles: ['decision_maker'] });
    const fresh = (await codes(account.id)).sort();
    expect(fresh).toContain('boss_unknown');
    const remembered = await t.db.selectFrom('account_risk').select('local_day').where('account_id', '=', account.id).executeTakeFirstOrThrow();
    expect(remembered.local_day).toMatch(/^2026-11-23@[0-9a-f]{12}$/);
    // As an older release would have left it: same day and version, another rules hash, other flags.
    await t.db
      .updateTable('account_risk')
      .set({ local_day: '2026-11-23@000000000000', risk: JSON.stringify({ account_id: account.id, score: 0, level: 'ok', flags: [], decision_maker_meeting: null, warm_contacts: [] }), score: 0, level: 'ok', flag_codes: '' })
      .where('account_id', '=', account.id)
      .execute();
    expect((await codes(account.id)).sort()).toEqual(fresh);
  });
});

describe('the risk dashboard over many accounts', { timeout: 120_000 }, () => {
  it('filters, counts, sorts and pages in the database: the same queries for 3 accounts as for 300', async () => {
    const few = await repWithAccounts(3);
    const many = await repWithAccounts(300);
    const clock = { now: new Date(testNow), zone: 'UTC' };
    const firstPage = { page: 1, perPage: 50 };

    const counter = new QueryCounter();
    const counted = t.db.withPlugin(counter);
    await riskDashboard(counted, { visibleTo: few }, {}, firstPage, clock);
    const queriesForFew = counter.count;
    counter.count = 0;
    const first = await riskDashboard(counted, { visibleTo: many }, {}, firstPage, clock);
    expect(counter.count).toBe(queriesForFew);

    const second = await riskDashboard(t.db, { visibleTo: many }, {}, { page: 2, perPage: 50 }, clock);
    const whole = await assessAccounts(t.db, { visibleTo: many }, clock);
    expect(first.total).toBe(300);
    expect([...first.rows, ...second.rows].map((row) => row.id)).toEqual(whole.slice(0, 100).map(({ account }) => account.id));
    expect(first.rows[0]!.flags).toEqual(whole[0]!.risk.flags);
    expect(first.levelCounts).toEqual(riskLevels.map((level) => ({ level, count: whole.filter(({ risk }) => risk.level === level).length })));
    expect(first.perOwner).toMatchObject([{ owner_id: many.id, accounts: 300 }]);

    // Every third account has a next step that is two days late.
    const late = await riskDashboard(t.db, { visibleTo: many }, { flag: 'commitment_overdue' }, firstPage, clock);
    expect(late.total).toBe(100);
    expect(late.rows.every((row) => row.flagCodes.includes('commitment_overdue'))).toBe(true);
    const named = await riskDashboard(t.db, { visibleTo: many }, { q: 'account 29' }, firstPage, clock);
    expect(named.rows.map((row) => row.name).sort()).toEqual([...Array.from({ length: 10 }, (_, index) => `Account 29${index}`)]);
  });
});
