import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file never imports application code.
// Complaint categories become an editable list; indexes for the complaint, promise and key-date queries.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** "MM-DD" of a "YYYY-MM-DD" or "MM-DD" column: the key-date queries filter on exactly this expression. */
const monthDay = (column: string) => sql`substr(${sql.ref(column)}, length(${sql.ref(column)}) - 4)`;

const initialCategories = ['product', 'delivery', 'billing', 'service', 'staff', 'other'];

export async function up(db: Kysely<any>): Promise<void> {
  const idType = isPostgres(db) ? 'serial' : 'integer';
  const id = (column: ColumnDefinitionBuilder) => (isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement());

  await db.schema
    .createTable('complaint_categories')
    .addColumn('id', idType, id)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db
    .insertInto('complaint_categories')
    .values(initialCategories.map((name, index) => ({ name, position: index + 1 })))
    .execute();

  await db.schema.createIndex('complaints_account_raised').on('complaints').columns(['account_id', 'raised_on']).execute();
  await db.schema.createIndex('commitments_owner_open').on('commitments').columns(['owner_id', 'done_at', 'due_on']).execute();
  await db.schema.createIndex('accounts_origin_contact').on('accounts').column('origin_contact_id').execute();
  await db.schema.createIndex('contacts_birthday_month_day').on('contacts').expression(monthDay('birthday')).execute();
  await db.schema.createIndex('contacts_started_month_day').on('contacts').expression(monthDay('started_in_role_on')).execute();
  await db.schema.createIndex('accounts_customer_since_month_day').on('accounts').expression(monthDay('customer_since')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'accounts_customer_since_month_day',
    'contacts_started_month_day',
    'contacts_birthday_month_day',
    'accounts_origin_contact',
    'commitments_owner_open',
    'complaints_account_raised',
  ])
    await db.schema.dropIndex(index).execute();
  await db.schema.dropTable('complaint_categories').execute();
}
