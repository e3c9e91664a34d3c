import type { DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import type { CurrentUser } from '../users/users.service.js';

/** The prospect account opened by following this contact to their new company, if the viewer may see it. */
export function findFollowedAccount(db: DbOrTx, user: CurrentUser, contactId: number) {
  return db
    .selectFrom('accounts')
    .select(['accounts.id', 'accounts.name'])
    .where('accounts.origin_contact_id', '=', contactId)
    .where(accountVisibleTo(user))
    .executeTakeFirst();
}
