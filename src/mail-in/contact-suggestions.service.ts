import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { createContact } from '../contacts/contacts.service.js';
import { NotFound } from '../http/errors.js';
import type { CurrentUser } from '../users/users.service.js';
import { nameFromAddress } from './classify.js';

// People seen in mail at a known account's domain: they join the buying chain only when a person says so.

/** Suggested contacts waiting on an account's page. */
export function openSuggestionsForAccount(db: DbOrTx, accountId: number) {
  return db
    .selectFrom('contact_suggestions')
    .select(['id', 'email', 'name', 'first_seen_at'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'open')
    .orderBy('first_seen_at')
    .limit(20)
    .execute();
}

async function openSuggestion(db: DbOrTx, user: CurrentUser, suggestionId: number) {
  const suggestion = await db
    .selectFrom('contact_suggestions')
    .innerJoin('accounts', 'accounts.id', 'contact_suggestions.account_id')
    .selectAll('contact_suggestions')
    .where('contact_suggestions.id', '=', suggestionId)
    .where('contact_suggestions.status', '=', 'open')
    .where(accountVisibleTo(user))
    .executeTakeFirst();
  if (!suggestion) throw new NotFound('That suggestion');
  return suggestion;
}

/** One tap: the suggested person joins the buying chain (no roles yet). Call inside a transaction. */
export async function confirmSuggestion(db: DbOrTx, clock: Clock, user: CurrentUser, suggestionId: number) {
  const suggestion = await openSuggestion(db, user, suggestionId);
  const contact = await createContact(db, clock, user, suggestion.account_id, {
    name: (suggestion.name && !suggestion.name.includes('@') ? suggestion.name : nameFromAddress(suggestion.email)).slice(0, 200),
    email: suggestion.email,
    roles: [],
  }, { context: `mail:suggestion:${suggestion.id}` });
  await db
    .updateTable('contact_suggestions')
    .set({ status: 'confirmed', contact_id: contact.id, resolved_at: clock.now().toISOString(), resolved_by: user.id })
    .where('id', '=', suggestion.id)
    .execute();
  return contact;
}

export async function dismissSuggestion(db: DbOrTx, clock: Clock, user: CurrentUser, suggestionId: number) {
  const suggestion = await openSuggestion(db, user, suggestionId);
  await db
    .updateTable('contact_suggestions')
    .set({ status: 'dismissed', resolved_at: clock.now().toISOString(), resolved_by: user.id })
    .where('id', '=', suggestion.id)
    .execute();
  return suggestion;
}
