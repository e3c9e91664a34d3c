import type { Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// The shared capture mailbox (log@…) read over IMAP: one row per capture mailbox (its IMAP user and
// host), holding the lease that keeps its reading to one process and where the last read stopped.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('capture_mailbox')
    .addColumn('mailbox', 'text', (c) => c.primaryKey())
    .addColumn('uid_validity', 'text')
    .addColumn('last_uid', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('waiting'))
    .addColumn('last_error', 'text')
    .addColumn('last_synced_at', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('capture_mailbox').execute();
}
