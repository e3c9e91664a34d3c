import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverDigest } from '../../src/digest/digest.delivery.js';
import { findDigestRecipient } from '../../src/digest/digest.service.js';
import { runDigestTick } from '../../src/digest/digest.scheduler.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { baseUrl, coveredAccount, deliveryContext, startSmtpServer } from './digest-fixtures.js';

// Monday 23 November 2026, 14:00 UTC: past 07:00 for managers in UTC, so their digest is due.

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  t = await createTestApp();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  await t.close();
});
beforeEach(() => {
  smtp.received.length = 0;
  t.clock.set('2026-11-23T14:00:00Z');
});

/** A manager with a rep and two accounts: one critical, one fine. */
async function team(name: string) {
  const manager = await t.make.user({ role: 'manager', name: `${name} Manager`, email: `${name.toLowerCase()}@example.com` });
  const rep = await t.make.user({ name: `${name} Rep`, manager });
  const critical = await t.make.account(rep, { name: `${name} Unknowns`, openedDaysAgo: 60 });
  await coveredAccount(t, rep, `${name} Covered`);
  return { manager, rep, critical };
}

const deliveriesOf = (manager: CurrentUser) => t.db.selectFrom('digest_deliveries').selectAll().where('manager_id', '=', manager.id).execute();
const messagesTo = (manager: CurrentUser) => smtp.received.filter((mail) => mail.to && !Array.isArray(mail.to) && mail.to.text === manager.email);

describe('delivery over SMTP', () => {
  it('arrives with HTML and text parts, the right headers and links that open the accounts', async () => {
    const { manager, critical } = await team('Alder');
    const outcome = await deliverDigest(deliveryContext(t, smtp.mailer()), await findDigestRecipient(t.db, manager, manager.id), '2026-W48', 'scheduled');
    expect(outcome.status).toBe('sent');

    const [mail] = messagesTo(manager);
    expect(mail).toBeDefined();
    expect(mail!.from?.value).toEqual([{ name: 'Buychain', address: 'digest@buychain.test' }]);
    expect(mail!.to).toMatchObject({ value: [{ address: manager.email }] });
    expect(mail!.subject).toBe('Team risk digest 2026-W48 (23–29 Nov 2026): 1 account at risk');
    expect(mail!.text).toContain('Alder Unknowns — Critical (100), owner Alder Rep');
    expect(mail!.html).toContain('Alder Unknowns</a>');

    const links = [...(mail!.html as string).matchAll(/href="([^"]+)"/g)].map(([, href]) => href!.replace(/&amp;/g, '&'));
    expect(links).toContain(`${baseUrl}/accounts/${critical.id}`);
    expect(links.every((link) => link.startsWith(`${baseUrl}/`))).toBe(true);
    const session = await signIn(t.app, manager);
    for (const link of new Set(links)) {
      const response = await session.agent.get(link.slice(baseUrl.length));
      expect(response.status, link).toBe(200);
    }

    const [row] = await deliveriesOf(manager);
    expect(row).toMatchObject({ iso_week: '2026-W48', status: 'sent', attempts: 1, subject: mail!.subject, message_id: mail!.messageId, sent_at: '2026-11-23T14:00:00.000Z' });
    // The week's risk snapshot was kept for next week's comparison.
    const snapshot = await t.db.selectFrom('risk_snapshots').select(['level']).where('account_id', '=', critical.id).where('iso_week', '=', '2026-W48').executeTakeFirst();
    expect(snapshot).toEqual({ level: 'critical' });
  });

  it('records a refused attempt, retries it after the backoff, and then delivers once', async () => {
    const { manager } = await team('Birch');
    const mailer = smtp.mailer();
    smtp.refuseNext(1);

    const first = await runDigestTick(deliveryContext(t, mailer));
    expect(first.find((result) => result.manager_id === manager.id)?.outcome).toMatchObject({ status: 'failed', next_attempt_at: '2026-11-23T14:05:00.000Z' });
    let [row] = await deliveriesOf(manager);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, sent_at: null, message_id: null, next_attempt_at: '2026-11-23T14:05:00.000Z' });
    expect(row!.last_error).toMatch(/Mailbox temporarily unavailable/);
    expect(messagesTo(manager)).toHaveLength(0);

    // Before the backoff is over, nothing is tried.
    t.clock.set('2026-11-23T14:03:00Z');
    const waiting = await runDigestTick(deliveryContext(t, mailer));
    expect(waiting.find((result) => result.manager_id === manager.id)?.outcome).toEqual({ status: 'skipped', reason: 'waiting_to_retry' });
    expect((await deliveriesOf(manager))[0]!.attempts).toBe(1);

    t.clock.set('2026-11-23T14:05:00Z');
    await runDigestTick(deliveryContext(t, mailer));
    [row] = await deliveriesOf(manager);
    expect(row).toMatchObject({ status: 'sent', attempts: 2, last_error: null, next_attempt_at: null, sent_at: '2026-11-23T14:05:00.000Z' });
    expect(messagesTo(manager)).toHaveLength(1);

    t.clock.set('2026-11-23T15:00:00Z');
    await runDigestTick(deliveryContext(t, mailer));
    expect(messagesTo(manager)).toHaveLength(1);
  });
});

describe('exactly once a week', () => {
  it('sends one message per manager when two schedulers on separate connections tick at the same moment, and none after a restart', async () => {
    const managers = [(await team('Cedar')).manager, (await team('Dogwood')).manager, (await team('Elm')).manager];
    const processA = t.reconnect();
    const processB = t.reconnect();
    try {
      await Promise.all([runDigestTick(deliveryContext(t, smtp.mailer(), processA)), runDigestTick(deliveryContext(t, smtp.mailer(), processB))]);
      for (const manager of managers) {
        expect(messagesTo(manager), manager.email).toHaveLength(1);
        expect(await deliveriesOf(manager)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
      }
      const sentSoFar = smtp.received.length;

      // A restart later that Monday: a fresh process, a new tick, nothing more is sent.
      const restarted = t.reconnect();
      t.clock.set('2026-11-23T18:00:00Z');
      await runDigestTick(deliveryContext(t, smtp.mailer(), restarted));
      await restarted.destroy();
      expect(smtp.received).toHaveLength(sentSoFar);
    } finally {
      await processA.destroy();
      await processB.destroy();
    }
  });

  it('the Send-now path and the CLI path respect a sent week; only force resends it', async () => {
    const { manager } = await team('Fir');
    const recipient = await findDigestRecipient(t.db, manager, manager.id);
    const context = deliveryContext(t, smtp.mailer());
    expect((await deliverDigest(context, recipient, '2026-W48', 'now')).status).toBe('sent');
    expect(await deliverDigest(context, recipient, '2026-W48', 'now')).toEqual({ status: 'skipped', reason: 'already_sent' });
    expect(await deliverDigest(context, recipient, '2026-W48', 'scheduled')).toEqual({ status: 'skipped', reason: 'already_sent' });
    expect((await deliverDigest(context, recipient, '2026-W48', 'force')).status).toBe('sent');
    expect(messagesTo(manager)).toHaveLength(2);
    expect(await deliveriesOf(manager)).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
  });
});
