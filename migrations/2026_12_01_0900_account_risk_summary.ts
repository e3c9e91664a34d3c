import type { Kysely } from 'kysely';

// The dashboards filter, count and sort accounts by risk. With the score, level, flag codes and
// meeting clock of each remembered assessment in columns, the database does that and pages, and
// only the page's assessments are read whole, whatever the number of accounts in view.

export async function up(db: Kysely<any>): Promise<void> {
  // Remembered assessments are a cache: dropping them costs one recomputation, and no row is
  // left without its summary.
  await db.deleteFrom('account_risk').execute();
  await db.schema.alterTable('account_risk').addColumn('score', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('account_risk').addColumn('level', 'text', (c) => c.notNull().defaultTo('ok')).execute();
  await db.schema.alterTable('account_risk').addColumn('flag_codes', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('account_risk').addColumn('meeting_due_in_days', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['meeting_due_in_days', 'flag_codes', 'level', 'score']) await db.schema.alterTable('account_risk').dropColumn(column).execute();
}
