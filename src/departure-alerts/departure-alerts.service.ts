import path from 'node:path';
import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import type { Db, DbOrTx } from '../db/database.js';
import { contactRolesColumn, nextRecoveryStepColumn } from '../playbook/departure-columns.js';
import { type DeliveryContext, maxAttempts, retryDelayMinutes } from '../digest/digest.delivery.js';
import type { OutgoingMail } from '../mail/mailer.js';
import { label } from '../views/helpers/labels.js';
import { handlebars, viewsFolder } from '../views/setup.js';
import type { DepartureAlertReason } from './departure-alerts.table.js';

// A manager should not learn on Monday that a decision-maker left last Tuesday. Whatever records a
// key contact's departure (the contact form or API, the departure flow, a touchpoint's "heard they
// are leaving", and later a departure signal read from mail) writes one row here in its own
// transaction; a job that runs every minute sends each row once, to the account owner's manager.
// The row is the claim: of any number of processes, the one whose conditional update moves it to
// 'sending' sends it. Failures are retried with the digest's backoff; a send interrupted by a
// crash stays 'sending' and is not repeated (the mail may have gone out).

const keyRoles = ['decision_maker', 'boss'] as const;

/**
 * Queues the alert for a departure, once per event: a repeat of the same event key is a no-op, and a
 * contact who holds neither key role raises none. Call it in the transaction that records the change.
 */
export async function enqueueDepartureAlert(
  db: DbOrTx,
  clock: Clock,
  { contactId, reason, eventKey = `${reason}:${contactId}` }: { contactId: number; reason: DepartureAlertReason; eventKey?: string },
): Promise<void> {
  const contact = await db
    .selectFrom('contacts')
    .select(['id', 'account_id'])
    .where('id', '=', contactId)
    .where((eb) => eb.exists(eb.selectFrom('contact_roles').select('contact_roles.contact_id').whereRef('contact_roles.contact_id', '=', 'contacts.id').where('contact_roles.role', 'in', keyRoles)))
    .executeTakeFirst();
  if (!contact) return;
  await db
    .insertInto('departure_alerts')
    .values({ event_key: eventKey, contact_id: contact.id, account_id: contact.account_id, reason, next_attempt_at: null, last_error: null, recipient_id: null, subject: null, message_id: null, created_at: clock.now().toISOString(), attempted_at: null, sent_at: null })
    .onConflict((conflict) => conflict.column('event_key').doNothing())
    .execute();
}

export type AlertOutcome = { status: 'sent' | 'skipped' | 'failed' | 'taken'; detail?: string };

/** What the email says, read in one query. */
async function loadAlert(db: Db, alertId: number) {
  return db
    .selectFrom('departure_alerts')
    .innerJoin('contacts', 'contacts.id', 'departure_alerts.contact_id')
    .innerJoin('accounts', 'accounts.id', 'departure_alerts.account_id')
    .innerJoin('users as owners', 'owners.id', 'accounts.owner_id')
    .leftJoin('users as managers', 'managers.id', 'owners.manager_id')
    .leftJoin('contacts as successors', 'successors.id', 'contacts.replacement_contact_id')
    .select((eb) => [
      'departure_alerts.reason',
      'contacts.id as contact_id',
      'contacts.name as contact_name',
      'contacts.title as contact_title',
      'contacts.status',
      'contacts.leaving_on',
      'contacts.left_on',
      'contacts.departure_destination',
      'successors.name as successor_name',
      'accounts.id as account_id',
      'accounts.name as account_name',
      'owners.id as owner_id',
      'owners.name as owner_name',
      'owners.email as owner_email',
      'owners.active as owner_active',
      'owners.departure_alerts_opt_out as owner_opt_out',
      'managers.id as manager_id',
      'managers.name as manager_name',
      'managers.email as manager_email',
      'managers.active as manager_active',
      'managers.departure_alerts_opt_out',
      contactRolesColumn(db, eb),
      nextRecoveryStepColumn(eb, 'first_step'),
    ])
    .where('departure_alerts.id', '=', alertId)
    .executeTakeFirstOrThrow();
}

export type DepartureAlert = {
  subject: string;
  recipient_name: string;
  /** The alert went to the owner themselves: they have no active manager to tell. */
  to_owner: boolean;
  contact_name: string;
  contact_title: string | null;
  roles: string;
  account_name: string;
  owner_name: string;
  what: string;
  successor_name: string | null;
  destination: string | null;
  first_step: string | null;
  links: { account: string; departure: string; settings: string };
};

const render = (template: string, alert: DepartureAlert) => handlebars.render(path.join(viewsFolder, 'departure-alerts', template), alert);

type AlertRow = Awaited<ReturnType<typeof loadAlert>>;

/**
 * Who is told: the owner's manager. A signal read from mail is news to the owner too, so when they
 * have no active manager it goes to the owner; a departure someone recorded by hand, which the owner
 * sees on the account, is then not sent. A recipient who turned the alerts off gets none.
 */
