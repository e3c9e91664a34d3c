import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Unique keys so that two imports of the same file at once create everything once: an account per
// owner and normalised name (trimmed, inner white space folded to one space, lower-cased), a
// contact per account and lower-cased email. The keys are columns computed by the application
// (JavaScript's lower-casing is Unicode-aware, SQLite's lower() is not), filled in here for the rows
// already there. Rows that already clash keep a null key — the first of them (lowest id) holds the
// key — so the upgrade never deletes or merges anything; people merge such twins by hand.
//
// Also the staging tables of imports: a file is read once, as a stream, into import_rows (one row per
// line, checked, with its problem if any), so the preview and the import walk it in batches with
// bounded memory, duplicates within the file are found with indexed look-ups, and any app process
// can finish what another previewed.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const accountNameKey = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();
const contactEmailKey = (email: string) => email.trim().toLowerCase();

/**
 * Fills `keyColumn` for every row of `table`, a thousand rows a statement, then clears it on every
 * row but the first of each clash (same group, same key) so the unique index can be built.
 */
async function fillKeys(db: Kysely<any>, table: string, groupColumn: string, sourceColumn: string, keyColumn: string, keyOf: (value: string) => string) {
  let after = 0;
  for (;;) {
    const rows: { id: number; source: string | null }[] = await db
      .selectFrom(table)
      .select(['id', `${sourceColumn} as source`])
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    const updates = rows.filter((row) => row.source !== null && row.source.trim() !== '').map((row) => ({ id: row.id, key: keyOf(row.source!) }));
    if (updates.length === 0) continue;
    // The keys as a JSON array, read as a table on both databases.
    const keys = JSON.stringify(updates);
    if (isPostgres(db))
      await sql`update ${sql.table(table)} set ${sql.ref(keyColumn)} = k.key from json_to_recordset(${keys}::json) as k(id integer, key text) where ${sql.ref(`${table}.id`)} = k.id`.execute(db);
    else
      await sql`update ${sql.table(table)} set ${sql.ref(keyColumn)} = (select value ->> '$.key' from json_each(${keys}) where value ->> '$.id' = ${sql.ref(`${table}.id`)}) where id in (select value ->> '$.id' from json_each(${keys}))`.execute(db);
  }
  const clashIndex = `${table}_${keyColumn}_clashes`;
  await db.schema.createIndex(clashIndex).on(table).columns([groupColumn, keyColumn]).execute();
  await sql`
    update ${sql.table(table)} set ${sql.ref(keyColumn)} = null
    where ${sql.ref(keyColumn)} is not null and exists (
      select 1 from ${sql.table(table)} earlier
      where ${sql.ref(`earlier.${groupColumn}`)} = ${sql.ref(`${table}.${groupColumn}`)}
        and ${sql.ref(`earlier.${keyColumn}`)} = ${sql.ref(`${table}.${keyColumn}`)}
        and earlier.id < ${sql.ref(`${table}.id`)})
  `.execute(db);
  await db.schema.dropIndex(clashIndex).execute();
}

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('name_key', 'text').execute();
  await fillKeys(db, 'accounts', 'owner_id', 'name', 'name_key', accountNameKey);
  await db.schema.createIndex('accounts_owner_name_key').on('accounts').columns(['owner_id', 'name_key']).unique().execute();

  await db.schema.alterTable('contacts').addColumn('email_key', 'text').execute();
  await fillKeys(db, 'contacts', 'account_id', 'email', 'email_key', contactEmailKey);
  await db.schema.createIndex('contacts_account_email_key').on('contacts').columns(['account_id', 'email_key']).unique().execute();

  const idType = isPostgres(db) ? 'serial' : 'integer';
  const id = (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());
  await db.schema
    .createTable('import_uploads')
    .addColumn('id', idType, id)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    /** JSON array of the header's columns that are not ours, shown as "ignored". */
    .addColumn('ignored_columns', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('import_uploads_created_at').on('import_uploads').column('created_at').execute();
  await db.schema
    .createTable('import_rows')
    .addColumn('upload_id', 'integer', (c) => c.notNull().references('import_uploads.id').onDelete('cascade'))
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('problem', 'text')
    .addColumn('owner_id', 'integer')
    .addColumn('account_name', 'text')
    .addColumn('account_key', 'text')
    .addColumn('account_status', 'text')
    .addColumn('customer_since', 'text')
    /** The first row without problems naming its account: the one whose status and date the account gets. */
    .addColumn('first_of_account', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('contact', 'text')
    .addColumn('email_key', 'text')
    .addColumn('contact_name_key', 'text')
    .addPrimaryKeyConstraint('import_rows_pk', ['upload_id', 'line'])
    .execute();
  await db.schema.createIndex('import_rows_email').on('import_rows').columns(['upload_id', 'email_key']).execute();
  await db.schema.createIndex('import_rows_contact_name').on('import_rows').columns(['upload_id', 'owner_id', 'account_key', 'contact_name_key']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('import_rows').execute();
  await db.schema.dropTable('import_uploads').execute();
  await db.schema.dropIndex('contacts_account_email_key').execute();
  await db.schema.alterTable('contacts').dropColumn('email_key').execute();
  await db.schema.dropIndex('accounts_owner_name_key').execute();
  await db.schema.alterTable('accounts').dropColumn('name_key').execute();
}
