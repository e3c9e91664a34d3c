import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { isOneOf } from '../db/dialect.js';
import { faceToFaceKinds } from './touchpoints.table.js';

/** A contact's summary columns, worked out from its participant rows. */
function contactSummaries() {
  const face = sql.join(faceToFaceKinds.map((kind) => sql`${kind}`));
  return {
    last_touch_at: sql<string | null>`(select max(tc.occurred_at) from touchpoint_contacts tc where tc.contact_id = contacts.id)`,
    last_outside_meeting_at: sql<string | null>`(select max(tc.occurred_at) from touchpoint_contacts tc
      where tc.contact_id = contacts.id and tc.location = 'outside_office' and tc.kind in (${face}))`,
    touchpoint_count: sql<number>`(select count(*) from touchpoint_contacts tc where tc.contact_id = contacts.id)`,
  };
}

const accountSummary = () => ({ last_touchpoint_at: sql<string | null>`(select max(t.occurred_at) from touchpoints t where t.account_id = accounts.id)` });

/**
 * Recomputes the touchpoint summaries of these contacts and of the account from what is logged now,
 * in two statements whatever the number of contacts. Logging only ever moves them forward (see
 * logTouchpoint); an edit, a deletion, a restore or a merge can move them either way.
 */
export async function recomputeTouchSummaries(db: DbOrTx, accountId: number, contactIds: number[]): Promise<void> {
  const ids = [...new Set(contactIds)];
  if (ids.length > 0) await db.updateTable('contacts').set(contactSummaries()).where(isOneOf(db as never, 'contacts.id', ids)).execute();
  await db.updateTable('accounts').set(accountSummary()).where('id', '=', accountId).execute();
}

/** The same for whole accounts and every contact of theirs, in two statements (after an import). */
export async function recomputeAccountsTouchSummaries(db: DbOrTx, accountIds: number[]): Promise<void> {
  if (accountIds.length === 0) return;
  await db.updateTable('contacts').set(contactSummaries()).where(isOneOf(db as never, 'contacts.account_id', accountIds)).execute();
  await db.updateTable('accounts').set(accountSummary()).where(isOneOf(db as never, 'id', accountIds)).execute();
}