function recipientOf(row: AlertRow): { id: number; name: string; email: string; toOwner: boolean } | { skipped: string; id: number | null } {
  const managerActive = row.manager_id !== null && row.manager_active === 1;
  if (managerActive) return row.departure_alerts_opt_out ? { skipped: 'The manager turned departure alerts off', id: row.manager_id } : { id: row.manager_id!, name: row.manager_name!, email: row.manager_email!, toOwner: false };
  const why = row.manager_id === null ? 'The account owner has no manager' : 'The manager is no longer active';
  if (row.reason !== 'signal') return { skipped: why, id: row.manager_id };
  if (row.owner_active !== 1) return { skipped: `${why}, and the owner is no longer active`, id: row.owner_id };
  if (row.owner_opt_out) return { skipped: `${why}, and the owner turned departure alerts off`, id: row.owner_id };
  return { id: row.owner_id, name: row.owner_name, email: row.owner_email, toOwner: true };
}

async function composeAlert(row: AlertRow, recipient: { name: string; email: string; toOwner: boolean }, baseUrl: string): Promise<OutgoingMail> {
  const roles = (row.roles ?? '').split(',').filter(Boolean).sort().map(label).join(', ');
  const day = (date: string | null) => (date ? DateTime.fromISO(date).toFormat('d LLL yyyy') : null);
  const what =
    row.reason === 'signal'
      ? 'may be leaving: a message from their mailbox says so'
      : row.status === 'left'
        ? `left${row.left_on ? ` on ${day(row.left_on)}` : ''}`
        : `is leaving${row.leaving_on ? ` on ${day(row.leaving_on)}` : ''}`;
  const alert: DepartureAlert = {
    subject: `${row.contact_name} (${roles || 'key contact'}) ${what.split(':')[0]} · ${row.account_name}`,
    recipient_name: recipient.name,
    to_owner: recipient.toOwner,
    contact_name: row.contact_name,
    contact_title: row.contact_title,
    roles,
    account_name: row.account_name,
    owner_name: row.owner_name,
    what,
    successor_name: row.successor_name,
    destination: row.departure_destination,
    first_step: row.first_step ?? null,
    links: { account: `${baseUrl}/accounts/${row.account_id}`, departure: `${baseUrl}/contacts/${row.contact_id}/departure`, settings: `${baseUrl}/settings` },
  };
  const [html, text] = await Promise.all([render('email-html.hbs', alert), render('email-text.hbs', alert)]);
  return { to: recipient.email, subject: alert.subject, html, text: `${text.replace(/\n{3,}/g, '\n\n').trim()}\n` };
}

/** Claims one alert (from the status and attempt count it was seen with), sends it and records the outcome. */
export async function deliverDepartureAlert({ db, clock, mailer, config }: DeliveryContext, seen: { id: number; status: string; attempts: number }): Promise<AlertOutcome> {
  const claimed = await db
    .updateTable('departure_alerts')
    .set({ status: 'sending', attempted_at: clock.now().toISOString() })
    .where('id', '=', seen.id)
    .where('status', '=', seen.status as 'pending' | 'failed')
    .where('attempts', '=', seen.attempts)
    .returning('id')
    .executeTakeFirst();
  if (!claimed) return { status: 'taken' };
  const attempts = seen.attempts + 1;
  try {
    const row = await loadAlert(db, seen.id);
    const recipient = recipientOf(row);
    if ('skipped' in recipient) {
      await db.updateTable('departure_alerts').set({ status: 'skipped', attempts, last_error: recipient.skipped, recipient_id: recipient.id }).where('id', '=', seen.id).execute();
      return { status: 'skipped', detail: recipient.skipped };
    }
    const mail = await composeAlert(row, recipient, config.baseUrl);
    const messageId = await mailer.send(mail);
    await db
      .updateTable('departure_alerts')
      .set({ status: 'sent', attempts, recipient_id: recipient.id, subject: mail.subject, message_id: messageId, sent_at: clock.now().toISOString(), last_error: null, next_attempt_at: null })
      .where('id', '=', seen.id)
      .execute();
    return { status: 'sent', detail: messageId };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    const nextAttemptAt = attempts < maxAttempts ? DateTime.fromJSDate(clock.now()).plus({ minutes: retryDelayMinutes(attempts) }).toUTC().toISO()! : null;
    await db.updateTable('departure_alerts').set({ status: 'failed', attempts, last_error: message, next_attempt_at: nextAttemptAt }).where('id', '=', seen.id).execute();
    return { status: 'failed', detail: message };
  }
}

/** One pass: every alert waiting to go (new, or failed and past its backoff), oldest first, a batch at a time. */
export async function runDepartureAlertTick(context: DeliveryContext): Promise<AlertOutcome[]> {
  const now = context.clock.now().toISOString();
  const due = await context.db
    .selectFrom('departure_alerts')
    .select(['id', 'status', 'attempts'])
    .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'failed'), eb('next_attempt_at', '<=', now)])]))
    .orderBy('id')
    .limit(100)
    .execute();
  const outcomes: AlertOutcome[] = [];
  for (const alert of due) outcomes.push(await deliverDepartureAlert(context, alert));
  return outcomes;
}

/** The settings page's choice. */
export async function departureAlertSettings(db: DbOrTx, userId: number) {
  return db.selectFrom('users').select('departure_alerts_opt_out').where('id', '=', userId).executeTakeFirstOrThrow();
}
