import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type ApiClient, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// One departure followed over weeks with the clock fixed at each step, the way a rep and their
// manager live it: announced → successor named → left → successor met → history presented →
// playbook done (and, after 90 days, let go). At each step: the level, the recovery flag's
// sentence and next step, and the manager's digest preview for that week.

let t: TestApp;
let riley: CurrentUser;
let dana: CurrentUser;
let api: Record<'riley' | 'dana', ApiClient>;
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestApp({ now: '2026-11-23T14:00:00.000Z' }); // Monday of 2026-W48
  dana = await t.make.user({ role: 'manager', name: 'Dana Whitfield' });
  riley = await t.make.user({ name: 'Riley Morgan', manager: dana });
  ({ api } = await sessionsAndClients(t, { riley, dana }));

  const account = await t.make.account(riley, { name: 'Bluewater Law LLP', openedDaysAgo: 300 });
  ids.account = account.id;
  const james = await t.make.contact(riley, account.id, { name: 'James Whitaker', roles: ['boss'] });
  ids.helen = (await t.make.contact(riley, account.id, { name: 'Helen Park', roles: ['decision_maker', 'champion'], reports_to_contact_id: james.id })).id;
  const nora = await t.make.contact(riley, account.id, { name: 'Nora Quinn', roles: ['user'] });
  const omar = await t.make.contact(riley, account.id, { name: 'Omar Haddad', roles: ['influencer'] });
  ids.ken = (await t.make.contact(riley, account.id, { name: 'Ken Ito', title: 'Senior Associate', roles: [] })).id;
  await t.make.touchpoint(riley, account.id, { contact_ids: [ids.helen, nora.id, omar.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-20T07:30:00Z' });
  await t.make.touchpoint(riley, account.id, { contact_ids: [james.id, ids.ken], kind: 'meeting', location: 'customer_office', occurred_at: '2026-11-18T15:00:00Z' });
});
afterAll(() => t.close());

async function risk() {
  const response = await api.riley.get(`/accounts/${ids.account}/risk`);
  expect(response.status).toBe(200);
  return response.body as { score: number; level: string; flags: { code: string; severity: string; message: string; next_action: string; contact_id?: number }[] };
}
const recoveryOf = (body: Awaited<ReturnType<typeof risk>>) => body.flags.find((flag) => flag.code === 'recovery_in_progress');

async function digestFor(week: string) {
  const response = await api.dana.get(`/digest/preview?manager_id=${dana.id}&week=${week}`);
  expect(response.status).toBe(200);
  return response.body as {
    accounts_at_risk: { rows: { account_name: string; level: string; next_action: string }[] };
    departures: { contact_name: string; status: string; on: string; successor: { name: string; met: boolean } | null; playbook: { done: number; total: number } | null; next_action: string | null }[];
  };
}

const stepsOfHelen = () =>
  t.db.selectFrom('commitments').select(['id', 'playbook_step', 'done_at', 'closed_reason']).where('departed_contact_id', '=', ids.helen!).orderBy('id').execute();

describe('Helen Park, decision-maker at Bluewater Law, leaves', () => {
  it('starts healthy', async () => {
    expect(await risk()).toMatchObject({ score: 0, level: 'ok', flags: [] });
    expect((await digestFor('2026-W48')).departures).toEqual([]);
  });

  it('announced six weeks ahead, no successor: at risk, and the digest lists her the weeks before', async () => {
    const announced = await api.riley.post(`/contacts/${ids.helen}/departure`, { left_on: '2027-01-04', notice: 'told_in_advance' });
    expect(announced.status).toBe(200);
    const body = await risk();
    expect(body.level).toBe('at_risk');
    expect(recoveryOf(body)).toMatchObject({
      severity: 'high',
      message: 'Helen Park (decision-maker) is leaving on 4 Jan 2027 (in 42 days); no successor named yet; 0 of 3 recovery steps done.',
      next_action: 'Ask Helen Park who will take over, and for an introduction.',
      contact_id: ids.helen,
    });
    const digest = await digestFor('2026-W48');
    expect(digest.accounts_at_risk.rows).toEqual([expect.objectContaining({ account_name: 'Bluewater Law LLP', level: 'at_risk' })]);
    expect(digest.accounts_at_risk.rows[0]!.next_action).toBe(body.flags[0]!.next_action);
    expect(digest.departures).toEqual([
      expect.objectContaining({ contact_name: 'Helen Park', status: 'leaving', on: '2027-01-04', successor: null, playbook: { done: 0, total: 3 }, next_action: 'Ask Helen Park who will take over, and for an introduction.' }),
    ]);
  });

  it('a week later, Ken Ito is named: still at risk until he is met outside the office', async () => {
    t.clock.set('2026-11-30T14:00:00.000Z'); // Monday of W49
    await api.riley.post(`/contacts/${ids.helen}/departure`, { left_on: '2027-01-04', notice: 'told_in_advance', replacement_contact_id: ids.ken });
    const body = await risk();
    expect(body.level).toBe('at_risk');
    expect(recoveryOf(body)?.message).toBe('Helen Park (decision-maker) is leaving on 4 Jan 2027 (in 35 days); Ken Ito not met outside the office yet; 0 of 3 recovery steps done.');
    expect(recoveryOf(body)?.next_action).toBe('Meet Ken Ito outside the office before Helen Park hands over.');
    // He takes over on her leaving day: not yet, so never "became".
    expect(body.flags.find((flag) => flag.code === 'new_key_contact')?.message).toMatch(/^Ken Ito becomes decision-maker on 4 Jan 2027/);
    const digest = await digestFor('2026-W49');
    expect(digest.departures).toEqual([expect.objectContaining({ contact_name: 'Helen Park', successor: { name: 'Ken Ito', met: false } })]);
  });

  it('a meeting with Ken at their office ticks "meet them before the handover", but he is not met outside yet', async () => {
    t.clock.set('2026-12-08T16:00:00.000Z');
    const logged = await api.riley.post(`/accounts/${ids.account}/touchpoints`, { contact_ids: [ids.ken], kind: 'meeting', location: 'customer_office', occurred_at: '2026-12-08T15:00:00Z' });
    expect(logged.status).toBe(201);
    const steps = await stepsOfHelen();
    expect(steps.find((step) => step.playbook_step === 'meet_successor')?.done_at).not.toBeNull();
    const body = await risk();
    expect(body.level).toBe('at_risk');
    expect(recoveryOf(body)?.message).toMatch(/Ken Ito not met outside the office yet; 1 of 3 recovery steps done\.$/);
  });

  it('the week she leaves: left, the "before the handover" steps close themselves, still at risk', async () => {
    t.clock.set('2027-01-04T14:00:00.000Z'); // Monday of 2027-W01
    await api.riley.post(`/contacts/${ids.helen}/departure`, { left_on: '2027-01-04', notice: 'told_in_advance', destination: 'Harbor & Finch LLP' });
    const steps = await stepsOfHelen();
    expect(steps).toHaveLength(9);
    expect(steps.find((step) => step.playbook_step === 'ask_introduction')?.closed_reason).toBe('Helen Park has left: the handover is over');
    expect(steps.find((step) => step.playbook_step === 'ask_destination')?.closed_reason).toBe('Harbor & Finch LLP: where they went is already known');
    const body = await risk();
    expect(body.level).toBe('at_risk');
    expect(recoveryOf(body)).toMatchObject({
      message: 'Helen Park left today; Ken Ito not met outside the office yet; 3 of 9 recovery steps done.',
      next_action: 'Have coffee with Ken Ito outside the office, as soon as possible.',
    });
    const digest = await digestFor('2027-W01');
    expect(digest.departures).toEqual([
      expect.objectContaining({ contact_name: 'Helen Park', status: 'left', on: '2027-01-04', successor: { name: 'Ken Ito', met: false }, playbook: { done: 3, total: 9 } }),
    ]);
    // The contact answers with the day they left, and no leaving day in the future.
    expect((await api.riley.get(`/contacts/${ids.helen}`)).body).toMatchObject({ status: 'left', left_on: '2027-01-04' });
  });

  it('coffee with Ken outside the office ticks the coffee and the introduction; the history is still to present', async () => {
    t.clock.set('2027-01-07T09:00:00.000Z');
    await api.riley.post(`/accounts/${ids.account}/touchpoints`, { contact_ids: [ids.ken], kind: 'coffee', location: 'outside_office', occurred_at: '2027-01-07T07:30:00Z' });
    const body = await risk();
    expect(body.level).toBe('at_risk');
    expect(recoveryOf(body)).toMatchObject({
      message: 'Helen Park left 3 days ago; Ken Ito met, the account history not presented yet; 5 of 9 recovery steps done.',
      next_action: 'Present the account history to Ken Ito.',
    });
  });

  it('the week after: the digest still lists her, met, with the next action', async () => {
    t.clock.set('2027-01-11T14:00:00.000Z'); // Monday of 2027-W02
    const digest = await digestFor('2027-W02');
    expect(digest.departures).toEqual([
      expect.objectContaining({ contact_name: 'Helen Park', successor: { name: 'Ken Ito', met: true }, playbook: { done: 5, total: 9 }, next_action: 'Present the account history to Ken Ito.' }),
    ]);
  });

  it('presenting the account history to Ken ticks the step: watch until the playbook is done', async () => {
    // (The page's button posts the same; see test/playbook/keeps-itself-true.test.ts.)
    const presented = await api.riley.post(`/contacts/${ids.ken}/history-presented`, {});
    expect(presented.status).toBe(200);
    expect(presented.body).toEqual({ contact_id: ids.ken, step_ticked: true });
    expect((await stepsOfHelen()).find((step) => step.playbook_step === 'history_report')?.done_at).not.toBeNull();

    const body = await risk();
    expect(body.level).toBe('watch');
    expect(recoveryOf(body)).toMatchObject({ severity: 'medium', message: 'Helen Park left 7 days ago; Ken Ito met outside the office; 6 of 9 recovery steps done.' });
    expect((await digestFor('2027-W02')).accounts_at_risk.rows).toEqual([]);
  });

  it('is let go when the playbook is done: no flag, no digest entry', async () => {
    t.clock.set('2027-01-18T14:00:00.000Z'); // Monday of 2027-W03
    for (const step of await stepsOfHelen()) if (step.done_at === null) expect((await api.riley.patch(`/commitments/${step.id}`, { done: true })).status).toBe(200);
    const body = await risk();
    expect(recoveryOf(body)).toBeUndefined();
    expect(body.level).toBe('ok');
    expect((await digestFor('2027-W03')).departures).toEqual([]);
  });

  it('or, with steps still open, 90 days after she left', async () => {
    const followLeaver = (await stepsOfHelen()).find((step) => step.playbook_step === 'follow_leaver')!;
    await api.riley.patch(`/commitments/${followLeaver.id}`, { done: false });
    t.clock.set('2027-04-04T14:00:00.000Z'); // day 90
    expect(recoveryOf(await risk())).toBeDefined();
    t.clock.set('2027-04-05T14:00:00.000Z'); // day 91
    expect(recoveryOf(await risk())).toBeUndefined();
    expect((await digestFor('2027-W14')).departures).toEqual([]);
  });
});
