import { type Kysely, PostgresAdapter } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Imports from HubSpot, Salesforce and Pipedrive (src/importer/vendor-import.ts):
// - import_source_ids: what each record of a vendor's files became here, so importing the same
//   files again creates nothing twice (the unique key also settles two imports at once). Kept per
//   importing user (`scope`): two companies' HubSpot ids may well collide. `parent_source_id` is a
//   contact's manager (ReportsToId) until every contact of the run is in; run_key/run_file/run_line
//   say which run and row last saw the record, so a record twice in one run is reported as a
//   duplicate row with the line of its first appearance.
// - import_file_chunks: the files chosen on the import page, kept between the preview and the
//   import (in the database, so any app process can finish what another previewed).
// - import_mappings: a column mapping someone changed on the page, reused the next time the same
//   header comes (keyed by a hash of the header).

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('import_source_ids')
    .addColumn('scope', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('our_id', 'integer', (c) => c.notNull())
    .addColumn('parent_source_id', 'text')
    .addColumn('run_key', 'text', (c) => c.notNull())
    .addColumn('run_file', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_line', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('import_source_ids_pk', ['scope', 'source', 'object', 'source_id'])
    .execute();
  await db.schema.createIndex('import_source_ids_run').on('import_source_ids').columns(['run_key', 'object']).execute();
  await db.schema.createIndex('import_source_ids_our').on('import_source_ids').columns(['object', 'our_id']).execute();

  await db.schema
    .createTable('import_file_chunks')
    .addColumn('upload_id', 'integer', (c) => c.notNull().references('import_uploads.id').onDelete('cascade'))
    .addColumn('file_index', 'integer', (c) => c.notNull())
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('bytes', isPostgres(db) ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_file_chunks_pk', ['upload_id', 'file_index', 'chunk'])
    .execute();

  await db.schema
    .createTable('import_mappings')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('header_hash', 'text', (c) => c.notNull())
    .addColumn('mapping', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_mappings_pk', ['user_id', 'header_hash'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('import_mappings').execute();
  await db.schema.dropTable('import_file_chunks').execute();
  await db.schema.dropTable('import_source_ids').execute();
}
