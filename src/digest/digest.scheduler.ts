import { Cron } from 'croner';
import type { Logger } from 'pino';
import { type DeliveryContext, type DeliveryOutcome, deliverDigest } from './digest.delivery.js';
import { listDigestRecipients } from './digest.service.js';
import { isoWeekOf, sendMomentOf } from './iso-week.js';

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

/** One pass of the scheduler: two queries to find who is due, then one delivery attempt each. */
export async function runDigestTick(context: SchedulerContext): Promise<TickResult[]> {
  const now = context.clock.now();
  const due = (await listDigestRecipients(context.db))
    .filter((manager) => !manager.digest_opt_out)
    .map((manager) => ({ manager, week: isoWeekOf(now, manager.time_zone) }))
    .filter(({ manager, week }) => sendMomentOf(week, { day: manager.digest_day, hour: manager.digest_hour }).toMillis() <= now.getTime());
  if (due.length === 0) return [];

  const sent = await context.db
    .selectFrom('digest_deliveries')
    .select(['manager_id', 'iso_week'])
    .where('manager_id', 'in', due.map(({ manager }) => manager.id))
    .where('iso_week', 'in', [...new Set(due.map(({ week }) => week.id))])
    .where('status', '=', 'sent')
    .execute();
  const alreadySent = new Set(sent.map((row) => `${row.manager_id}/${row.iso_week}`));

  const results: TickResult[] = [];
  for (const { manager, week } of due) {
    if (alreadySent.has(`${manager.id}/${week.id}`)) continue;
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
