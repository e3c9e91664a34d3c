import type { Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// Each manager chooses when their weekly digest arrives (ISO weekday 1–7 and hour 0–23 in their own
// time zone; Monday 07:00 by default) or opts out. A delivery records when its latest attempt
// started, so an attempt that never finished can be told from one in flight.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('digest_day', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('users').addColumn('digest_hour', 'integer', (c) => c.notNull().defaultTo(7)).execute();
  await db.schema.alterTable('users').addColumn('digest_opt_out', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('users_role_active').on('users').columns(['role', 'active']).execute();

  await db.schema.alterTable('digest_deliveries').addColumn('attempted_at', 'text').execute();
  await db.schema.createIndex('digest_deliveries_status').on('digest_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('digest_deliveries_week').on('digest_deliveries').columns(['iso_week', 'manager_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('digest_deliveries_week').execute();
  await db.schema.dropIndex('digest_deliveries_status').execute();
  await db.schema.alterTable('digest_deliveries').dropColumn('attempted_at').execute();
  await db.schema.dropIndex('users_role_active').execute();
  await db.schema.alterTable('users').dropColumn('digest_opt_out').execute();
  await db.schema.alterTable('users').dropColumn('digest_hour').execute();
  await db.schema.alterTable('users').dropColumn('digest_day').execute();
}
