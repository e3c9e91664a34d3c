import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

// Frozen in time: this file never imports application code.
// Invitations found in mail become planned meetings on the account (one per account and calendar
// UID, moved by a higher SEQUENCE, cancelled by METHOD:CANCEL); once past, a meeting that was not
// cancelled is held and becomes a touchpoint. Whether it was outside the office is the rep's answer.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  const idType = isPostgres(db) ? 'serial' : 'integer';
  const id = (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());

  await db.schema
    .createTable('planned_meetings')
    .addColumn('id', idType, id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('uid', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stamped_at', 'text')
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('ends_at', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('planned'))
    .addColumn('outside_office', 'integer')
    .addColumn('touchpoint_id', 'integer', (c) => c.references('touchpoints.id'))
    .addColumn('found_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('planned_meetings_account_uid').on('planned_meetings').columns(['account_id', 'uid']).unique().execute();
  await db.schema.createIndex('planned_meetings_account_start').on('planned_meetings').columns(['account_id', 'starts_at']).execute();
  await db.schema.createIndex('planned_meetings_status_end').on('planned_meetings').columns(['status', 'ends_at']).execute();

  await db.schema
    .createTable('planned_meeting_contacts')
    .addColumn('meeting_id', 'integer', (c) => c.notNull().references('planned_meetings.id'))
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('contacts.id'))
    .addPrimaryKeyConstraint('planned_meeting_contacts_pk', ['meeting_id', 'contact_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('planned_meeting_contacts').execute();
  await db.schema.dropTable('planned_meetings').execute();
}
