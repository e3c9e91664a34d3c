import type { Kysely } from 'kysely';

// Frozen in time: this file never imports application code.
// One row (id 1) of company-wide settings: the selling company's name and logo, printed on the
// account-history report and in the digest's header, and the address the server last said it
// serves at, so the command line builds the same links in mail as the server. The logo is kept
// as base64 text, not a blob: both databases store it alike and `export`/`import` carry it as JSON.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('company_settings')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('logo_base64', 'text')
    .addColumn('logo_content_type', 'text')
    .addColumn('server_base_url', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('company_settings').execute();
}
