import { type Kysely, PostgresAdapter, sql } from 'kysely';

// One search box finds accounts by name and contacts by name, email or title, by word prefix and
// ignoring accents ("hele" finds "Hélène"), through each database's own full-text engine, kept in
// step with every write in the same transaction by the database itself:
// - SQLite: FTS5 tables over the rows (external content, so the text is not stored twice), with
//   the unicode61 tokenizer removing diacritics and prefix indexes, maintained by triggers;
// - PostgreSQL: GIN indexes on a tsvector expression (no column to maintain, nothing extra to
//   export); accents are folded with translate(), so no extension (unaccent) is needed.
// Frozen in time: src/search/search.service.ts repeats the PostgreSQL expression, which must stay
// identical for the planner to use the index.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const accented = 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŠšŽžČčĆćŁłŃńŚśŹźŻżĘęĄąŘřĚěŮůŤťĎďŇňŐőŰűĞğİıŞşȘșȚțĂăÆæŒœßÐðÞþ';
const plain = 'aaaaaaaaaaaacceeeeeeeeiiiiiiiinnoooooooooooouuuuuuuuyyysszzccccllnnsszzzzeeaarreeuuttddnnoouuggiissssttaaaaoosddtt';

const searchable = (text: string) =>
  `to_tsvector('simple', regexp_replace(lower(translate(${text}, '${accented}', '${plain}')), '[@._+/''-]+', ' ', 'g'))`;

export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql.raw(`create index contacts_search on contacts using gin (${searchable(`coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(title, '')`)})`).execute(db);
    await sql.raw(`create index accounts_search on accounts using gin (${searchable(`name`)})`).execute(db);
    return;
  }
  const options = `tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'`;
  await sql.raw(`create virtual table contacts_fts using fts5(name, email, title, content = 'contacts', content_rowid = 'id', ${options})`).execute(db);
  await sql.raw(`create virtual table accounts_fts using fts5(name, content = 'accounts', content_rowid = 'id', ${options})`).execute(db);
  for (const [table, columns] of [
    ['contacts', ['name', 'email', 'title']],
    ['accounts', ['name']],
  ] as const) {
    const list = columns.join(', ');
    const values = (row: 'new' | 'old') => columns.map((column) => `${row}.${column}`).join(', ');
    const insertNew = `insert into ${table}_fts (rowid, ${list}) values (new.id, ${values('new')});`;
    const deleteOld = `insert into ${table}_fts (${table}_fts, rowid, ${list}) values ('delete', old.id, ${values('old')});`;
    await sql.raw(`create trigger ${table}_fts_insert after insert on ${table} begin ${insertNew} end`).execute(db);
    await sql.raw(`create trigger ${table}_fts_delete after delete on ${table} begin ${deleteOld} end`).execute(db);
    await sql.raw(`create trigger ${table}_fts_update after update of ${list} on ${table} begin ${deleteOld} ${insertNew} end`).execute(db);
    await sql.raw(`insert into ${table}_fts (${table}_fts) values ('rebuild')`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop index contacts_search`.execute(db);
    await sql`drop index accounts_search`.execute(db);
    return;
  }
  for (const table of ['contacts', 'accounts']) {
    for (const event of ['insert', 'delete', 'update']) await sql.raw(`drop trigger ${table}_fts_${event}`).execute(db);
    await sql.raw(`drop table ${table}_fts`).execute(db);
  }
}
