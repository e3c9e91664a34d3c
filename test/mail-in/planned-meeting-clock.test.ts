import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
import { type AccountRiskInput, type RiskContact, assessAccount } from '../../src/risk/risk.rules.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type ApiClient, type Session, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// A meeting planned from an invitation shows in the decision-maker meeting clock — the flag, the
// account page, My accounts — but only the meeting itself, held outside the office, restarts it.

const invitation = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', 'invitations', name));

describe('the rule', () => {
  const now = new Date('2026-12-05T14:00:00Z');
  const maria: RiskContact = {
    id: 1, name: 'Maria Lopez', status: 'active', roles: ['decision_maker'], started_in_role_on: null, leaving_on: null, left_on: null,
    replacement_contact_id: null, last_touch_at: '2026-12-01T10:00:00Z', last_outside_meeting_at: '2026-11-01T13:00:00Z', touchpoint_count: 9,
  };
  const tom: RiskContact = { ...maria, id: 2, name: 'Tom Baker', roles: ['user'], last_outside_meeting_at: null };
  const input = (mariaPlanned: string | null, tomPlanned: string | null = null): AccountRiskInput => ({
    account: { id: 7, meeting_cadence_days: 30, created_at: '2025-01-01T00:00:00Z' },
    contacts: [
      { ...maria, next_planned_meeting_at: mariaPlanned },
      { ...tom, next_planned_meeting_at: tomPlanned },
    ],
    last_touchpoint_at: '2026-12-01T10:00:00Z', overdue_commitments: [], overdue_complaint_follow_ups: [], recovery_steps: [], open_complaints: [], departure_signals: [],
  });
  const meeting = (zone: string, mariaPlanned: string | null, tomPlanned: string | null = null) => assessAccount(input(mariaPlanned, tomPlanned), { now, zone }).decision_maker_meeting;

  it('names the planned meeting with an active decision-maker, dated in the viewer’s zone', () => {
    // 03:00 UTC on Friday 11 December is still Thursday evening in Chicago.
    const late = '2026-12-11T03:00:00.000Z';
    expect(meeting('America/Chicago', late)?.planned).toEqual({ contact: { id: 1, name: 'Maria Lopez' }, starts_at: late, on: '2026-12-10', in_time: false });
    expect(meeting('UTC', late)?.planned?.on).toBe('2026-12-11');
  });

  it('leaves out a meeting only with others, and one already past', () => {
    expect(meeting('UTC', null, '2026-12-08T13:30:00.000Z')?.planned).toBeNull();
    expect(meeting('UTC', '2026-12-04T13:30:00.000Z')?.planned).toBeNull();
    // Earlier today still counts for today: the clock works in whole days.
    expect(meeting('UTC', '2026-12-05T07:30:00.000Z')?.planned?.on).toBe('2026-12-05');
  });

  it('an overdue clock stays flagged, with its weight, and says what is planned', () => {
    const without = assessAccount(input(null), { now, zone: 'UTC' });
    const withPlan = assessAccount(input('2026-12-10T13:30:00.000Z'), { now, zone: 'UTC' });
    const flag = withPlan.flags.find((entry) => entry.code === 'decision_maker_meeting_overdue')!;
    expect(flag.message).toBe('No coffee with Maria Lopez (decision-maker) outside the office for 34 days — 4 days overdue on a 30-day cadence; coffee with Maria Lopez planned for Thu 10 Dec.');
    expect(flag.severity).toBe('medium');
    expect(flag.next_action).toMatch(/Keep the planned coffee/);
    expect(withPlan.score).toBe(without.score);
  });
});

