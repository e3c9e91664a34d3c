import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { ValidationFailed } from '../http/errors.js';
import type { CurrentUser } from '../users/users.service.js';
import { CredentialsKeyMissing, credentialsKey, encryptSecret } from './credentials.js';
import type { MailboxInput } from './mailbox.schemas.js';

/** What the settings page shows: never the password. */
export function mailboxStatusFor(db: DbOrTx, userId: number) {
  return db
    .selectFrom('mailboxes')
    .select(['host', 'port', 'tls', 'username', 'status', 'last_error', 'last_synced_at', 'created_at'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * Connects (or reconnects) the user's mailbox: the app password is stored only encrypted, and the
 * folder bookmarks start afresh. Refuses when the server has no MAIL_CREDENTIALS_KEY.
 */
export async function connectMailbox(db: DbOrTx, clock: Clock, keyValue: string | undefined, user: CurrentUser, input: MailboxInput) {
  let key: Buffer;
  try {
    key = credentialsKey(keyValue);
  } catch (error) {
    if (error instanceof CredentialsKeyMissing) throw new ValidationFailed({ password: error.message }, error.message);
    throw error;
  }
  const now = clock.now().toISOString();
  const row = {
    host: input.host,
    port: input.port,
    tls: input.tls ? 1 : 0,
    username: input.username,
    secret: encryptSecret(key, user.id, input.password),
    status: 'waiting' as const,
    last_error: null,
    last_synced_at: null,
    claimed_by: null,
    claimed_until: null,
    updated_at: now,
  };
  await db.deleteFrom('mailbox_folders').where('user_id', '=', user.id).execute();
  await db
    .insertInto('mailboxes')
    .values({ ...row, user_id: user.id, created_at: now })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet(row))
    .execute();
}

/** Disconnect: the credentials and bookmarks are deleted; what was logged stays. */
export async function disconnectMailbox(db: DbOrTx, user: CurrentUser) {
  await db.deleteFrom('mailbox_folders').where('user_id', '=', user.id).execute();
  await db.deleteFrom('mailboxes').where('user_id', '=', user.id).execute();
}
