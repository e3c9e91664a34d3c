import { type Expression, type Kysely, PostgresAdapter, type SqlBool, sql } from 'kysely';

// The few things SQLite and PostgreSQL do differently. Everything else is plain Kysely:
// instants are ISO-8601 UTC text and dates YYYY-MM-DD text (they sort as text on both),
// booleans are integers 0/1, and both support INSERT … RETURNING.

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Case-insensitive "contains" search. */
export function containsIgnoringCase(db: Kysely<any>, column: Expression<string | null>, text: string): Expression<SqlBool> {
  const pattern = `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  return isPostgres(db)
    ? sql<SqlBool>`${column} ilike ${pattern} escape '\\'`
    : sql<SqlBool>`${column} like ${pattern} escape '\\'`;
}

/** Text aggregation of a column's values within a group, comma-separated. */
export function groupConcat(db: Kysely<any>, column: Expression<string>) {
  return isPostgres(db) ? sql<string>`string_agg(${column}, ',')` : sql<string>`group_concat(${column}, ',')`;
}

/**
 * "column is one of these ids", the list bound as one value: the statement is the same for 3 ids or
 * 5,000, and both planners read the list as a small table to drive the join from. (An inline IN
 * list of thousands lets SQLite prefer a less selective index and visit rows all over the file.)
 */
export function isOneOf(db: Kysely<any>, column: string, ids: number[]): Expression<SqlBool> {
  return isPostgres(db)
    ? sql<SqlBool>`${sql.ref(column)} = any(${ids}::integer[])`
    : sql<SqlBool>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`;
}

/** A unique index refused the row (PostgreSQL's unique_violation, SQLite's UNIQUE constraint). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * A batch of keys (e.g. owner and name of 500 accounts) as a table to join with, bound as one JSON
 * value: one plan whatever the batch, where a long OR of ANDs costs SQLite dearly to plan.
 */
export function keysTable<Row extends Record<string, string | number | null>>(
  db: Kysely<any>,
  rows: Row[],
  columns: { [Column in keyof Row]: 'integer' | 'text' },
) {
  const json = JSON.stringify(rows);
  const names = Object.keys(columns);
  if (isPostgres(db)) {
    const definitions = sql.raw(names.map((name) => `"${name}" ${columns[name]}`).join(', '));
    return sql<Row>`(select * from json_to_recordset(${json}::json) as keys(${definitions}))`;
  }
  const selections = sql.join(names.map((name) => sql`value ->> ${`$.${name}`} as ${sql.ref(name)}`));
  return sql<Row>`(select ${selections} from json_each(${json}))`;
}

export const toFlag = (value: boolean): number => (value ? 1 : 0);

export interface ForeignKey {
  table: string;
  column: string;
  references: string;
}

/** Every declared foreign key of the application's tables. */
export async function foreignKeys(db: Kysely<any>): Promise<ForeignKey[]> {
  if (isPostgres(db)) {
    const { rows } = await sql<ForeignKey>`
      select source.relname as "table", attribute.attname as "column", target.relname as "references"
      from pg_constraint constraint_
      join pg_class source on source.oid = constraint_.conrelid
      join pg_class target on target.oid = constraint_.confrelid
      join pg_attribute attribute on attribute.attrelid = constraint_.conrelid and attribute.attnum = any (constraint_.conkey)
      where constraint_.contype = 'f' and source.relnamespace = current_schema()::regnamespace
    `.execute(db);
    return rows;
  }
  const { rows } = await sql<ForeignKey>`
    select tables.name as "table", keys."from" as "column", keys."table" as "references"
    from sqlite_schema tables, pragma_foreign_key_list(tables.name) keys
    where tables.type = 'table'
  `.execute(db);
  return rows;
}

/**
 * After rows were inserted with their ids (an import), PostgreSQL's id sequences still start at 1;
 * move each past the largest id. SQLite's AUTOINCREMENT already follows explicit ids.
 */
export async function resetIdSequences(db: Kysely<any>, tables: string[]): Promise<void> {
  if (!isPostgres(db)) return;
  for (const table of tables) {
    await sql`
      select setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 1), max(id) is not null) from ${sql.table(table)}
    `.execute(db);
  }
}
