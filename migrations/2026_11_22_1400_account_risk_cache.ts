import type { Kysely } from 'kysely';

// Risk is read far more often than its inputs change: each account's assessment is kept per time
// zone and local day, valid while the account's risk_version is the one it was computed at.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('risk_version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable('account_risk')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('local_day', 'text', (c) => c.notNull())
    .addColumn('risk_version', 'integer', (c) => c.notNull())
    .addColumn('risk', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_risk_pk', ['account_id', 'time_zone'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_risk').execute();
  await db.schema.alterTable('accounts').dropColumn('risk_version').execute();
}
