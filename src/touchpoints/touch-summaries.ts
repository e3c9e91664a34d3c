import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { isOneOf } from '../db/dialect.js';
import { faceToFaceKinds } from './touchpoints.table.js';

/**
 * Recomputes the touchpoint summaries of these contacts and of the account from what is logged now,
 * in two statements whatever the number of contacts. Logging only ever moves them forward (see
 * logTouchpoint); an edit, a deletion, a restore or a merge can move them either way.
 */
export async function recomputeTouchSummaries(db: DbOrTx, accountId: number, contactIds: number[]): Promise<void> {
  const ids = [...new Set(contactIds)];
  if (ids.length > 0) {
    const face = sql.join(faceToFaceKinds.map((kind) => sql`${kind}`));
    await db
      .updateTable('contacts')
      .set({
        last_touch_at: sql`(select max(tc.occurred_at) from touchpoint_contacts tc where tc.contact_id = contacts.id)`,
        last_outside_meeting_at: sql`(select max(tc.occurred_at) from touchpoint_contacts tc
          where tc.contact_id = contacts.id and tc.location = 'outside_office' and tc.kind in (${face}))`,
        touchpoint_count: sql`(select count(*) from touchpoint_contacts tc where tc.contact_id = contacts.id)`,
      })
      .where(isOneOf(db as never, 'contacts.id', ids))
      .execute();
  }
  await db
    .updateTable('accounts')
    .set({ last_touchpoint_at: sql`(select max(t.occurred_at) from touchpoints t where t.account_id = accounts.id)` })
    .where('id', '=', accountId)
    .execute();
}
