import { type Kysely, sql } from 'kysely';

// Risk for thousands of accounts must not scan millions of touchpoints on every page view, so each
// contact and account keeps a summary of its touchpoints, maintained when a touchpoint is logged.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('contacts').addColumn('last_touch_at', 'text').execute();
  await db.schema.alterTable('contacts').addColumn('last_outside_meeting_at', 'text').execute();
  await db.schema.alterTable('contacts').addColumn('touchpoint_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('accounts').addColumn('last_touchpoint_at', 'text').execute();

  await sql`
    update contacts set
      last_touch_at = (select max(tc.occurred_at) from touchpoint_contacts tc where tc.contact_id = contacts.id),
      last_outside_meeting_at = (select max(tc.occurred_at) from touchpoint_contacts tc
        where tc.contact_id = contacts.id and tc.location = 'outside_office' and tc.kind in ('meeting', 'coffee', 'meal')),
      touchpoint_count = (select count(*) from touchpoint_contacts tc where tc.contact_id = contacts.id)
  `.execute(db);
  await sql`
    update accounts set last_touchpoint_at = (select max(t.occurred_at) from touchpoints t where t.account_id = accounts.id)
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('last_touchpoint_at').execute();
  await db.schema.alterTable('contacts').dropColumn('touchpoint_count').execute();
  await db.schema.alterTable('contacts').dropColumn('last_outside_meeting_at').execute();
  await db.schema.alterTable('contacts').dropColumn('last_touch_at').execute();
}
