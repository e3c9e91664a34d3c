import { setTimeout as sleep } from 'node:timers/promises';
import type { Updateable } from 'kysely';
import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import type { Mailer, OutgoingMail } from '../mail/mailer.js';
import { getCompanyBranding } from '../company/company.service.js';
import { renderDigestEmail } from './digest.email.js';
import { type DigestRecipient, buildDigest, recordRiskSnapshot } from './digest.service.js';
import type { DigestDeliveriesTable, WeeklyEmailKind } from './digest.table.js';

// One email of each kind (the manager's team digest, the rep's week) per recipient per ISO week.
// The unique (kind, manager_id, iso_week) row is the claim: a
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

/** Takes the recipient's week for one attempt: exactly one of any number of racing processes gets it. */
async function claimWeek(db: Db, now: Date, kind: WeeklyEmailKind, managerId: number, week: string, mode: SendMode): Promise<Claim> {
  const at = now.toISOString();
  const inserted = await db
    .insertInto('digest_deliveries')
    .values({
      kind,
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
    .onConflict((conflict) => conflict.columns(['kind', 'manager_id', 'iso_week']).doNothing())
    .returning(['id', 'attempts'])
    .executeTakeFirst();
  if (inserted) return { claimed: true, ...inserted };

  const existing = await db
    .selectFrom('digest_deliveries')
    .select(['id', 'status', 'attempts', 'next_attempt_at', 'attempted_at'])
    .where('kind', '=', kind)
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
 *
 * Once the SMTP server has accepted the mail, nothing may make the week look failed (a failed week is
 * sent again): recording "sent" has its own retries, and if the database stays away through all of
 * them the row stays 'sending', which is never retried by itself.
 */
export function deliverDigest(context: DeliveryContext, manager: DigestRecipient, week: string, mode: SendMode): Promise<DeliveryOutcome> {
  return deliverWeeklyEmail(context, { kind: 'team_digest', recipientId: manager.id, week, mode }, async () => {
    const { digest, snapshot } = await buildDigest(context.db, manager, { week, now: context.clock.now(), baseUrl: context.config.baseUrl });
    await recordRiskSnapshot(context.db, week, snapshot, context.clock.now());
    return renderDigestEmail(digest, await getCompanyBranding(context.db));
  });
}

/** Claims one recipient's week for one kind of weekly email, composes and sends it, and records the outcome. */
export async function deliverWeeklyEmail(
  { db, clock, mailer }: DeliveryContext,
  { kind, recipientId, week, mode }: { kind: WeeklyEmailKind; recipientId: number; week: string; mode: SendMode },
  compose: () => Promise<OutgoingMail>,
): Promise<DeliveryOutcome> {
  const claim = await claimWeek(db, clock.now(), kind, recipientId, week, mode);
  if (!claim.claimed) return { status: 'skipped', reason: claim.reason };
  const attempts = claim.attempts + 1;
  let sent: { messageId: string; subject: string };
  try {
    const mail = await compose();
    sent = { messageId: await mailer.send(mail), subject: mail.subject };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    const nextAttemptAt = attempts < maxAttempts ? nextAttemptAfter(clock.now(), attempts) : null;
    await recordOutcome(db, claim.id, { status: 'failed', attempts, last_error: message, next_attempt_at: nextAttemptAt });
    return { status: 'failed', error: message, next_attempt_at: nextAttemptAt };
  }
  await recordOutcome(db, claim.id, { status: 'sent', attempts, subject: sent.subject, message_id: sent.messageId, sent_at: clock.now().toISOString(), last_error: null, next_attempt_at: null });
  return { status: 'sent', message_id: sent.messageId, subject: sent.subject };
}

/**
 * When a failed attempt is tried again: the backoff, at the start of its minute, so the scheduler's
 * tick at that minute takes it (5 minutes after a failure at 07:00:00.4 is 07:05, not 07:06).
 */
const nextAttemptAfter = (failedAt: Date, failures: number) =>
  DateTime.fromJSDate(failedAt).plus({ minutes: retryDelayMinutes(failures) }).startOf('minute').toUTC().toISO()!;

/** Pauses between tries to record an outcome while the database is busy or away: about a minute in all. */
const outcomeRecordingPausesMs = [1000, 2000, 4000, 8000, 16_000, 30_000];

/** Writes an attempt's outcome, trying again while the database is busy (SQLite's write lock) or unreachable. */
async function recordOutcome(db: Db, deliveryId: number, outcome: Updateable<DigestDeliveriesTable>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.updateTable('digest_deliveries').set(outcome).where('id', '=', deliveryId).execute();
      return;
    } catch (error) {
      const pause = outcomeRecordingPausesMs[attempt];
      if (pause === undefined || !isDatabaseUnavailable(error)) {
        throw new Error(`Could not record digest delivery ${deliveryId} as ${outcome.status}; it stays "sending" and is not sent again by itself: ${String(error)}`, { cause: error });
      }
      await sleep(pause);
    }
  }
}

/** The week's delivery row of one kind for a recipient, for the preview pages. */
export function findDelivery(db: Db, managerId: number, week: string, kind: WeeklyEmailKind = 'team_digest') {
  return db
    .selectFrom('digest_deliveries')
    .select(['status', 'attempts', 'last_error', 'next_attempt_at', 'sent_at', 'attempted_at'])
    .where('kind', '=', kind)
    .where('manager_id', '=', managerId)
    .where('iso_week', '=', week)
    .executeTakeFirst();
}

/** The admin's view: attempts that need a look (failed, or stuck sending), then every delivery, newest week first. */
export async function listDeliveries(db: Db, { page, perPage }: { page: number; perPage: number }) {
  const columns = [
    'digest_deliveries.id',
    'digest_deliveries.kind',
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
