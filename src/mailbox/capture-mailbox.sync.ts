import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { MessageRefused } from '../mail-in/message-reader.js';
import { captureAddressesIn, handleCapturedMessage } from './capture-address.js';
import { type FolderBookmarks, type ImapSettings, claimant, describeError, readFolder, withImap } from './mailbox.sync.js';

// The shared capture mailbox (MAIL_CAPTURE_ADDRESS, read with MAIL_CAPTURE_IMAP_*): reps BCC or
// forward to their own log+<token>@… and the delivery lands here. Its INBOX is read like a
// connected mailbox (the same folder reader: UIDVALIDITY/UID bookmark, 90 days back, size limit),
// claimed in the database so that one process reads it at a time, and each message is routed by the
// secret address among its recipients to that address's user, through the one mail path, only when
// its From is that user's own address. Anything else is a log line and leaves nothing behind.

export interface CaptureSyncContext {
  db: Db;
  clock: Clock;
  logger: Logger;
  captureAddress: string;
  imap: ImapSettings;
}

/** Read again this long after the last read: BCC'd mail should show within a minute or two. */
export const captureEveryMinutes = 1;
/** A read that takes longer than this is presumed dead, and another process may take over. */
const leaseMinutes = 15;

const mailboxKey = (imap: ImapSettings) => `${imap.username}@${imap.host}`.toLowerCase();

/** Claims the capture mailbox for this process when it is due; false when it is not, or another process holds it. */
export async function claimCaptureMailbox(db: Db, clock: Clock, imap: ImapSettings): Promise<boolean> {
  const now = clock.now();
  const mailbox = mailboxKey(imap);
  await db.insertInto('capture_mailbox').values({ mailbox, uid_validity: null, last_error: null, last_synced_at: null, claimed_by: null, claimed_until: null }).onConflict((conflict) => conflict.column('mailbox').doNothing()).execute();
  // The conditions are checked by the update itself: of two processes, one wins.
  const claimed = await db
    .updateTable('capture_mailbox')
    .set({ claimed_by: claimant, claimed_until: new Date(now.getTime() + leaseMinutes * 60_000).toISOString(), status: 'syncing' })
    .where('mailbox', '=', mailbox)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now.toISOString())]))
    .where((eb) => eb.or([eb('last_synced_at', 'is', null), eb('last_synced_at', '<', new Date(now.getTime() - captureEveryMinutes * 60_000).toISOString())]))
    .returning('mailbox')
    .executeTakeFirst();
  return claimed !== undefined;
}

/** Routes one message of the capture mailbox; throws MessageRefused (logged, nothing stored) when it is not any user's. */
async function routeCapturedMessage({ db, clock, logger, captureAddress }: CaptureSyncContext, raw: Buffer) {
  const addresses = captureAddressesIn(raw, captureAddress);
  if (addresses.length === 0) throw new MessageRefused(`no ${captureAddress.replace('@', '+<token>@')} address among its recipients`);
  // Usually one; a message to two secret addresses is each one's only if its From is that user's.
  let handled = false;
  for (const address of addresses) {
    try {
      await handleCapturedMessage(db, clock, address, raw);
      handled = true;
    } catch (error) {
      if (!(error instanceof MessageRefused) || addresses.length === 1) throw error;
      logger.warn({ capture_mailbox: true }, `capture mail refused for one of its addresses: ${error.message}`);
    }
  }
  if (!handled) throw new MessageRefused('none of its capture addresses belongs to its sender');
}

/** Reads the capture mailbox when this process can claim it; returns false when it was not due or taken. */
export async function runCaptureMailboxTick(context: CaptureSyncContext): Promise<boolean> {
  const { db, clock, logger, imap } = context;
  if (!(await claimCaptureMailbox(db, clock, imap))) return false;
  const mailbox = mailboxKey(imap);
  const logFields = { capture_mailbox: true };
  const bookmarks: FolderBookmarks = {
    load: async () => {
      const row = await db.selectFrom('capture_mailbox').select(['uid_validity', 'last_uid']).where('mailbox', '=', mailbox).executeTakeFirstOrThrow();
      return row.uid_validity === null ? undefined : { uid_validity: row.uid_validity, last_uid: row.last_uid };
    },
    save: async (_folder, uidValidity, lastUid) => {
      await db.updateTable('capture_mailbox').set({ uid_validity: uidValidity, last_uid: lastUid }).where('mailbox', '=', mailbox).execute();
    },
  };
  let failure: string | null = null;
  try {
    const counts = await withImap(imap, logger, logFields, (client) => readFolder(context, client, 'INBOX', bookmarks, logFields, (raw) => routeCapturedMessage(context, raw)));
    if (counts.handled + counts.refused > 0) logger.info({ ...logFields, ...counts }, 'capture mailbox read');
  } catch (error) {
    failure = describeError(error, imap.password);
    logger.warn({ ...logFields, error: failure }, 'capture mailbox sync failed');
  }
  await db
    .updateTable('capture_mailbox')
    .set({ status: failure ? 'error' : 'ok', last_error: failure, last_synced_at: clock.now().toISOString(), claimed_by: null, claimed_until: null })
    .where('mailbox', '=', mailbox)
    .where('claimed_by', '=', claimant)
    .execute();
  return true;
}
