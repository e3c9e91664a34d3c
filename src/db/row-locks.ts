import { sql } from 'kysely';
import type { DbOrTx } from './database.js';
import { isPostgres } from './dialect.js';

// The lock order of every write, so two writers can never wait for each other in a circle
// (a deadlock): first the rows of the accounts written to, in id order; then that account's
// contacts; then everything else (touchpoints, promises, complaints, roles, audit, risk).
//
// Each write path calls lockAccounts or lockAccountOf before it reads what it is about to change,
// inside its transaction. Holding the account row is what serialises writers to one account, so the
// reads that follow also see the latest committed state: an edit checked against a version is
// checked against the row as it really is (no false conflicts under READ COMMITTED).
//
// PostgreSQL only: SQLite's write transactions start with BEGIN IMMEDIATE, one at a time for the whole
// file, so they cannot deadlock. FOR NO KEY UPDATE is the lock an UPDATE of the row takes anyway; it
// does not block inserts of rows that reference the account (their foreign key check takes KEY SHARE).

/** Takes these accounts' write locks, in id order, for the rest of the transaction. */
export async function lockAccounts(db: DbOrTx, accountIds: number[]): Promise<void> {
  if (!isPostgres(db) || accountIds.length === 0) return;
  await db
    .selectFrom('accounts')
    .select('id')
    .where('id', 'in', [...new Set(accountIds)])
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
}

/** The tables whose rows belong to one account through their account_id. */
export type AccountOwnedTable = 'contacts' | 'commitments' | 'complaints' | 'touchpoints';

/** Takes the write lock of the account a contact, promise, complaint or touchpoint belongs to (nothing when there is no such row). */
export async function lockAccountOf(db: DbOrTx, table: AccountOwnedTable, id: number): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`
    select accounts.id from accounts join ${sql.table(table)} owned on owned.account_id = accounts.id
    where owned.id = ${id} for no key update of accounts
  `.execute(db);
}
