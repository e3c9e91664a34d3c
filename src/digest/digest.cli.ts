import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock } from '../clock.js';
import { type Config, linkBaseUrl } from '../config.js';
import { getCompanyBranding, recordedServerBaseUrl } from '../company/company.service.js';
import type { Db } from '../db/database.js';
import { ValidationFailed } from '../http/errors.js';
import { createMailer } from '../mail/mailer.js';
import { type DeliveryOutcome, deliverDigest } from './digest.delivery.js';
import { renderDigestEmail } from './digest.email.js';
import { buildAllDigests, chooseDigestRecipients, digestWeek } from './digest.service.js';

const describe = (outcome: DeliveryOutcome) =>
  outcome.status === 'sent'
    ? `sent (${outcome.message_id})`
    : outcome.status === 'failed'
      ? `failed: ${outcome.error}`
      : `not sent: ${outcome.reason.replace(/_/g, ' ')}`;

/**
 * `digest --week 2026-W48 --dry-run` prints, for each manager, the address and then the plain
 * text; `--send` sends now, still once per manager and week unless `--force`. Without --week, each
 * manager's current week in their time zone. Managers who opted out are skipped unless named.
 */
export async function digestCommand(db: Db, clock: Clock, environment: Config, args: string[], print: (text: string) => void = console.log, warn: (text: string) => void = console.error) {
  const { values } = parseArgs({
    args,
    options: { week: { type: 'string' }, 'dry-run': { type: 'boolean' }, send: { type: 'boolean' }, force: { type: 'boolean' }, manager: { type: 'string' } },
  });
  if (values['dry-run'] === values.send) throw new ValidationFailed({ mode: 'digest needs either --dry-run or --send' });
  if (values.force && !values.send) throw new ValidationFailed({ force: '--force goes with --send' });

  const announced = await recordedServerBaseUrl(db);
  const config = { ...environment, baseUrl: linkBaseUrl(environment, announced) };
  if (!environment.baseUrlFromEnvironment)
    warn(`Links point to ${config.baseUrl} (${announced ? 'where the server said it listens at its last start' : 'no server has started on this database yet'}); set BASE_URL to choose.`);

  if (values['dry-run']) {
    const digests = await buildAllDigests(db, { week: values.week, now: clock.now(), baseUrl: config.baseUrl, managerEmail: values.manager });
    if (digests.length === 0) print('No manager to send a digest to.');
    const branding = await getCompanyBranding(db);
    for (const { manager, digest } of digests) {
      const email = await renderDigestEmail(digest, branding);
      print(`To: ${manager.name} <${email.to}>\nSubject: ${email.subject}\n\n${email.text}`);
    }
    return;
  }

  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxFolder: path.resolve('data/outbox') });
  const recipients = await chooseDigestRecipients(db, values.manager);
  if (recipients.length === 0) print('No manager to send a digest to.');
  for (const manager of recipients) {
    const week = digestWeek(manager, values.week, clock.now()).id;
    const outcome = await deliverDigest({ db, clock, mailer, config }, manager, week, values.force ? 'force' : 'now');
    print(`${manager.email} ${week}: ${describe(outcome)}`);
  }
}
