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

export const toFlag = (value: boolean): number => (value ? 1 : 0);
export const fromFlag = (value: number | boolean | null | undefined): boolean => Boolean(value);
