import { readFileSync } from 'node:fs';
import path from 'node:path';
import ICAL from 'ical.js';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { baseUrl } from '../digest/digest-fixtures.js';
import { type ApiClient, type Session, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// Saturday 5 December 2026, 14:00 UTC (08:00 in Chicago, Riley's zone). Maria was last met outside
// the office on 1 November: the coffee was due on 1 December. Riley's invitation books it for
// Thu 10 Dec, 07:30 Chicago time.

const invitation = readFileSync(path.join(import.meta.dirname, '..', 'mail-in', 'fixtures', 'invitations', 'google-calendar-request.eml'));

let t: TestApp;
let riley: CurrentUser;
let harbor: { id: number };
let maria: { id: number };
let as: Record<'riley', Session>;
let api: Record<'riley', ApiClient>;
let feedUrl: string;

/** The decision-maker meeting's event, as a calendar app reads it (ical.js), and how many events share its UID. */
async function meetingEvent() {
  const response = await supertest(t.app).get(feedUrl.slice(baseUrl.length)).expect(200);
  const events = new ICAL.Component(ICAL.parse(response.text)).getAllSubcomponents('vevent').map((vevent) => new ICAL.Event(vevent));
  const matching = events.filter((event) => event.uid === `decision-maker-meeting-${harbor.id}@buychain`);
  expect(matching).toHaveLength(1);
  const [event] = matching;
  return { summary: event!.summary, start: event!.startDate.toString(), description: event!.description, url: event!.component.getFirstPropertyValue('url') };
}

beforeAll(async () => {
  t = await createTestApp({ now: '2026-12-05T14:00:00Z' });
  riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test', time_zone: 'America/Chicago' });
  harbor = await t.make.account(riley, { name: 'Harbor Dental Group', openedDaysAgo: 400 });
  maria = await t.make.contact(riley, harbor.id, { name: 'Maria Lopez', email: 'maria.lopez@harbordental.test', roles: ['decision_maker'], preferred_channel: 'phone' });
  await t.make.touchpoint(riley, harbor.id, { kind: 'coffee', location: 'outside_office', contact_ids: [maria.id], occurred_at: '2026-11-01T13:00:00Z' });
  ({ as, api } = await sessionsAndClients(t, { riley }));
  feedUrl = (await api.riley.post('/me/calendar-feed', {}).expect(201)).body.url;
});
afterAll(() => t.close());

describe('the calendar feed, when the coffee with the decision-maker is already planned', () => {
  it('before the invitation: the reminder sits on the day it was due', async () => {
    expect(await meetingEvent()).toMatchObject({
      summary: 'Coffee with Maria Lopez due · Harbor Dental Group',
      start: '2026-12-01',
      url: `${baseUrl}/accounts/${harbor.id}/touchpoints/new?contact=${maria.id}`,
    });
  });

  it('after it: the same event moves to the day of the coffee and says it is planned, and what is left to do', async () => {
    expect(await handleMessage(t.db, t.clock, riley, invitation)).toMatchObject({ kind: 'meetings' });
    expect(await meetingEvent()).toEqual({
      summary: 'Coffee with Maria Lopez planned for Thu 10 Dec · Harbor Dental Group',
      start: '2026-12-10',
      description: 'Due Tue 1 Dec. Last met outside the office on 1 Nov 2026. Afterwards, answer “Outside the office” on it on the account page: that restarts the clock.',
      url: `${baseUrl}/accounts/${harbor.id}#planned-meetings`,
    });
  });

  it('answered “At their office or online” ahead of time, it is not planned any more: back to the day it was due', async () => {
    const [coffee] = (await api.riley.get(`/accounts/${harbor.id}/meetings?status=planned`).expect(200)).body.data;
    expect((await as.riley.submit(`/accounts/${harbor.id}`, `/meetings/${coffee.id}/outside-office`, { outside_office: '0' })).status).toBe(302);
    expect(await meetingEvent()).toMatchObject({ summary: 'Coffee with Maria Lopez due · Harbor Dental Group', start: '2026-12-01' });
  });
});
