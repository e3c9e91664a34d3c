import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// An imported activity keeps the record it came from on the touchpoint itself ("<importing user
// id>/<vendor>/<record id>"), unique within its account, under an index that holds only imported
// touchpoints. The account comes first in the index because history is written account by account:
// a key alone would put each new touchpoint on a random page of the index (on a million activities,
// 58 s against 8 s for the same inserts without it), as with the mail capture's message key. Before,
// each activity also had a row in import_source_ids: four more B-tree entries per activity, the
// largest single cost of importing a million of them, for a key nothing else refers to. The
// import now writes history from a staging table in one INSERT … SELECT per chunk, and this key is
// how it finds the touchpoints it just wrote (their participants) and those an earlier import wrote.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('touchpoints').addColumn('import_key', 'text').execute();
  await sql`
    update touchpoints set import_key = (
      select min(source.scope || '/' || source.source || '/' || source.source_id) from import_source_ids source
      where source.object = 'activity' and source.our_id = touchpoints.id)
    where id in (select our_id from import_source_ids where object = 'activity')
  `.execute(db);
  await db.schema
    .createIndex('touchpoints_import_key')
    .on('touchpoints')
    .columns(['account_id', 'import_key'])
    .unique()
    .where(sql.ref('import_key'), 'is not', null)
    .execute();
  await db.deleteFrom('import_source_ids').where('object', '=', 'activity').execute();
}

// Rolling back forgets which touchpoints were imported: importing the same files again after it
// would write their history a second time.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('touchpoints_import_key').execute();
  await db.schema.alterTable('touchpoints').dropColumn('import_key').execute();
}
