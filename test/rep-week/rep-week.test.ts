import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runRepWeekTick } from '../../src/rep-week/rep-week.delivery.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { baseUrl, deliveryContext, startSmtpServer } from '../digest/digest-fixtures.js';
import { type ApiClient, apiClient, postForm, twoTeams } from '../support/scenarios.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

// Monday 23 November 2026, 14:00 UTC (ISO week 2026-W48). Riley, a rep in UTC, owns Harbor Dental
// (a decision-maker met for coffee 27 days ago, a birthday on Wednesday, promises late and due, a
// complaint follow-up) and Bay Clinic (the decision-maker's boss is leaving; riskier than last week).

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let people: Awaited<ReturnType<typeof twoTeams>>;
let riley: ApiClient;
let harbor: { id: number };
let bay: { id: number };
let maria: { id: number };
let tom: { id: number };
let complaintId: number;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ mailer: smtp.mailer() });
  people = await twoTeams(t);
  riley = apiClient(t.app, await t.make.apiToken(people.rep));

  harbor = await t.make.account(people.rep, { name: 'Harbor Dental' });
  maria = await t.make.contact(people.rep, harbor.id, { name: 'Maria Lopez', roles: ['decision_maker'], preferred_channel: 'phone', preferred_time: 'before 9', birthday: '1980-11-25' });
  await t.make.touchpoint(people.rep, harbor.id, { contact_ids: [maria.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-10-27T08:00:00Z' });
  for (const [description, due_on] of [
    ['Send the revised pricing', '2026-11-20'],
    ['Bring the new samples', '2026-11-27'],
    ['Quote the second chair', '2026-12-02'],
  ])
    expect((await riley.post(`/accounts/${harbor.id}/commitments`, { description, due_on, contact_id: maria.id })).status).toBe(201);
  const complaint = await riley.post(`/accounts/${harbor.id}/complaints`, { category: 'delivery', issue: 'Gloves arrived late', contact_id: maria.id, raised_on: '2026-11-02' });
  complaintId = complaint.body.id;
  expect((await riley.patch(`/complaints/${complaintId}`, { acknowledged_on: '2026-11-03', resolution: 'Reshipped', resolved_on: '2026-11-05', follow_up_due_on: '2026-11-26' })).status).toBe(200);

  bay = await t.make.account(people.rep, { name: 'Bay Clinic' });
  tom = await t.make.contact(people.rep, bay.id, { name: 'Tom Reed', roles: ['boss'] });
  // Last week Bay Clinic was fine; Tom leaving makes it riskier.
  await t.db.insertInto('risk_snapshots').values({ account_id: bay.id, iso_week: '2026-W47', score: 10, level: 'ok', flags: 'no_influencers', taken_at: '2026-11-16T07:00:00.000Z' }).execute();
  expect((await riley.patch(`/contacts/${tom.id}`, { status: 'leaving', leaving_on: '2026-12-10', notice: 'told_in_advance' })).status).toBe(200);

  await t.make.account(people.outsider, { name: 'South Secrets' });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});
beforeEach(() => {
  smtp.received.length = 0;
  t.clock.set('2026-11-23T14:00:00Z');
});

const descriptions = (items: { description: string }[]) => items.map((item) => item.description);

describe('GET /api/v1/me/week', () => {
  it('lists this week’s work with the account and contact of every item and where it is done', async () => {
    const response = await riley.get('/me/week?week=2026-W48');
    expect(response.status).toBe(200);
    const { week, sections, is_quiet } = response.body;
    expect(week).toBe('2026-W48');
    expect(is_quiet).toBe(false);

    // Late and due this week, not next week's; the leaving playbook's steps are promises too.
    expect(descriptions(sections.promises)).toEqual(expect.arrayContaining(['Send the revised pricing', 'Bring the new samples']));
    expect(descriptions(sections.promises)).not.toContain('Quote the second chair');
    expect(sections.promises.find((item: { description: string }) => item.description === 'Send the revised pricing')).toMatchObject({
      account_id: harbor.id,
      account_name: 'Harbor Dental',
      contact_id: maria.id,
      due_on: '2026-11-20',
      days_late: 3,
      playbook_step: false,
      url: `${baseUrl}/accounts/${harbor.id}/commitments`,
    });
    expect(sections.promises.some((item: { playbook_step: boolean; account_id: number }) => item.playbook_step && item.account_id === bay.id)).toBe(true);

    expect(sections.decision_maker_meetings).toEqual([
      expect.objectContaining({ account_id: harbor.id, contact_id: maria.id, contact_name: 'Maria Lopez', due_on: '2026-11-26', days_overdue: -3, preferred_channel: 'phone', preferred_time: 'before 9', url: `${baseUrl}/accounts/${harbor.id}/touchpoints/new?contact=${maria.id}` }),
    ]);
    expect(sections.key_dates).toEqual([expect.objectContaining({ kind: 'birthday', on: '2026-11-25', years: 46, contact_id: maria.id, account_id: harbor.id, url: `${baseUrl}/contacts/${maria.id}` })]);
    expect(sections.complaint_follow_ups).toEqual([expect.objectContaining({ complaint_id: complaintId, account_id: harbor.id, contact_id: maria.id, due_on: '2026-11-26', url: `${baseUrl}/complaints/${complaintId}` })]);
    expect(sections.departures).toEqual([
      expect.objectContaining({ contact_id: tom.id, account_id: bay.id, roles: ['boss'], status: 'leaving', on: '2026-12-10', successor: null, url: `${baseUrl}/contacts/${tom.id}/departure` }),
    ]);
    expect(sections.departures[0].playbook).toMatchObject({ done: 0, total: 3, next_step: expect.stringContaining('Ask Tom Reed') });
    expect(sections.riskier_accounts).toEqual([expect.objectContaining({ account_id: bay.id, previous_level: 'ok', level: expect.not.stringMatching(/^ok$/), next_action: expect.any(String) })]);
  });

  it('moves with the weeks: next week has what falls due then, and no key date or riskier account without a snapshot', async () => {
    const next = (await riley.get('/me/week?week=2026-W49')).body;
    expect(next.week).toBe('2026-W49');
    expect(descriptions(next.sections.promises)).toEqual(expect.arrayContaining(['Send the revised pricing', 'Bring the new samples', 'Quote the second chair']));
    expect(next.sections.decision_maker_meetings[0]).toMatchObject({ contact_id: maria.id, days_overdue: 4 });
    expect(next.sections.key_dates).toEqual([]);
    expect(next.sections.riskier_accounts).toEqual([]);
    // The week before: the birthday was not yet in it, the meeting not yet due.
    const before = (await riley.get('/me/week?week=2026-W47')).body;
    expect(before.sections.key_dates).toEqual([]);
    expect(before.sections.decision_maker_meetings).toEqual([]);
    // Without ?week=: the current week in the rep's zone.
    expect((await riley.get('/me/week')).body.week).toBe('2026-W48');
  });

  it('says a quiet week is quiet, and rejects a week that does not exist', async () => {
    const quiet = await apiClient(t.app, await t.make.apiToken(people.teammate)).get('/me/week?week=2026-W48');
    expect(quiet.body).toMatchObject({ week: '2026-W48', is_quiet: true });
    expect(Object.values(quiet.body.sections).every((items) => (items as unknown[]).length === 0)).toBe(true);
    for (const week of ['48', '2026-W54']) {
      const response = await riley.get(`/me/week?week=${week}`);
      expect(response.status, week).toBe(400);
      expect(response.body.error.fields.week).toBeTruthy();
    }
  });

  it('is only ever the caller’s own: another team’s rep sees none of it, and no token is refused', async () => {
    const outsider = await apiClient(t.app, await t.make.apiToken(people.outsider)).get('/me/week?week=2026-W48');
    expect(outsider.status).toBe(200);
    expect(JSON.stringify(outsider.body)).not.toMatch(/Harbor Dental|Bay Clinic|Maria Lopez/);
    const manager = await apiClient(t.app, await t.make.apiToken(people.otherManager)).get('/me/week');
    expect(JSON.stringify(manager.body)).not.toMatch(/Harbor Dental|Bay Clinic/);
    expect((await apiClient(t.app, 'bc_not-a-token').get('/me/week')).status).toBe(401);
  });
});

describe('the preview page', () => {
  it('shows the week as it will be mailed, with its plain-text part, only to its owner', async () => {
    const page = await (await signIn(t.app, people.rep)).agent.get('/week?week=2026-W48');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Coffee with Maria Lopez');
    expect(page.text).toContain('Prefers phone, before 9');
    expect(page.text).toContain('Not sent yet');
    const outsider = await (await signIn(t.app, people.outsider)).agent.get('/week?week=2026-W48');
    expect(outsider.status).toBe(200);
    expect(outsider.text).not.toContain('Harbor Dental');
    expect(outsider.text).toContain('A quiet week');
    expect((await (await signIn(t.app, people.rep)).agent.get('/week?week=nope')).status).toBe(400);
  });
});

const messagesTo = (user: CurrentUser) => smtp.received.filter((mail) => mail.to && !Array.isArray(mail.to) && mail.to.text === user.email);

describe('the Monday email', () => {
  it('goes out once a week per person over SMTP, with two app processes ticking at once, week after week', async () => {
    const processA = t.reconnect();
    const processB = t.reconnect();
    try {
      const tickBoth = () => Promise.all([runRepWeekTick(deliveryContext(t, smtp.mailer(), processA)), runRepWeekTick(deliveryContext(t, smtp.mailer(), processB))]);
      await tickBoth();
      const [mail] = messagesTo(people.rep);
      expect(messagesTo(people.rep)).toHaveLength(1);
      expect(mail!.subject).toMatch(/^Your week 2026-W48 \(23–29 Nov 2026\): \d+ things to do$/);
      expect(mail!.text).toContain('Coffee with Maria Lopez · Harbor Dental — due Thu 26 Nov · Prefers phone, before 9');
      expect(mail!.text).toContain(`${baseUrl}/complaints/${complaintId}`);
      const links = [...(mail!.html as string).matchAll(/href="([^"]+)"/g)].map(([, href]) => href!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '='));
      expect(links).toContain(`${baseUrl}/accounts/${harbor.id}/touchpoints/new?contact=${maria.id}`);
      // Every link opens, for the rep, the page where the item is done.
      const session = await signIn(t.app, people.rep);
      for (const link of new Set(links)) expect((await session.agent.get(link.slice(baseUrl.length))).status, link).toBe(200);
      // A rep without accounts gets the one-line quiet week.
      const [quiet] = messagesTo(people.teammate);
      expect(messagesTo(people.teammate)).toHaveLength(1);
      expect(quiet!.subject).toContain('a quiet week');
      expect((quiet!.text as string).match(/A quiet week/g) ?? []).toHaveLength(1);
      // Managers who own no accounts get the team digest instead, not this.
      expect(messagesTo(people.manager)).toHaveLength(0);

      // Later the same day, and a restarted process: nothing more.
      t.clock.set('2026-11-23T18:00:00Z');
      await tickBoth();
      expect(messagesTo(people.rep)).toHaveLength(1);

      // The next Monday morning, 07:00 in the rep's zone: next week's, once.
      t.clock.set('2026-11-30T06:59:00Z');
      await tickBoth();
      expect(messagesTo(people.rep)).toHaveLength(1);
      t.clock.set('2026-11-30T07:00:00Z');
      await tickBoth();
      await tickBoth();
      expect(messagesTo(people.rep).map((message) => message.subject)).toEqual([mail!.subject, expect.stringMatching(/^Your week 2026-W49 /)]);
      const rows = await t.db.selectFrom('digest_deliveries').select(['iso_week', 'status', 'attempts']).where('kind', '=', 'rep_week').where('manager_id', '=', people.rep.id).orderBy('iso_week').execute();
      expect(rows).toEqual([
        { iso_week: '2026-W48', status: 'sent', attempts: 1 },
        { iso_week: '2026-W49', status: 'sent', attempts: 1 },
      ]);
    } finally {
      await processA.destroy();
      await processB.destroy();
    }
  });

  it('honours the day, hour and opt-out chosen in Settings', async () => {
    const { rep } = await t.make.team('Later');
    const session = await signIn(t.app, rep);
    expect((await postForm(session, '/settings', { name: rep.name, time_zone: 'UTC', week_email_day: '2', week_email_hour: '9', week_email_opt_out: '0' })).status).toBe(302);
    t.clock.set('2026-12-07T14:00:00Z');
    await runRepWeekTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(rep)).toHaveLength(0);
    t.clock.set('2026-12-08T09:00:00Z');
    await runRepWeekTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(rep)).toHaveLength(1);

    expect((await postForm(session, '/settings', { name: rep.name, time_zone: 'UTC', week_email_opt_out: '1' })).status).toBe(302);
    t.clock.set('2026-12-15T09:00:00Z');
    await runRepWeekTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(rep)).toHaveLength(1);
    expect((await postForm(session, '/settings', { name: rep.name, time_zone: 'UTC', week_email_day: '9' })).status).toBe(400);
  });
});
