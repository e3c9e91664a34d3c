import type { Kysely } from 'kysely';

// The digest lists who is leaving or left across a manager's team: a few hundred contacts among a
// million, found by status rather than by scanning every contact of every account.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('contacts_status').on('contacts').columns(['status', 'account_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('contacts_status').execute();
}
