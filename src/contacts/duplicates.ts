import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { PossibleDuplicate } from '../http/errors.js';
import { searchWords } from '../search/search.service.js';
import type { CurrentUser } from '../users/users.service.js';
import { daysAgo } from '../views/helpers/dates.js';
import { label } from '../views/helpers/labels.js';
import type { ChangeContext, Contact } from './contacts.service.js';
import { createContact } from './contacts.service.js';
import type { NewContactInput } from './contacts.schemas.js';

// Nobody is added twice by accident: a new contact whose email, or whose name, matches someone
// already at the account is a question ("Is this Tom Reed (influencer, added today)?"), not a
// second row. A namesake can still be added on purpose (allow_duplicate); an email cannot, since
// one address is one person.

/** Titles written before a name, in the languages auto-replies come in ("Dr. Ken Ito", "Frau Weber", "Sra. López"). */
const honorifics = new Set(['dr', 'mr', 'mrs', 'ms', 'miss', 'mx', 'prof', 'herr', 'frau', 'm', 'mme', 'mlle', 'sr', 'sra', 'srta', 'dra', 'don', 'dona']);

/** The words of a name without a leading title. */
function nameWords(name: string): string {
  const words = searchWords(name);
  while (words.length > 1 && honorifics.has(words[0]!)) words.shift();
  return words.join(' ');
}

/** "tom  REED", "Tom Réed" and "Mr. Tom Reed" are the same name. */
export const sameName = (a: string, b: string) => nameWords(a) === nameWords(b);

/** "Tom Reed (influencer, added today)". */
export function describeContact(contact: Pick<Contact, 'name' | 'roles' | 'status' | 'created_at'>, clock: Clock, zone: string) {
  const facts = [
    ...(contact.roles[0] ? [label(contact.roles[0]).toLowerCase()] : []),
    ...(contact.status === 'left' ? ['left'] : []),
    `added ${daysAgo(contact.created_at, clock.now().toISOString(), zone)}`,
  ];
  return `${contact.name} (${facts.join(', ')})`;
}

/** The account's contact this one would duplicate, by email first, then by name; null when none. */
export async function findDuplicate(db: DbOrTx, accountId: number, input: { name?: string | null; email?: string | null }) {
  const candidates = await db
    .selectFrom('contacts')
    .select(['id', 'name', 'email', 'status', 'created_at'])
    .where('account_id', '=', accountId)
    .where('archived', '=', 0)
    .execute();
  const email = input.email?.toLowerCase();
  const byEmail = email ? candidates.find((contact) => contact.email?.toLowerCase() === email) : undefined;
  if (byEmail) return { field: 'email' as const, contact: byEmail };
  const name = input.name;
  const byName = name ? candidates.find((contact) => sameName(contact.name, name)) : undefined;
  return byName ? { field: 'name' as const, contact: byName } : null;
}

export type NewContactRequest = NewContactInput & { allow_duplicate?: boolean };

/** Creates the contact unless it may be someone already there; then asks (PossibleDuplicate). */
export async function addContact(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, input: NewContactRequest, options: ChangeContext = {}): Promise<Contact> {
  const { allow_duplicate, ...contact } = input;
  const duplicate = await findDuplicate(db, accountId, contact);
  if (duplicate && (duplicate.field === 'email' || !allow_duplicate)) {
    const roles = await db.selectFrom('contact_roles').select('role').where('contact_id', '=', duplicate.contact.id).execute();
    const who = describeContact({ ...duplicate.contact, roles: roles.map((row) => row.role) }, clock, user.time_zone);
    const question = duplicate.field === 'email' ? `${who} already has this email. Is it them?` : `Is this ${who}?`;
    throw new PossibleDuplicate(duplicate.field, question, duplicate.contact.id);
  }
  return createContact(db, clock, user, accountId, contact, options);
}
