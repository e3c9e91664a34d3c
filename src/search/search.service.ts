import { type Expression, type SqlBool, sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { isPostgres } from '../db/dialect.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import type { ContactStatus } from '../contacts/contacts.table.js';
import type { CurrentUser } from '../users/users.service.js';

// One search box: accounts by name, contacts by name, email or title, each word a prefix, accents
// ignored, only what the viewer may see (the same condition as every other read, in the query).
// The full-text indexes are each database's own (migrations/2026_12_02_1400_search_index.ts).

export interface SearchResult {
  type: 'account' | 'contact';
  id: number;
  name: string;
  account_id?: number;
  account_name?: string;
  title?: string | null;
  email?: string | null;
  /** Contacts only: "left" marks someone who is no longer there (still found: they may be a customer elsewhere). */
  status?: ContactStatus;
}

export const searchLimits = { accounts: 10, contacts: 25 };
export const minimumQueryLength = 2;

/** Letters that do not decompose into a base letter and an accent. */
const unaccentable: Record<string, string> = { ø: 'o', ł: 'l', ı: 'i', æ: 'a', œ: 'o', ß: 's', đ: 'd', ð: 'd', þ: 't' };

/** "Hélène  O'Brien" → ["helene", "o", "brien"]: what each database's index holds, word by word. */
export function searchWords(query: string): string[] {
  return query
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[øłıæœßđðþ]/g, (letter) => unaccentable[letter] ?? letter)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 8)
    .map((word) => word.slice(0, 40));
}

// PostgreSQL: the very expressions of the GIN indexes (the planner matches them, not names), folding
// accents with translate() so no extension is needed. Keep in step with the migration.
const accented = 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŠšŽžČčĆćŁłŃńŚśŹźŻżĘęĄąŘřĚěŮůŤťĎďŇňŐőŰűĞğİıŞşȘșȚțĂăÆæŒœßÐðÞþ';
const plain = 'aaaaaaaaaaaacceeeeeeeeiiiiiiiinnoooooooooooouuuuuuuuyyysszzccccllnnsszzzzeeaarreeuuttddnnoouuggiissssttaaaaoosddtt';
const searchable = (text: string, folded = `translate(${text}, '${accented}', '${plain}')`) =>
  `to_tsvector('simple', regexp_replace(lower(${folded}), '[@._+/''-]+', ' ', 'g'))`;
const searchedText = { contacts: `coalesce(contacts.name, '') || ' ' || coalesce(contacts.email, '') || ' ' || coalesce(contacts.title, '')`, accounts: 'accounts.name' };

/**
 * The same test without the index, for rows a query has already reached: translate() compares each
 * letter with every accented one (about 0.1 ms for a contact, most of the cost) and changes nothing
 * in plain ASCII text, so ASCII text skips it; and ASCII text that does not hold every word
 * somewhere cannot match, which strpos() tells before the text is taken apart into words.
 */
function rowMatchesOnPostgres(table: 'contacts' | 'accounts', words: string[], query: string): Expression<SqlBool> {
  const text = searchedText[table];
  const ascii = `octet_length(${text}) = char_length(${text})`;
  const vector = searchable(text, `case when ${ascii} then ${text} else translate(${text}, '${accented}', '${plain}') end`);
  const holdsEveryWord = sql.join(words.map((word) => sql`strpos(lower(${sql.raw(text)}), ${word}) > 0`), sql` and `);
  return sql<SqlBool>`(not ${sql.raw(ascii)} or (${holdsEveryWord})) and ${sql.raw(vector)} @@ to_tsquery('simple', ${query})`;
}

/**
 * The rows of `table` whose words start with each of `words`. From the full-text index (the
 * default), or `rowByRow` for a query that reaches its rows another way: a rep's or a manager's
 * accounts and their people are a few thousand rows, where the index would first find every
 * namesake in the company (bench/README.md, issue 18).
 */
export function matches(db: DbOrTx, table: 'contacts' | 'accounts', words: string[], { rowByRow = false } = {}): Expression<SqlBool> {
  if (isPostgres(db)) {
    const query = words.map((word) => `${word}:*`).join(' & ');
    return rowByRow ? rowMatchesOnPostgres(table, words, query) : sql<SqlBool>`${sql.raw(searchable(searchedText[table]))} @@ to_tsquery('simple', ${query})`;
  }
  // Each word quoted (so nothing in it is FTS5 syntax) and a prefix; words are ANDed. Row by row,
  // the unary + keeps SQLite from starting at the index's matches: it reads them once into a
  // temporary index and checks each row reached against it.
  const query = words.map((word) => `"${word}"*`).join(' ');
  return sql<SqlBool>`${sql.raw(rowByRow ? '+' : '')}${sql.ref(`${table}.id`)} in (select rowid from ${sql.table(`${table}_fts`)} where ${sql.table(`${table}_fts`)} match ${query})`;
}

/** Accounts first, then people, each in name order; archived ones are left out. */
export async function search(db: DbOrTx, user: CurrentUser, query: string): Promise<SearchResult[]> {
  const words = searchWords(query);
  if (words.join('').length < minimumQueryLength) return [];
  // An admin searches the whole company, through the index; anyone else the accounts they see.
  const rowByRow = user.role !== 'admin';
  const [accounts, contacts] = await Promise.all([
    db
      .selectFrom('accounts')
      .select(['accounts.id', 'accounts.name'])
      .where(matches(db, 'accounts', words, { rowByRow }))
      .where(accountVisibleTo(user))
      .where('accounts.archived', '=', 0)
      .orderBy('accounts.name')
      .orderBy('accounts.id')
      .limit(searchLimits.accounts)
      .execute(),
    db
      .selectFrom('contacts')
      .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
      .select(['contacts.id', 'contacts.name', 'contacts.title', 'contacts.email', 'contacts.status', 'contacts.account_id', 'accounts.name as account_name'])
      .where(matches(db, 'contacts', words, { rowByRow }))
      .where(accountVisibleTo(user))
      .where('contacts.archived', '=', 0)
      .where('accounts.archived', '=', 0)
      .orderBy('contacts.name')
      .orderBy('contacts.id')
      .limit(searchLimits.contacts)
      .execute(),
  ]);
  return [
    ...accounts.map((account): SearchResult => ({ type: 'account', id: account.id, name: account.name })),
    ...contacts.map((contact): SearchResult => ({ type: 'contact', ...contact })),
  ];
}
