import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { openSuggestionsForAccount } from './contact-suggestions.service.js';
import { openSignalsForAccount } from './departure-signals.service.js';
import { holdPastMeetings, listMeetings } from './meetings.service.js';

/**
 * What mail capture found on an account (already authorized) for its page: departure signals and
 * suggested people waiting for a decision, meetings planned from invitations, and held meetings
 * still waiting for the rep's "was it outside the office?". Past meetings are held first.
 */
export async function mailFindingsForAccount(db: Db, clock: Clock, accountId: number) {
  // Most views find nothing to hold: look first, so a page view opens no write transaction.
  const pastMeeting = await db
    .selectFrom('planned_meetings')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'planned')
    .where('ends_at', '<=', clock.now().toISOString())
    .limit(1)
    .executeTakeFirst();
  if (pastMeeting) await db.transaction().execute((trx) => holdPastMeetings(trx, clock, { accountId }));
  const firstPage = { page: 1, perPage: 10 };
  const [departureSignals, suggestions, planned, held] = await Promise.all([
    openSignalsForAccount(db, accountId),
    openSuggestionsForAccount(db, accountId),
    listMeetings(db, accountId, firstPage, { status: 'planned' }),
    listMeetings(db, accountId, firstPage, { status: 'held' }),
  ]);
  return { departureSignals, suggestions, plannedMeetings: planned.rows, unansweredMeetings: held.rows.filter((meeting) => meeting.outside_office === null) };
}
