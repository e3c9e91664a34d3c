import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { type DeliveryContext, type DeliveryOutcome, deliverDigest } from './digest.delivery.js';
import { listDigestRecipients } from './digest.service.js';
import type { WeeklyEmailKind } from './digest.table.js';
import { type IsoWeek, isoWeekOf, sendMomentOf } from './iso-week.js';

// Every few minutes, each manager whose own local time is past their send moment this ISO week and
// who has no sent digest for it gets one. Checking "past", not "at", is what makes a server that
// was down at 07:00 catch up on its next start; the claim in digest.delivery keeps it to once.

export interface SchedulerContext extends DeliveryContext {
  logger: Logger;
}

export interface TickResult {
  manager_id: number;
  week: string;
  outcome: DeliveryOutcome;
}

/** When someone wants a kind of weekly email: ISO weekday and hour in their zone, or not at all. */
export interface WeeklySchedule {
  day: number;
  hour: number;
  opted_out: boolean;
}

/**
 * The recipients due a weekly email of this kind now: not opted out, past their send moment in
 * their own week, and not yet sent it (one query for the lot).
 */
export async function dueThisWeek<R extends { id: number; time_zone: string }>(
  db: Db,
  now: Date,
  kind: WeeklyEmailKind,
  recipients: R[],
  scheduleOf: (recipient: R) => WeeklySchedule,
): Promise<{ recipient: R; week: IsoWeek }[]> {
  const due = recipients
    .filter((recipient) => !scheduleOf(recipient).opted_out)
    .map((recipient) => ({ recipient, week: isoWeekOf(now, recipient.time_zone) }))
    .filter(({ recipient, week }) => sendMomentOf(week, scheduleOf(recipient)).toMillis() <= now.getTime());
  if (due.length === 0) return [];

  const sent = await db
    .selectFrom('digest_deliveries')
    .select(['manager_id', 'iso_week'])
    .where('kind', '=', kind)
    .where('manager_id', 'in', due.map(({ recipient }) => recipient.id))
    .where('iso_week', 'in', [...new Set(due.map(({ week }) => week.id))])
    .where('status', '=', 'sent')
    .execute();
  const alreadySent = new Set(sent.map((row) => `${row.manager_id}/${row.iso_week}`));
  return due.filter(({ recipient, week }) => !alreadySent.has(`${recipient.id}/${week.id}`));
}

/** One pass of the scheduler: two queries to find who is due, then one delivery attempt each. */
export async function runDigestTick(context: SchedulerContext): Promise<TickResult[]> {
  const due = await dueThisWeek(context.db, context.clock.now(), 'team_digest', await listDigestRecipients(context.db), (manager) => ({
    day: manager.digest_day,
    hour: manager.digest_hour,
    opted_out: Boolean(manager.digest_opt_out),
  }));
  const results: TickResult[] = [];
  for (const { recipient: manager, week } of due) {
    const outcome = await deliverDigest(context, manager, week.id, 'scheduled');
    if (outcome.status === 'sent') context.logger.info({ manager_id: manager.id, week: week.id }, 'weekly digest sent');
    if (outcome.status === 'failed') context.logger.warn({ manager_id: manager.id, week: week.id, error: outcome.error, next_attempt_at: outcome.next_attempt_at }, 'weekly digest failed');
    results.push({ manager_id: manager.id, week: week.id, outcome });
  }
  return results;
}

/**
 * Runs the tick every minute (a failed send is retried at its minute: 5, 15, 45 minutes later) and
 * once at start. Started by the server, not by createApp, so tests drive runDigestTick with their
 * own clock instead.
 */
export function startDigestScheduler(context: SchedulerContext, pattern = '* * * * *'): Cron {
  const job = new Cron(pattern, { protect: true, catch: (error) => context.logger.error({ err: error }, 'digest scheduler tick failed') }, async () => {
    await runDigestTick(context);
  });
  void job.trigger();
  return job;
}
