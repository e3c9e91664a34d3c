import type { Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// Risk looks up each contact's next planned meeting (the decision-maker meeting clock shows it).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('planned_meeting_contacts_contact').on('planned_meeting_contacts').column('contact_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('planned_meeting_contacts_contact').execute();
}
