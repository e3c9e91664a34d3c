import ICAL from 'ical.js';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/users/tokens.js';
import { baseUrl } from '../digest/digest-fixtures.js';
import { type ApiClient, apiClient, postForm, twoTeams } from '../support/scenarios.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

// Monday 23 November 2026, 14:00 UTC. The feed is built with ical-generator and read back here
// with ical.js, a different library, as a calendar app would read it.

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let riley: ApiClient;
let harbor: { id: number };
let maria: { id: number };
let promiseId: number;
let stepIds: number[];
let complaintId: number;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  riley = apiClient(t.app, await t.make.apiToken(people.rep));
  harbor = await t.make.account(people.rep, { name: 'Harbor Dental' });
  maria = await t.make.contact(people.rep, harbor.id, { name: 'Maria Lopez', roles: ['decision_maker'], birthday: '1980-11-25', started_in_role_on: '2019-03-01', preferred_channel: 'phone' });
  const leap = await t.make.contact(people.rep, harbor.id, { name: 'Lena Leap', roles: ['user'], birthday: '02-29' });
  const ken = await t.make.contact(people.rep, harbor.id, { name: 'Ken Ito', roles: ['boss'] });
  await t.make.touchpoint(people.rep, harbor.id, { contact_ids: [maria.id, leap.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-10-27T08:00:00Z' });
  promiseId = (await riley.post(`/accounts/${harbor.id}/commitments`, { description: 'Send the revised pricing', due_on: '2026-12-01', contact_id: maria.id })).body.id;
  const complaint = await riley.post(`/accounts/${harbor.id}/complaints`, { category: 'delivery', issue: 'Gloves arrived late', contact_id: maria.id });
  complaintId = complaint.body.id;
  await riley.patch(`/complaints/${complaintId}`, { acknowledged_on: '2026-11-23', resolution: 'Reshipped', resolved_on: '2026-11-23', follow_up_due_on: '2026-12-07' });
  // Ken is leaving: the recovery playbook's steps are dated too.
  await riley.patch(`/contacts/${ken.id}`, { status: 'leaving', leaving_on: '2026-12-18' });
  stepIds = (await t.db.selectFrom('commitments').select('id').where('departed_contact_id', '=', ken.id).orderBy('id').execute()).map((row) => row.id);

  // The manager's own account, and an account of another team.
  const own = await t.make.account(people.manager, { name: 'Manager Own Co' });
  await t.make.contact(people.manager, own.id, { name: 'Olga Own', roles: ['decision_maker'] });
  const south = await t.make.account(people.outsider, { name: 'South Secrets' });
  await t.make.contact(people.outsider, south.id, { name: 'Sam South', roles: ['decision_maker'], birthday: '11-24' });
});
afterAll(() => t.close());

interface FeedEvent {
  summary: string;
  start: string;
  rrule: string | null;
  url: string | null;
}

/** Fetches a feed address without any session and parses it with ical.js: UID → event. */
async function readFeed(url: string) {
  const response = await supertest(t.app).get(url.slice(baseUrl.length));
  expect(response.status, url).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/calendar/);
  expect(response.headers['set-cookie']).toBeUndefined();
  const calendar = new ICAL.Component(ICAL.parse(response.text));
  const events = new Map<string, FeedEvent>();
  for (const vevent of calendar.getAllSubcomponents('vevent')) {
    const event = new ICAL.Event(vevent);
    expect(events.has(event.uid), event.uid).toBe(false);
    events.set(event.uid, {
      summary: event.summary,
      start: event.startDate.toString(),
      rrule: vevent.getFirstPropertyValue('rrule')?.toString() ?? null,
      url: (vevent.getFirstPropertyValue('url') as string | null) ?? null,
    });
  }
  return { events, zone: calendar.getFirstPropertyValue('x-wr-timezone'), text: response.text };
}

