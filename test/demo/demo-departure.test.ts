import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { assessAccounts } from '../../src/risk/risk.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// The demo company is made through the same services a user goes through, so what a new user
// tries on it behaves as on their own data: the leaving decision-maker has their playbook.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await seedDemo(t.db, t.clock);
});
afterAll(() => t.close());

describe('the demo company', () => {
  it("Northwind Logistics' leaving decision-maker has the leaving playbook, and the account is at risk with the departure listed first", async () => {
    const tom = await t.db.selectFrom('contacts').select(['id', 'status', 'leaving_on']).where('name', '=', 'Tom Alvarez').executeTakeFirstOrThrow();
    expect(tom).toMatchObject({ status: 'leaving', leaving_on: '2026-12-14' });
    const steps = await t.db.selectFrom('commitments').select('playbook_step').where('departed_contact_id', '=', tom.id).orderBy('id').execute();
    expect(steps.map((step) => step.playbook_step)).toEqual(['ask_introduction', 'meet_successor', 'ask_destination']);

    const riley = await t.db.selectFrom('users').select(['id', 'email', 'name', 'role', 'manager_id', 'time_zone']).where('email', '=', 'riley@demo.buychain.test').executeTakeFirstOrThrow();
    const assessed = await assessAccounts(t.db, { visibleTo: riley }, { now: t.clock.now(), zone: riley.time_zone });
    const northwind = assessed.find(({ account }) => account.name === 'Northwind Logistics')!.risk;
    expect(northwind.level).toBe('at_risk');
    expect(northwind.flags.slice(0, 2).map((flag) => flag.code)).toEqual(['key_contact_leaving', 'recovery_in_progress']);
    // Demo accounts are running accounts, not new ones: none of them is "getting started".
    expect(assessed.filter(({ risk }) => risk.level === 'getting_started')).toEqual([]);
  });
});
