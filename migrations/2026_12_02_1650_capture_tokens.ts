import type { Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// The capture address alternative: each user's secret token for log+<token>@…, stored only as a hash.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('capture_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('capture_tokens_user').on('capture_tokens').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('capture_tokens').execute();
}