describe('planned meetings in the product', () => {
  let t: TestApp;
  let riley: CurrentUser;
  let harbor: { id: number };
  let maria: { id: number };
  let as: Record<'riley', Session>;
  let api: Record<'riley', ApiClient>;
  const risk = async () => (await api.riley.get(`/accounts/${harbor.id}/risk`).expect(200)).body;

  beforeAll(async () => {
    t = await createTestApp();
    riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test', time_zone: 'America/Chicago' });
    harbor = await t.make.account(riley, { name: 'Harbor Dental Group', openedDaysAgo: 400 });
    maria = await t.make.contact(riley, harbor.id, { name: 'Maria Lopez', email: 'maria.lopez@harbordental.test', roles: ['decision_maker'] });
    await t.make.touchpoint(riley, harbor.id, { kind: 'coffee', location: 'outside_office', contact_ids: [maria.id], occurred_at: '2026-11-01T13:00:00Z' });
    ({ as, api } = await sessionsAndClients(t, { riley }));
  });
  afterAll(() => t.close());

  it('an invitation shows on the account page and in the API; the clock still runs from the last meeting held', async () => {
    expect((await risk()).decision_maker_meeting).toMatchObject({ due_on: '2026-12-01', planned: null });
    expect(await handleMessage(t.db, t.clock, riley, invitation('google-calendar-request.eml'))).toMatchObject({ kind: 'meetings' });
    expect((await risk()).decision_maker_meeting).toEqual({
      contact_id: maria.id,
      last_met_at: '2026-11-01T13:00:00.000Z',
      cadence_days: 30,
      due_on: '2026-12-01',
      due_in_days: 8,
      planned: { contact_id: maria.id, starts_at: '2026-12-10T13:30:00.000Z', on: '2026-12-10', in_time: false },
    });
    const page = await as.riley.agent.get(`/accounts/${harbor.id}`).expect(200);
    expect(page.text).toContain('next due in 8 days (1 Dec) on a 30-day cadence; coffee with Maria Lopez planned for Thu 10 Dec.');
  });

  it('once overdue the flag stays and names the planned coffee; an update that moves it moves the sentence', async () => {
    t.clock.set('2026-12-05T14:00:00Z');
    const overdue = (await risk()).flags.find((flag: { code: string }) => flag.code === 'decision_maker_meeting_overdue');
    expect(overdue.message).toContain('4 days overdue on a 30-day cadence; coffee with Maria Lopez planned for Thu 10 Dec.');
    await handleMessage(t.db, t.clock, riley, invitation('google-calendar-update.eml'));
    const moved = (await risk()).flags.find((flag: { code: string }) => flag.code === 'decision_maker_meeting_overdue');
    expect(moved.message).toContain('coffee with Maria Lopez planned for Fri 11 Dec.');
    const myAccounts = await as.riley.agent.get('/accounts').expect(200);
    expect(myAccounts.text).toContain('Decision-maker met outside 34 days ago; coffee with Maria Lopez planned for Fri 11 Dec');
  });

  it("the rep's week names the planned coffee beside the overdue meeting, in the API and on the page", async () => {
    const { body } = await api.riley.get('/me/week').expect(200);
    expect(body.sections.decision_maker_meetings).toEqual([
      expect.objectContaining({ contact_id: maria.id, days_overdue: 4, planned: { contact_id: maria.id, contact_name: 'Maria Lopez', on: '2026-12-11' } }),
    ]);
    const week = await as.riley.agent.get('/week').expect(200);
    expect(week.text).toContain('4 days overdue · coffee with Maria Lopez planned for Fri 11 Dec');
  });

  it('planned before the due date, My accounts lists it as planned, not as falling due', async () => {
    await t.make.touchpoint(riley, harbor.id, { kind: 'coffee', location: 'outside_office', contact_ids: [maria.id], occurred_at: '2026-12-04T13:00:00Z' });
    await api.riley.patch(`/accounts/${harbor.id}`, { meeting_cadence_days: 10 }).expect(200);
    t.clock.set('2026-12-08T14:00:00Z');
    const clock = (await risk()).decision_maker_meeting;
    expect(clock).toMatchObject({ due_on: '2026-12-14', due_in_days: 6, planned: { on: '2026-12-11', in_time: true } });
    expect((await risk()).flags.map((flag: { code: string }) => flag.code)).not.toContain('decision_maker_meeting_overdue');
    const myAccounts = await as.riley.agent.get('/accounts').expect(200);
    const dueThisWeek = myAccounts.text.slice(myAccounts.text.indexOf('Decision-maker meetings due this week'), myAccounts.text.indexOf('Accounts, riskiest first'));
    expect(dueThisWeek).toContain('Harbor Dental Group</a>: coffee with Maria Lopez planned for Fri 11 Dec</li>');
    expect(dueThisWeek).not.toContain('due in 6 days');
  });

  it('answered “not outside the office” ahead of time, it is no longer counted as planned', async () => {
    const [coffee] = (await api.riley.get(`/accounts/${harbor.id}/meetings?status=planned`).expect(200)).body.data;
    expect((await as.riley.submit(`/accounts/${harbor.id}`, `/meetings/${coffee.id}/outside-office`, { outside_office: '0' })).status).toBe(302);
    expect((await risk()).decision_maker_meeting.planned).toBeNull();
    const myAccounts = await as.riley.agent.get('/accounts').expect(200);
    expect(myAccounts.text).toContain('Harbor Dental Group</a>: coffee with Maria Lopez due in 6 days');
  });
});
