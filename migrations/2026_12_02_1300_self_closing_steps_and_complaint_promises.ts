import type { Kysely } from 'kysely';

// A recovery step that no longer applies closes itself and says why (closed_reason, with done_at
// set, so it stops counting as open); a complaint's satisfaction follow-up becomes a promise to the
// customer (a commitment pointing at its complaint, one per complaint).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('commitments').addColumn('closed_reason', 'text').execute();
  await db.schema.alterTable('commitments').addColumn('complaint_id', 'integer', (c) => c.references('complaints.id')).execute();
  await db.schema.createIndex('commitments_complaint').on('commitments').column('complaint_id').unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('commitments_complaint').execute();
  await db.schema.alterTable('commitments').dropColumn('complaint_id').execute();
  await db.schema.alterTable('commitments').dropColumn('closed_reason').execute();
}
