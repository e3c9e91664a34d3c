import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { createMailer } from '../../src/mail/mailer.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import type { TestApp } from '../support/test-app.js';

/** The BASE_URL createTestApp configures: every link in a digest starts with it. */
export const baseUrl = 'http://buychain.test';
export const silentLogger = pino({ level: 'silent' });

/**
 * A real SMTP server on a free port. `refuse` recipients are turned away at RCPT TO that many times
 * in a row (a refused recipient, or a server having a bad moment).
 */
export async function startSmtpServer() {
  const received: ParsedMail[] = [];
  let refusals = 0;
  let beforeAccepting: (() => Promise<void>) | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refusals > 0) {
        refusals -= 1;
        return callback(Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 450 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          received.push(mail);
          const hook = beforeAccepting;
          beforeAccepting = undefined;
          await hook?.();
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const url = `smtp://127.0.0.1:${port}/?ignoreTLS=true`;
  return {
    url,
    received,
    refuseNext(times: number) {
      refusals = times;
    },
    /** Runs `hook` once, for the next message, after reading it and just before answering that it is accepted. */
    beforeAcceptingNext(hook: () => Promise<void>) {
      beforeAccepting = hook;
    },
    /** The app's own mailer, configured with SMTP_URL pointing here. */
    mailer: () => createMailer({ smtpUrl: url, from: 'Buychain <digest@buychain.test>', outboxFolder: '/nonexistent' }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the scheduler and delivery need, on a given database connection. */
export const deliveryContext = (t: TestApp, mailer: ReturnType<typeof createMailer>, db = t.db) => ({
  db,
  clock: t.clock,
  mailer,
  config: { baseUrl },
  logger: silentLogger,
});

/**
 * An account whose buying chain is covered and warm: a decision-maker met for coffee outside the
 * office a week ago, their boss, a user and an influencer. It scores 0 (ok).
 */
export async function coveredAccount(t: TestApp, rep: CurrentUser, name: string, { lastCoffee = '2026-11-16T12:30:00Z' } = {}) {
  const account = await t.make.account(rep, { name });
  const boss = await t.make.contact(rep, account.id, { name: `${name} Boss`, roles: ['boss'] });
  const decisionMaker = await t.make.contact(rep, account.id, { name: `${name} Decider`, roles: ['decision_maker'], reports_to_contact_id: boss.id });
  const user = await t.make.contact(rep, account.id, { name: `${name} User`, roles: ['user', 'influencer'] });
  await t.make.touchpoint(rep, account.id, { contact_ids: [decisionMaker.id], kind: 'coffee', location: 'outside_office', occurred_at: lastCoffee });
  await t.make.touchpoint(rep, account.id, { contact_ids: [user.id], kind: 'call', location: 'phone', occurred_at: '2026-11-18T15:00:00Z' });
  return { account, boss, decisionMaker, user };
}
