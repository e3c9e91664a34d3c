import { type DeliveryContext, type DeliveryOutcome, type SendMode, deliverWeeklyEmail } from '../digest/digest.delivery.js';
import { type SchedulerContext, dueThisWeek } from '../digest/digest.scheduler.js';
import { recordRiskSnapshot } from '../digest/digest.service.js';
import { renderRepWeekEmail } from './rep-week.email.js';
import { type RepWeekRecipient, buildRepWeek, listRepWeekRecipients } from './rep-week.service.js';

// The rep's week rides on the digest's delivery machinery: the same once-a-week claim (kind
// 'rep_week'), the same retries and backoff, the same "past the send moment" catch-up.

/**
 * Claims, builds, sends and records one person's week. Their accounts' risk snapshot is kept on
 * the way (the first weekly email of the week to be sent writes it), so next week can say what got riskier.
 */
export function deliverRepWeek(context: DeliveryContext, recipient: RepWeekRecipient, week: string, mode: SendMode): Promise<DeliveryOutcome> {
  return deliverWeeklyEmail(context, { kind: 'rep_week', recipientId: recipient.id, week, mode }, async () => {
    const { repWeek, snapshot } = await buildRepWeek(context.db, recipient, { week, now: context.clock.now(), baseUrl: context.config.baseUrl });
    await recordRiskSnapshot(context.db, week, snapshot, context.clock.now());
    return renderRepWeekEmail(repWeek);
  });
}

/** One pass: who is past their send moment this week and has not had it, then one attempt each. */
export async function runRepWeekTick(context: SchedulerContext) {
  const recipients = await listRepWeekRecipients(context.db);
  const due = await dueThisWeek(context.db, context.clock.now(), 'rep_week', recipients, (recipient) => ({
    day: recipient.week_email_day,
    hour: recipient.week_email_hour,
    opted_out: Boolean(recipient.week_email_opt_out),
  }));
  const results: { user_id: number; week: string; outcome: DeliveryOutcome }[] = [];
  for (const { recipient, week } of due) {
    const outcome = await deliverRepWeek(context, recipient, week.id, 'scheduled');
    if (outcome.status === 'failed') context.logger.warn({ user_id: recipient.id, week: week.id, error: outcome.error, next_attempt_at: outcome.next_attempt_at }, "rep's week failed");
    results.push({ user_id: recipient.id, week: week.id, outcome });
  }
  return results;
}
