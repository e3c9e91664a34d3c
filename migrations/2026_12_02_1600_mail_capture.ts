import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

// Frozen in time: this file never imports application code.
// Mail capture: emails become touchpoints (marked with their source and Message-ID so a message
// seen twice is logged once per account), each user's handled Message-IDs are remembered so a
// message is never processed twice, unknown people at a known account's domain wait as
// suggestions, and automatic replies and bounces that say a contact left wait as departure signals.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  const idType = isPostgres(db) ? 'serial' : 'integer';
  const id = (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());

  await db.schema.alterTable('touchpoints').addColumn('source', 'text').execute();
  await db.schema.alterTable('touchpoints').addColumn('message_id', 'text').execute();
  // NULLs are distinct on both databases: typed touchpoints never collide.
  await db.schema.createIndex('touchpoints_account_message').on('touchpoints').columns(['account_id', 'message_id']).unique().execute();

  await db.schema
    .createTable('mail_messages')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('handled_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('mail_messages_pk', ['user_id', 'message_id'])
    .execute();

  await db.schema
    .createTable('contact_suggestions')
    .addColumn('id', idType, id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('contact_id', 'integer', (c) => c.references('contacts.id'))
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'integer', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('contact_suggestions_account_email').on('contact_suggestions').columns(['account_id', 'email']).unique().execute();

  await db.schema
    .createTable('departure_signals')
    .addColumn('id', idType, id)
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('contacts.id'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('excerpt', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('replacement_contact_id', 'integer', (c) => c.references('contacts.id'))
    .addColumn('replacement_name', 'text')
    .addColumn('replacement_email', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('found_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'integer', (c) => c.references('users.id'))
    .execute();
  // One signal per contact per message, however often the message is seen.
  await db.schema.createIndex('departure_signals_contact_message').on('departure_signals').columns(['contact_id', 'message_id']).unique().execute();
  await db.schema.createIndex('departure_signals_account_status').on('departure_signals').columns(['account_id', 'status']).execute();
  await db.schema.createIndex('departure_signals_status').on('departure_signals').columns(['status', 'received_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('departure_signals').execute();
  await db.schema.dropTable('contact_suggestions').execute();
  await db.schema.dropTable('mail_messages').execute();
  await db.schema.dropIndex('touchpoints_account_message').execute();
  await db.schema.alterTable('touchpoints').dropColumn('message_id').execute();
  await db.schema.alterTable('touchpoints').dropColumn('source').execute();
}
