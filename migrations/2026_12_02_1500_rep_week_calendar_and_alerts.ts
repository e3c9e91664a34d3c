import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file never imports application code.
// Nobody has to remember: each rep's weekly email, a private calendar feed, and an alert to the
// manager when a key contact leaves.
// - Weekly emails of several kinds share one delivery table: a `kind` column, and the once-a-week
//   claim becomes unique per (kind, recipient, week). manager_id keeps its name: it is the recipient.
// - Users choose when their week arrives, or stop it, and whether they get departure alerts.
// - calendar_feeds keeps only a hash of each user's secret calendar address.
// - departure_alerts is an outbox: a row written in the transaction that records the departure (or
//   any later signal), claimed by exactly one process, which sends the email and records the outcome.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Changes the columns of digest_deliveries' unique constraint. PostgreSQL alters it in place;
 * SQLite cannot, so the table is rebuilt from its own definition (whatever columns other
 * migrations added), rows and indexes included.
 */
async function setOnceAWeekColumns(db: Kysely<any>, from: string[], to: string[]) {
  const constraint = 'digest_deliveries_once_a_week';
  if (isPostgres(db)) {
    await sql`alter table digest_deliveries drop constraint ${sql.id(constraint)}`.execute(db);
    await sql`alter table digest_deliveries add constraint ${sql.id(constraint)} unique (${sql.join(to.map((column) => sql.id(column)))})`.execute(db);
    return;
  }
  const quoted = (columns: string[]) => columns.map((column) => `"${column}"`).join(', ');
  const { rows: tables } = await sql<{ sql: string }>`select sql from sqlite_schema where type = 'table' and name = 'digest_deliveries'`.execute(db);
  const { rows: indexes } = await sql<{ sql: string }>`select sql from sqlite_schema where type = 'index' and tbl_name = 'digest_deliveries' and sql is not null`.execute(db);
  const definition = tables[0]!.sql;
  const oldUnique = `unique (${quoted(from)})`;
  if (!definition.includes(oldUnique)) throw new Error(`digest_deliveries has no ${oldUnique}`);
  const rebuilt = definition.replace(oldUnique, `unique (${quoted(to)})`).replace(/^create table "?digest_deliveries"?/i, 'create table "digest_deliveries_rebuilt"');
  await sql.raw(rebuilt).execute(db);
  await sql`insert into digest_deliveries_rebuilt select * from digest_deliveries`.execute(db);
  await sql`drop table digest_deliveries`.execute(db);
  await sql`alter table digest_deliveries_rebuilt rename to digest_deliveries`.execute(db);
  for (const index of indexes) await sql.raw(index.sql).execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  const idType = isPostgres(db) ? 'serial' : 'integer';
  const id = (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());

  await db.schema.alterTable('digest_deliveries').addColumn('kind', 'text', (c) => c.notNull().defaultTo('team_digest')).execute();
  await setOnceAWeekColumns(db, ['manager_id', 'iso_week'], ['kind', 'manager_id', 'iso_week']);

  await db.schema.alterTable('users').addColumn('week_email_day', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('users').addColumn('week_email_hour', 'integer', (c) => c.notNull().defaultTo(7)).execute();
  await db.schema.alterTable('users').addColumn('week_email_opt_out', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('departure_alerts_opt_out', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('calendar_feeds')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id'))
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('departure_alerts')
    .addColumn('id', idType, id)
    // What happened, once: "left:12", "leaving:12", or a future signal's own key.
    .addColumn('event_key', 'text', (c) => c.notNull().unique())
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('contacts.id'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('recipient_id', 'integer', (c) => c.references('users.id'))
    .addColumn('subject', 'text')
    .addColumn('message_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempted_at', 'text')
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema.createIndex('departure_alerts_due').on('departure_alerts').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('departure_alerts_contact').on('departure_alerts').column('contact_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('departure_alerts').execute();
  await db.schema.dropTable('calendar_feeds').execute();
  for (const column of ['departure_alerts_opt_out', 'week_email_opt_out', 'week_email_hour', 'week_email_day'])
    await db.schema.alterTable('users').dropColumn(column).execute();
  await db.deleteFrom('digest_deliveries').where('kind', '!=', 'team_digest').execute();
  await setOnceAWeekColumns(db, ['kind', 'manager_id', 'iso_week'], ['manager_id', 'iso_week']);
  await db.schema.alterTable('digest_deliveries').dropColumn('kind').execute();
}
