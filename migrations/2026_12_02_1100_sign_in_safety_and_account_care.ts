import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

// Frozen in time: this file never imports application code.
// - login_throttles: failed sign-ins counted per account and per client address in the database,
//   so every app process sees the same count (keys are SHA-256 hashes: bounded, and no emails kept).
// - password_resets: one-time reset links, only their hash kept.
// - api_tokens.expires_at: optional token expiry.
// - users.deleted_at: a deleted user stays as a name behind the history they wrote.
// - Tokens of users who are disabled now are revoked, so enabling them again revives none.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  const idType = isPostgres(db) ? 'serial' : 'integer';
  const id = (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());

  await db.schema
    .createTable('login_throttles')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failed_at', 'text', (c) => c.notNull())
    .addColumn('blocked_until', 'text')
    .execute();
  await db.schema.createIndex('login_throttles_last_failed_at').on('login_throttles').column('last_failed_at').execute();

  await db.schema
    .createTable('password_resets')
    .addColumn('id', idType, id)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by_id', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('password_resets_user_id').on('password_resets').column('user_id').execute();

  await db.schema.alterTable('api_tokens').addColumn('expires_at', 'text').execute();
  await db.schema.alterTable('users').addColumn('deleted_at', 'text').execute();
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

  const now = new Date().toISOString();
  const disabled = db.selectFrom('users').select('id').where('active', '=', 0);
  await db.updateTable('api_tokens').set({ revoked_at: now }).where('revoked_at', 'is', null).where('user_id', 'in', disabled).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_user_id').execute();
  await db.schema.alterTable('users').dropColumn('deleted_at').execute();
  await db.schema.alterTable('api_tokens').dropColumn('expires_at').execute();
  await db.schema.dropTable('password_resets').execute();
  await db.schema.dropTable('login_throttles').execute();
}
