import type { DbOrTx } from '../db/database.js';
import { openSuggestionsForAccount } from './contact-suggestions.service.js';
import { openSignalsForAccount } from './departure-signals.service.js';

/** What mail capture found on an account (already authorized) that waits for a person: for its page. */
export async function mailFindingsForAccount(db: DbOrTx, accountId: number) {
  const [departureSignals, suggestions] = await Promise.all([openSignalsForAccount(db, accountId), openSuggestionsForAccount(db, accountId)]);
  return { departureSignals, suggestions };
}