const newFeed = async (client: ApiClient) => {
  const response = await client.post('/me/calendar-feed', {});
  expect(response.status).toBe(201);
  expect(response.body.url).toMatch(/^http:\/\/buychain\.test\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  return response.body.url as string;
};

describe('the calendar feed', () => {
  it('has the meeting due, promises, recovery steps, follow-ups, birthdays and anniversaries, as valid iCalendar', async () => {
    const { events, zone, text } = await readFeed(await newFeed(riley));
    expect(zone).toBe('UTC');
    expect(text).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(events.get(`decision-maker-meeting-${harbor.id}@buychain`)).toMatchObject({ summary: 'Coffee with Maria Lopez due · Harbor Dental', start: '2026-11-26', url: `${baseUrl}/accounts/${harbor.id}/touchpoints/new?contact=${maria.id}` });
    expect(events.get(`commitment-${promiseId}@buychain`)).toMatchObject({ summary: 'Promise: Send the revised pricing · Harbor Dental', start: '2026-12-01', rrule: null });
    for (const stepId of stepIds) expect(events.get(`commitment-${stepId}@buychain`)?.summary).toMatch(/^Recovery: .* · Harbor Dental$/);
    expect(events.get(`complaint-follow-up-${complaintId}@buychain`)).toMatchObject({ summary: 'Follow up: is Maria Lopez satisfied? · Harbor Dental', start: '2026-12-07' });
    expect(events.get(`birthday-${maria.id}@buychain`)).toMatchObject({ summary: "Maria Lopez's birthday · Harbor Dental", start: '2026-11-25', rrule: 'FREQ=YEARLY' });
    // 29 February: on the last day of February in the years without one.
    expect([...events.values()].find((event) => event.summary.startsWith("Lena Leap's birthday"))).toMatchObject({ start: '2026-02-28', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1' });
    expect(events.get(`role-anniversary-${maria.id}@buychain`)).toMatchObject({ start: '2026-03-01', rrule: 'FREQ=YEARLY' });
    // Another team's account never appears, nor the manager's.
    expect(text).not.toMatch(/South Secrets|Manager Own Co/);
  });

  it('follows the account page: a done promise disappears and a logged coffee moves the meeting instead of adding one', async () => {
    const url = await newFeed(riley);
    const before = await readFeed(url);
    expect(before.events.has(`commitment-${promiseId}@buychain`)).toBe(true);

    expect((await riley.patch(`/commitments/${promiseId}`, { done: true })).status).toBe(200);
    expect((await riley.post(`/accounts/${harbor.id}/touchpoints`, { contact_ids: [maria.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-23T08:00:00Z' })).status).toBe(201);
    const after = await readFeed(url);
    expect(after.events.has(`commitment-${promiseId}@buychain`)).toBe(false);
    const risk = (await riley.get(`/accounts/${harbor.id}/risk`)).body;
    expect(after.events.get(`decision-maker-meeting-${harbor.id}@buychain`)).toMatchObject({ summary: 'Coffee with Maria Lopez due · Harbor Dental', start: risk.decision_maker_meeting.due_on });
    expect(risk.decision_maker_meeting.due_on).toBe('2026-12-23');
    // Everything else is the same set of events.
    const unchanged = [...before.events.keys()].filter((uid) => uid !== `commitment-${promiseId}@buychain`);
    expect([...after.events.keys()].sort()).toEqual(unchanged.sort());
  });

  it("covers a manager's own accounts only, not their team's", async () => {
    const { events, text } = await readFeed(await newFeed(apiClient(t.app, await t.make.apiToken(people.manager))));
    expect(text).toContain('Coffee with Olga Own due · Manager Own Co');
    expect(text).not.toContain('Harbor Dental');
    expect([...events.values()].every((event) => event.summary.endsWith('Manager Own Co'))).toBe(true);
  });
});

describe('the private address', () => {
  it('is stored only as a hash; a new one revokes the old; unknown and malformed ones answer 404', async () => {
    const first = await newFeed(riley);
    const second = await newFeed(riley);
    const secret = /\/calendar\/(.+)\.ics$/.exec(second)![1]!;
    const rows = await t.db.selectFrom('calendar_feeds').selectAll().where('user_id', '=', people.rep.id).execute();
    expect(rows).toEqual([expect.objectContaining({ secret_hash: hashToken(secret) })]);
    expect(JSON.stringify(rows)).not.toContain(secret);

    expect((await supertest(t.app).get(first.slice(baseUrl.length))).status).toBe(404);
    await readFeed(second);
    for (const path of ['/calendar/nope.ics', `/calendar/${secret}`, `/calendar/${secret.slice(1)}x.ics`]) expect((await supertest(t.app).get(path)).status, path).toBe(404);
  });

  it('is made and remade in Settings, shown once, and can be removed', async () => {
    const session = await signIn(t.app, people.teammate);
    const made = await postForm(session, '/settings/calendar-feed');
    expect(made.status).toBe(201);
    const url = /(http:\/\/buychain\.test\/calendar\/[A-Za-z0-9_-]{43}\.ics)/.exec(made.text)![1]!;
    await readFeed(url);
    const settings = await session.agent.get('/settings');
    expect(settings.text).not.toContain(url);
    expect(settings.text).toContain('Make a new address');

    const remade = await postForm(session, '/settings/calendar-feed');
    expect(remade.text).not.toContain(url);
    expect((await supertest(t.app).get(url.slice(baseUrl.length))).status).toBe(404);
    const newUrl = /(http:\/\/buychain\.test\/calendar\/[A-Za-z0-9_-]{43}\.ics)/.exec(remade.text)![1]!;
    expect((await postForm(session, '/settings/calendar-feed/revoke')).status).toBe(302);
    expect((await supertest(t.app).get(newUrl.slice(baseUrl.length))).status).toBe(404);
  });

  it("answers another team's user with their own feed only, and refuses a request without a token", async () => {
    const { text } = await readFeed(await newFeed(apiClient(t.app, await t.make.apiToken(people.outsider))));
    expect(text).toContain("Sam South's birthday · South Secrets");
    expect(text).not.toContain('Harbor Dental');
    expect((await supertest(t.app).post('/api/v1/me/calendar-feed')).status).toBe(401);
  });
});
