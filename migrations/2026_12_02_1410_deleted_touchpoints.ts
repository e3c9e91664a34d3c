import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

// A deleted touchpoint leaves the timeline, the risk and the report at once, yet can be restored
// for 30 days. It is moved here whole (row, participants, linked promises, as JSON) rather than
// flagged, so no query anywhere has to remember to skip deleted rows; past 30 days it is gone.
// Frozen in time: this file never imports application code.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  const id = (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());
  await db.schema
    .createTable('deleted_touchpoints')
    .addColumn('id', isPostgres(db) ? 'serial' : 'integer', id)
    .addColumn('touchpoint_id', 'integer', (c) => c.notNull().unique())
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('author_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('deleted_by_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deleted_touchpoints_account').on('deleted_touchpoints').columns(['account_id', 'deleted_at']).execute();
  await db.schema.createIndex('deleted_touchpoints_deleted_at').on('deleted_touchpoints').column('deleted_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('deleted_touchpoints').execute();
}
