import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Mailer } from '../mail/mailer.js';
import { getCompanyBranding } from '../company/company.service.js';
import { renderDigestEmail } from './digest.email.js';
import { type DigestRecipient, buildDigest, recordRiskSnapshot } from './digest.service.js';

// One digest per manager per ISO week. The unique (manager_id, iso_week) row is the claim: a
// process inserts it as 'sending' before it sends, and a process that cannot insert it does not
// send. A failed attempt becomes 'failed' with the error and when to retry; only a send the SMTP
// server accepted becomes 'sent'. A process that dies mid-attempt leaves 'sending': it is never
// retried by itself (the mail may have gone out), and `digest --send --force` resends it.

/**
 * How eagerly to take the week: the scheduler waits for a failed attempt's backoff; "now" (the
 * Send-now button, the CLI) retries a failure at once; "force" resends even a sent week.
 */
export type SendMode = 'scheduled' | 'now' | 'force';

export const maxAttempts = 8;
/** Minutes before attempt n+1 after n failures: 5, 15, 45, … at most six hours. */
export const retryDelayMinutes = (failures: number) => Math.min(5 * 3 ** (failures - 1), 360);
/** A forced resend leaves alone an attempt started this recently: it is probably still sending. */
const inFlightMinutes = 10;

export type DeliveryOutcome =
  | { status: 'sent'; message_id: string; subject: string }
  | { status: 'failed'; error: string; next_attempt_at: string | null }
  | { status: 'skipped'; reason: 'already_sent' | 'in_progress' | 'waiting_to_retry' | 'gave_up' };

type Claim = { claimed: true; id: number; attempts: number } | { claimed: false; reason: Extract<DeliveryOutcome, { status: 'skipped' }>['reason'] };

/** Takes the manager's week for one attempt: exactly one of any number of racing processes gets it. */
async function claimWeek(db: Db, now: Date, managerId: number, week: string, mode: SendMode): Promise<Claim> {
  const at = now.toISOString();
  const inserted = await db
    .insertInto('digest_deliveries')
    .values({
      manager_id: managerId,
      iso_week: week,
      status: 'sending',
      last_error: null,
      next_attempt_at: null,
      subject: null,
      message_id: null,
      sent_at: null,
      attempted_at: at,
      created_at: at,
    })
    .onConflict((conflict) => conflict.columns(['manager_id', 'iso_week']).doNothing())
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  if (inserted) return { claimed: true, ...inserted };

  const existing = await db
    .selectFrom('digest_deliveries')
    .select(['id', 'status', 'attempts', 'next_attempt_at', 'attempted_at'])
    .where('manager_id', '=', managerId)
    .where('iso_week', '=', week)
    .executeTakeFirstOrThrow();
  // The update's WHERE re-checks the row, so of two processes retrying the same failure one wins.
  const retaken = await db
    .updateTable('digest_deliveries')
    .set({ status: 'sending', attempted_at: at })
    .where('id', '=', existing.id)
    .where((eb) => {
      const failed = eb('status', '=', 'failed');
      if (mode === 'scheduled') return eb.and([failed, eb('attempts', '<', maxAttempts), eb('next_attempt_at', '<=', at)]);
      if (mode === 'now') return failed;
      const inFlightSince = DateTime.fromJSDate(now).minus({ minutes: inFlightMinutes }).toUTC().toISO()!;
      return eb.or([eb('status', '!=', 'sending'), eb('attempted_at', '<', inFlightSince)]);
    })
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  if (retaken) return { claimed: true, ...retaken };
  const reason =
    existing.status === 'sent' ? 'already_sent' : existing.status === 'sending' ? 'in_progress' : existing.attempts >= maxAttempts ? 'gave_up' : 'waiting_to_retry';
  return { claimed: false, reason };
}

/** What sending needs; the app's context has all of it. */
export interface DeliveryContext {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  config: Pick<Config, 'baseUrl'>;
}

/**
 * Claims, builds, sends and records one manager's digest for one week. The week's risk snapshot is
 * written on the way (first digest of the week wins), so next week can say what changed.
 */
export async function deliverDigest({ db, clock, mailer, config }: DeliveryContext, manager: DigestRecipient, week: string, mode: SendMode): Promise<DeliveryOutcome> {
  const claim = await claimWeek(db, clock.now(), manager.id, week, mode);
  if (!claim.claimed) return { status: 'skipped', reason: claim.reason };
  const attempts = claim.attempts + 1;
  try {
    const { digest, snapshot } = await buildDigest(db, manager, { week, now: clock.now(), baseUrl: config.baseUrl });
    await recordRiskSnapshot(db, week, snapshot, clock.now());
    const mail = await renderDigestEmail(digest, await getCompanyBranding(db));
    const messageId = await mailer.send(mail);
    await db
      .updateTable('digest_deliveries')
      .set({ status: 'sent', attempts, subject: mail.subject, message_id: messageId, sent_at: clock.now().toISOString(), last_error: null, next_attempt_at: null })
      .where('id', '=', claim.id)
      .execute();
    return { status: 'sent', message_id: messageId, subject: mail.subject };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    const nextAttemptAt = attempts < maxAttempts ? DateTime.fromJSDate(clock.now()).plus({ minutes: retryDelayMinutes(attempts) }).toUTC().toISO()! : null;
    await db
      .updateTable('digest_deliveries')
      .set({ status: 'failed', attempts, last_error: message, next_attempt_at: nextAttemptAt })
      .where('id', '=', claim.id)
      .execute();
    return { status: 'failed', error: message, next_attempt_at: nextAttemptAt };
  }
}

/** The week's delivery row for a manager, for the preview page. */
export function findDelivery(db: Db, managerId: number, week: string) {
  return db
    .selectFrom('digest_deliveries')
    .select(['status', 'attempts', 'last_error', 'next_attempt_at', 'sent_at', 'attempted_at'])
    .where('manager_id', '=', managerId)
    .where('iso_week', '=', week)
    .executeTakeFirst();
}

/** The admin's view: attempts that need a look (failed, or stuck sending), then every delivery, newest week first. */
export async function listDeliveries(db: Db, { page, perPage }: { page: number; perPage: number }) {
  const columns = [
    'digest_deliveries.id',
    'digest_deliveries.iso_week',
    'digest_deliveries.status',
    'digest_deliveries.attempts',
    'digest_deliveries.last_error',
    'digest_deliveries.next_attempt_at',
    'digest_deliveries.sent_at',
    'digest_deliveries.attempted_at',
    'digest_deliveries.subject',
    'digest_deliveries.message_id',
    'users.id as manager_id',
    'users.name as manager_name',
    'users.email as manager_email',
  ] as const;
  const withManager = () => db.selectFrom('digest_deliveries').innerJoin('users', 'users.id', 'digest_deliveries.manager_id');
  const [problems, rows, count] = await Promise.all([
    withManager().select(columns).where('digest_deliveries.status', 'in', ['failed', 'sending']).orderBy('digest_deliveries.iso_week', 'desc').orderBy('users.name').limit(100).execute(),
    withManager()
      .select(columns)
      .orderBy('digest_deliveries.iso_week', 'desc')
      .orderBy('users.name')
      .limit(perPage)
      .offset((page - 1) * perPage)
      .execute(),
    db.selectFrom('digest_deliveries').select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { problems, rows, total: Number(count.total) };
}
