import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueueDepartureAlert, runDepartureAlertTick } from '../../src/departure-alerts/departure-alerts.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { baseUrl, deliveryContext, startSmtpServer } from '../digest/digest-fixtures.js';
import { type ApiClient, apiClient, postForm } from '../support/scenarios.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

// Monday 23 November 2026, 14:00 UTC. Alerts go through a real SMTP server.

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ mailer: smtp.mailer() });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});
beforeEach(() => {
  smtp.received.length = 0;
  t.clock.set('2026-11-23T14:00:00Z');
});

const messagesTo = (user: CurrentUser) => smtp.received.filter((mail) => mail.to && !Array.isArray(mail.to) && mail.to.text === user.email);
const alertsFor = (contactId: number) => t.db.selectFrom('departure_alerts').selectAll().where('contact_id', '=', contactId).orderBy('id').execute();

/** A team whose rep owns an account with a decision-maker, their boss and a user. */
async function accountWithChain(name: string) {
  const { manager, rep } = await t.make.team(name);
  const api: ApiClient = apiClient(t.app, await t.make.apiToken(rep));
  const account = await t.make.account(rep, { name: `${name} Dental` });
  const boss = await t.make.contact(rep, account.id, { name: `${name} Boss`, roles: ['boss'] });
  const decider = await t.make.contact(rep, account.id, { name: `${name} Decider`, title: 'Office manager', roles: ['decision_maker'], reports_to_contact_id: boss.id });
  const user = await t.make.contact(rep, account.id, { name: `${name} User`, roles: ['user'] });
  return { manager, rep, api, account, boss, decider, user };
}

describe('the alert when a key contact leaves', () => {
  it('reaches the owner’s manager once, even with two processes ticking at once, naming the account, person and first step', async () => {
    const { manager, rep, api, account, decider } = await accountWithChain('Alder');
    expect((await api.patch(`/contacts/${decider.id}`, { status: 'leaving', leaving_on: '2026-12-18', notice: 'told_in_advance' })).status).toBe(200);
    expect(await alertsFor(decider.id)).toEqual([expect.objectContaining({ event_key: `leaving:${decider.id}`, status: 'pending', account_id: account.id })]);

    const processA = t.reconnect();
    const processB = t.reconnect();
    try {
      t.clock.set('2026-11-23T14:01:00Z');
      await Promise.all([runDepartureAlertTick(deliveryContext(t, smtp.mailer(), processA)), runDepartureAlertTick(deliveryContext(t, smtp.mailer(), processB))]);
      await runDepartureAlertTick(deliveryContext(t, smtp.mailer(), processB));
    } finally {
      await processA.destroy();
      await processB.destroy();
    }
    const [mail] = messagesTo(manager);
    expect(messagesTo(manager)).toHaveLength(1);
    expect(messagesTo(rep)).toHaveLength(0);
    expect(mail!.subject).toBe('Alder Decider (Decision-maker) is leaving on 18 Dec 2026 · Alder Dental');
    expect(mail!.text).toContain('Alder Decider, Office manager (Decision-maker) at Alder Dental is leaving on 18 Dec 2026.');
    expect(mail!.text).toContain('No successor named yet.');
    expect(mail!.text).toContain('First step of the recovery playbook: Ask Alder Decider to introduce you to their successor');
    expect(mail!.text).toContain(`${baseUrl}/contacts/${decider.id}/departure`);
    expect(mail!.html).toContain('Alder Dental');
    expect(await alertsFor(decider.id)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1, recipient_id: manager.id, message_id: mail!.messageId, sent_at: '2026-11-23T14:01:00.000Z' })]);

    // Saying it again is the same event: no second alert.
    expect((await api.patch(`/contacts/${decider.id}`, { status: 'leaving', leaving_on: '2026-12-19' })).status).toBe(200);
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(manager)).toHaveLength(1);
  });

  it('comes from the departure flow too, naming the successor, once however often the departure is posted', async () => {
    const { manager, api, boss, user } = await accountWithChain('Birch');
    const body = { left_on: '2026-11-20', notice: 'surprise', replacement_contact_id: user.id };
    expect((await api.post(`/contacts/${boss.id}/departure`, body)).status).toBe(200);
    expect((await api.post(`/contacts/${boss.id}/departure`, { ...body, destination: 'Rival Corp' })).status).toBe(200);
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    const [mail] = messagesTo(manager);
    expect(messagesTo(manager)).toHaveLength(1);
    expect(mail!.subject).toBe("Birch Boss (Decision-maker's boss) left on 20 Nov 2026 · Birch Dental");
    expect(mail!.text).toContain('Successor: Birch User');
    expect(mail!.text).toContain('Going to Rival Corp.');
    expect(mail!.text).toMatch(/First step of the recovery playbook: Introduce yourself to Birch User/);
  });

  it('comes from a touchpoint’s “heard they are leaving”, and never for someone outside the decision chain', async () => {
    const { manager, api, account, decider, user } = await accountWithChain('Cedar');
    const logged = await api.post(`/accounts/${account.id}/touchpoints`, {
      contact_ids: [decider.id, user.id],
      kind: 'meeting',
      location: 'customer_office',
      contact_updates: [
        { contact_id: decider.id, status: 'leaving', leaving_on: '2027-01-15', notice: 'told_in_advance' },
        { contact_id: user.id, status: 'leaving', leaving_on: '2027-01-15' },
      ],
    });
    expect(logged.status).toBe(201);
    expect(await alertsFor(user.id)).toEqual([]);
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(manager).map((mail) => mail.subject)).toEqual(['Cedar Decider (Decision-maker) is leaving on 15 Jan 2027 · Cedar Dental']);
  });

  it('is retried after a refused send, and skipped for a manager who turned alerts off in Settings', async () => {
    const first = await accountWithChain('Dogwood');
    await first.api.patch(`/contacts/${first.boss.id}`, { status: 'leaving', leaving_on: '2026-12-30' });
    smtp.refuseNext(1);
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(await alertsFor(first.boss.id)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, next_attempt_at: '2026-11-23T14:05:00.000Z' })]);
    t.clock.set('2026-11-23T14:05:00Z');
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(first.manager)).toHaveLength(1);

    const second = await accountWithChain('Elm');
    const session = await signIn(t.app, second.manager);
    expect((await postForm(session, '/settings', { name: second.manager.name, time_zone: 'UTC', departure_alerts_opt_out: '1' })).status).toBe(302);
    await second.api.patch(`/contacts/${second.decider.id}`, { status: 'leaving' });
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(second.manager)).toHaveLength(0);
    expect(await alertsFor(second.decider.id)).toEqual([expect.objectContaining({ status: 'skipped', last_error: 'The manager turned departure alerts off' })]);
  });

  it('takes any future signal through the same outbox, once per signal', async () => {
    const { manager, decider } = await accountWithChain('Fir');
    for (let i = 0; i < 2; i++) await enqueueDepartureAlert(t.db, t.clock, { contactId: decider.id, reason: 'signal', eventKey: 'signal:auto-reply-1' });
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(manager).map((mail) => mail.subject)).toEqual(['Fir Decider (Decision-maker) may be leaving · Fir Dental']);
  });
});
