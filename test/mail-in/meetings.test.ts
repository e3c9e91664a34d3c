import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
import { readInvitations } from '../../src/mail-in/invitation-reader.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type ApiClient, type Session, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

const invitation = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', 'invitations', name));

let t: TestApp;
let riley: CurrentUser;
let harbor: { id: number };
let maria: { id: number };
let tom: { id: number };
let as: Record<'riley' | 'outsider', Session>;
let api: Record<'riley' | 'outsider', ApiClient>;

beforeAll(async () => {
  t = await createTestApp();
  riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test', time_zone: 'America/Chicago' });
  const outsider = await t.make.user({ name: 'Olga Other', email: 'olga@seller.test' });
  harbor = await t.make.account(riley, { name: 'Harbor Dental Group' });
  maria = await t.make.contact(riley, harbor.id, { name: 'Maria Lopez', email: 'maria.lopez@harbordental.test', roles: ['decision_maker'] });
  tom = await t.make.contact(riley, harbor.id, { name: 'Tom Baker', email: 'tom.baker@harbordental.test', roles: ['user'] });
  ({ as, api } = await sessionsAndClients(t, { riley, outsider }));
});
afterAll(() => t.close());

const meetings = async () => (await api.riley.get(`/accounts/${harbor.id}/meetings`).expect(200)).body.data;

describe('reading invitations', () => {
  it('honours an IANA TZID and a Windows TZID defined by the VTIMEZONE in the invitation', () => {
    const [google] = readInvitations(invitation('google-calendar-request.eml').toString().split('method=REQUEST')[1]!.split('\n\n').slice(1).join('\n\n').split('--000000000000gcalalt--')[0]!, 'UTC');
    expect(google).toMatchObject({ method: 'REQUEST', startsAt: '2026-12-10T13:30:00.000Z', endsAt: '2026-12-10T14:30:00.000Z', title: 'Coffee with Maria', location: 'Café Luna, 12 Harbor St', sequence: 0 });
    expect(google!.people.sort()).toEqual(['maria.lopez@harbordental.test', 'riley@seller.test']);
  });
});

describe('invitations become planned meetings', () => {
  it('an invitation with a contact among its attendees is a planned meeting on the account, not an email touchpoint', async () => {
    expect(await handleMessage(t.db, t.clock, riley, invitation('google-calendar-request.eml'))).toEqual({ kind: 'meetings', accountIds: [harbor.id] });
    expect(await handleMessage(t.db, t.clock, riley, invitation('outlook-request-windows-tzid.eml'))).toEqual({ kind: 'meetings', accountIds: [harbor.id] });
    expect(await meetings()).toEqual([
      { id: expect.any(Number), starts_at: '2026-12-10T13:30:00.000Z', ends_at: '2026-12-10T14:30:00.000Z', title: 'Coffee with Maria', location: 'Café Luna, 12 Harbor St', contact_ids: [maria.id], status: 'planned', outside_office: null },
      { id: expect.any(Number), starts_at: '2026-12-08T08:00:00.000Z', ends_at: '2026-12-08T09:00:00.000Z', title: 'Service review', location: 'Harbor Dental Group, meeting room 2', contact_ids: [maria.id, tom.id].sort((a, b) => a - b), status: 'planned', outside_office: null },
    ].map((meeting) => ({ ...meeting, contact_ids: expect.arrayContaining(meeting.contact_ids) })));
    expect(await t.db.selectFrom('touchpoints').select('id').execute()).toEqual([]);
    const page = await as.riley.agent.get(`/accounts/${harbor.id}`).expect(200);
    expect(page.text).toContain('Coffee with Maria</strong> planned for');
  });

  it('an update (same UID, higher SEQUENCE) moves it; an older version seen later changes nothing; a cancellation cancels', async () => {
    await handleMessage(t.db, t.clock, riley, invitation('google-calendar-update.eml'));
    const sameAgain = invitation('google-calendar-request.eml').toString().replace('gcal-coffee-1@google.com', 'gcal-coffee-1-again@google.com');
    expect(await handleMessage(t.db, t.clock, riley, Buffer.from(sameAgain))).toEqual({ kind: 'meetings', accountIds: [] });
    await handleMessage(t.db, t.clock, riley, invitation('outlook-cancel.eml'));
    const [coffee, service] = await meetings();
    expect(coffee).toMatchObject({ title: 'Coffee with Maria', starts_at: '2026-12-11T13:30:00.000Z', status: 'planned' });
    expect(service).toMatchObject({ title: 'Service review', status: 'cancelled' });
    expect((await api.riley.get(`/accounts/${harbor.id}/meetings?status=cancelled`).expect(200)).body.data).toHaveLength(1);
    await api.riley.get(`/accounts/${harbor.id}/meetings?status=someday`).expect(400);
  });

  it("another team's user is refused (404)", async () => {
    await api.outsider.get(`/accounts/${harbor.id}/meetings`).expect(404);
    const [coffee] = await meetings();
    expect((await as.outsider.submit('/settings', `/meetings/${coffee.id}/outside-office`, { outside_office: '1' })).status).toBe(404);
  });

  it('once past, a meeting not cancelled is held: a meeting touchpoint with the location text; outside the office only when the rep says so', async () => {
    t.clock.set('2026-12-12T15:00:00.000Z');
    const [coffee, service] = await meetings();
    expect(coffee).toMatchObject({ status: 'held' });
    expect(service).toMatchObject({ status: 'cancelled' });
    const [touchpoint] = (await api.riley.get(`/accounts/${harbor.id}/touchpoints`).expect(200)).body.data;
    expect(touchpoint).toMatchObject({ kind: 'meeting', location: 'customer_office', occurred_at: '2026-12-11T13:30:00.000Z', summary: 'Coffee with Maria', internal_notes: 'Location: Café Luna, 12 Harbor St', contact_ids: [maria.id] });
    // Not yet answered: the decision-maker clock does not move on a guess.
    expect((await api.riley.get(`/accounts/${harbor.id}/risk`).expect(200)).body.decision_maker_meeting.last_met_at).toBeNull();
    const page = await as.riley.agent.get(`/accounts/${harbor.id}`).expect(200);
    expect(page.text).toContain('Was it outside the office?');

    const answered = await as.riley.submit(`/accounts/${harbor.id}`, `/meetings/${coffee.id}/outside-office`, { outside_office: '1' });
    expect(answered.status).toBe(302);
    const [after] = (await api.riley.get(`/accounts/${harbor.id}/touchpoints`).expect(200)).body.data;
    expect(after.location).toBe('outside_office');
    expect((await api.riley.get(`/accounts/${harbor.id}/risk`).expect(200)).body.decision_maker_meeting.last_met_at).toBe('2026-12-11T13:30:00.000Z');
    // Held once, however often it is looked at.
    await meetings();
    expect((await api.riley.get(`/accounts/${harbor.id}/touchpoints`).expect(200)).body.data).toHaveLength(1);
  });
});
