import type { Kysely } from 'kysely';

// Several app processes share one database, so "run this once" must be decided there:
// job_runs holds one row per (job, period) and its primary key lets exactly one process claim it.
// audit_events.entity_version is the version a change produced, so an edit made from an older version
// can find what others changed since (optimistic concurrency for contacts and accounts).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('job_runs')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_runs_pk', ['job', 'period'])
    .execute();
  await db.schema.alterTable('audit_events').addColumn('entity_version', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('entity_version').execute();
  await db.schema.dropTable('job_runs').execute();
}
