import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { enqueueDepartureAlert, runDepartureAlertTick } from '../../src/departure-alerts/departure-alerts.service.js';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
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

  it('comes from a departure signal read from mail, once per signal; confirming the signal sends no second alert', async () => {
    const { manager, rep, api, account } = await accountWithChain('Gum');
    const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', email: 'maria.lopez@harbordental.test', roles: ['decision_maker'] });
    const autoReply = readFileSync(path.join(import.meta.dirname, '..', 'mail-in', 'fixtures', 'corpus', 'departure-exchange-online-en.eml'));
    expect(await handleMessage(t.db, t.clock, rep, autoReply)).toMatchObject({ kind: 'departure_signals' });
    // Seen again (the same message through another path): the same signal, no second alert.
    expect(await handleMessage(t.db, t.clock, rep, autoReply)).toEqual({ kind: 'duplicate' });
    const [signal] = await t.db.selectFrom('departure_signals').select('id').where('contact_id', '=', maria.id).execute();
    expect(await alertsFor(maria.id)).toEqual([expect.objectContaining({ event_key: `signal:${signal!.id}`, reason: 'signal', status: 'pending' })]);
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(manager).map((mail) => mail.subject)).toEqual(['Maria Lopez (Decision-maker) may be leaving · Gum Dental']);
    expect(messagesTo(manager)[0]!.text).toContain('You get this because you manage Gum Rep.');

    expect((await api.post(`/departure-signals/${signal!.id}/confirm`, {})).status).toBe(200);
    expect((await t.db.selectFrom('contacts').select('status').where('id', '=', maria.id).executeTakeFirstOrThrow()).status).toBe('left');
    expect(await alertsFor(maria.id)).toHaveLength(1);
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    expect(messagesTo(manager)).toHaveLength(1);
  });

  it('goes to the owner when they have no manager, for a signal only: a departure someone recorded is theirs already', async () => {
    const owner = await t.make.user({ role: 'manager', name: 'Hazel Owner' });
    const api = apiClient(t.app, await t.make.apiToken(owner));
    const account = await t.make.account(owner, { name: 'Hazel Dental' });
    const tom = await t.make.contact(owner, account.id, { name: 'Tom Baker', email: 'tom.baker@harbordental.test', roles: ['boss'] });
    const decider = await t.make.contact(owner, account.id, { name: 'Hazel Decider', roles: ['decision_maker'] });
    const bounce = readFileSync(path.join(import.meta.dirname, '..', 'mail-in', 'fixtures', 'corpus', 'departure-postfix-bounce-5.1.1.eml'));
    expect(await handleMessage(t.db, t.clock, owner, bounce)).toMatchObject({ kind: 'departure_signals' });
    await api.patch(`/contacts/${decider.id}`, { status: 'leaving', leaving_on: '2026-12-30' });
    await runDepartureAlertTick(deliveryContext(t, smtp.mailer()));
    const mails = messagesTo(owner);
    expect(mails.map((mail) => mail.subject)).toEqual(["Tom Baker (Decision-maker's boss) may be leaving · Hazel Dental"]);
    expect(mails[0]!.text).toContain('You get this because you own this account and have no manager in Buychain.');
    expect(await alertsFor(tom.id)).toEqual([expect.objectContaining({ status: 'sent', recipient_id: owner.id })]);
    expect(await alertsFor(decider.id)).toEqual([expect.objectContaining({ status: 'skipped', last_error: 'The account owner has no manager' })]);
  });
});
