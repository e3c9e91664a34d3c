import type { Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// A user's connected mailbox: where it is, the app password encrypted (AES-256-GCM, key from the
// environment, never stored here), the sync's status and lease (claimed in the database so two app
// processes never sync one mailbox at once), and per folder the UIDVALIDITY and last UID seen.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mailboxes')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id'))
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('tls', 'integer', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('waiting'))
    .addColumn('last_error', 'text')
    .addColumn('last_synced_at', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mailboxes_due').on('mailboxes').columns(['claimed_until', 'last_synced_at']).execute();

  await db.schema
    .createTable('mailbox_folders')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('folder', 'text', (c) => c.notNull())
    .addColumn('uid_validity', 'text', (c) => c.notNull())
    .addColumn('last_uid', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('mailbox_folders_pk', ['user_id', 'folder'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mailbox_folders').execute();
  await db.schema.dropTable('mailboxes').execute();
}
