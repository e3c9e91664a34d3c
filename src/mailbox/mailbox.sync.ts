import os from 'node:os';
import { Cron } from 'croner';
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { handleMessage } from '../mail-in/mail-in.service.js';
import { MessageRefused, maxMessageBytes } from '../mail-in/message-reader.js';
import { holdPastMeetings } from '../mail-in/meetings.service.js';
import { findActiveUser } from '../users/users.service.js';
import { credentialsKey, decryptSecret } from './credentials.js';
import type { MailboxesTable } from './mailbox.table.js';

// The background sync: a mailbox is claimed in the database (a lease on its row, so two app
// processes never sync it at once), then INBOX and Sent are read incrementally with imapflow from
// the last UID seen (the first time, 90 days back; all again if UIDVALIDITY changed). Every message
// goes through the one mail-in path; one that is refused is logged and skipped, the rest goes on.

export const claimant = `${os.hostname()}#${process.pid}`;
/** A sync that takes longer than this is presumed dead, and another process may take the mailbox. */
const leaseMinutes = 15;
/** A mailbox is synced again this long after its last sync. */
export const syncEveryMinutes = 5;
const firstSyncDays = 90;
/** At most this many messages per folder per run; the bookmark carries the rest to the next run. */
const messagesPerRun = 500;

export interface SyncContext {
  db: Db;
  clock: Clock;
  logger: Logger;
  mailCredentialsKey?: string;
}

type Mailbox = MailboxesTable;

/** Claims one mailbox that is due, for this process only; undefined when none is. */
export async function claimDueMailbox(db: Db, clock: Clock): Promise<Mailbox | undefined> {
  const now = clock.now();
  const dueBefore = new Date(now.getTime() - syncEveryMinutes * 60_000).toISOString();
  const candidate = await db
    .selectFrom('mailboxes')
    .select('user_id')
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now.toISOString())]))
    .where((eb) => eb.or([eb('last_synced_at', 'is', null), eb('last_synced_at', '<', dueBefore)]))
    .orderBy('last_synced_at')
    .limit(1)
    .executeTakeFirst();
  if (!candidate) return undefined;
  // The condition is checked again by the update itself: of two processes, one wins.
  return db
    .updateTable('mailboxes')
    .set({ claimed_by: claimant, claimed_until: new Date(now.getTime() + leaseMinutes * 60_000).toISOString(), status: 'syncing' })
    .where('user_id', '=', candidate.user_id)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now.toISOString())]))
    .returningAll()
    .executeTakeFirst();
}

/** The error as a person can act on it, never with the password in it. */
export const describeError = (error: unknown, secret: string) =>
  String((error as { responseText?: string }).responseText ?? (error as Error).message ?? error)
    .split(secret)
    .join('***')
    .slice(0, 300);

export interface ImapSettings {
  host: string;
  port: number;
  /** TLS from the start (993); otherwise plain, upgraded with STARTTLS when the server offers it. */
  tls: boolean;
  username: string;
  password: string;
}

/** Connects, lets `work` read, logs out; on failure the connection is closed and the error thrown. */
export async function withImap<T>(settings: ImapSettings, logger: Logger, logFields: object, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.tls,
    auth: { user: settings.username, pass: settings.password },
    logger: false,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 120_000,
  });
  client.on('error', (error) => logger.warn({ ...logFields, err: describeError(error, settings.password) }, 'mailbox connection error'));
  try {
    await client.connect();
    const result = await work(client);
    await client.logout();
    return result;
  } catch (error) {
    client.close();
    throw error;
  }
}

/** Where the last read of a folder stopped, kept by whoever reads it. */
export interface FolderBookmarks {
  load(folder: string): Promise<{ uid_validity: string; last_uid: number } | undefined>;
  save(folder: string, uidValidity: string, lastUid: number): Promise<void>;
}

/** Syncs one claimed mailbox and releases it, recording the status and last error. */
export async function syncMailbox(context: SyncContext, mailbox: Mailbox): Promise<{ handled: number; refused: number }> {
  const { db, clock, logger } = context;
  const counts = { handled: 0, refused: 0 };
  let secret = '';
  let failure: string | null = null;
  const logFields = { user_id: mailbox.user_id };
  try {
    const user = await findActiveUser(db, mailbox.user_id);
    if (!user) throw new Error('the user is disabled');
    secret = decryptSecret(credentialsKey(context.mailCredentialsKey), mailbox.user_id, mailbox.secret);
    const bookmarks: FolderBookmarks = {
      load: (folder) => db.selectFrom('mailbox_folders').select(['uid_validity', 'last_uid']).where('user_id', '=', mailbox.user_id).where('folder', '=', folder).executeTakeFirst(),
      save: async (folder, uidValidity, lastUid) => {
        await db
          .insertInto('mailbox_folders')
          .values({ user_id: mailbox.user_id, folder, uid_validity: uidValidity, last_uid: lastUid })
          .onConflict((conflict) => conflict.columns(['user_id', 'folder']).doUpdateSet({ uid_validity: uidValidity, last_uid: lastUid }))
          .execute();
      },
    };
    const settings = { host: mailbox.host, port: mailbox.port, tls: mailbox.tls === 1, username: mailbox.username, password: secret };
    await withImap(settings, logger, logFields, async (client) => {
      const folders = await client.list();
      const sent = folders.find((folder) => folder.specialUse === '\\Sent')?.path;
      for (const folder of ['INBOX', ...(sent ? [sent] : [])]) {
        const result = await readFolder(context, client, folder, bookmarks, logFields, async (source) => {
          await handleMessage(db, clock, user, source);
        });
        counts.handled += result.handled;
        counts.refused += result.refused;
      }
    });
  } catch (error) {
    failure = describeError(error, secret);
    logger.warn({ ...logFields, error: failure }, 'mailbox sync failed');
  }
  await db
    .updateTable('mailboxes')
    .set({
      status: failure ? 'error' : 'ok',
      last_error: failure,
      last_synced_at: clock.now().toISOString(),
      claimed_by: null,
      claimed_until: null,
      updated_at: clock.now().toISOString(),
    })
    .where('user_id', '=', mailbox.user_id)
    .where('claimed_by', '=', claimant)
    .execute();
  return counts;
}

/**
 * Reads what is new in one folder since its bookmark (the first time, 90 days back; all again if
 * UIDVALIDITY changed), oldest first, at most a run's worth, handing each message to `handle`. A
 * message that is too large, or that `handle` refuses (MessageRefused), is logged and skipped.
 */
export async function readFolder(
  context: Pick<SyncContext, 'clock' | 'logger'>,
  client: ImapFlow,
  folder: string,
  bookmarks: FolderBookmarks,
  logFields: object,
  handle: (source: Buffer) => Promise<void>,
) {
  const { clock, logger } = context;
  const counts = { handled: 0, refused: 0 };
  const lock = await client.getMailboxLock(folder);
  try {
    const opened = client.mailbox;
    if (!opened) return counts;
    const uidValidity = String(opened.uidValidity);
    const bookmark = await bookmarks.load(folder);
    const fresh = !bookmark || bookmark.uid_validity !== uidValidity;
    const since = new Date(clock.now().getTime() - firstSyncDays * 86_400_000);
    // Nothing older than 90 days is read, on the first sync or later (a message appended late with an old date).
    const found = await client.search(fresh ? { since } : { uid: `${bookmark.last_uid + 1}:*`, since }, { uid: true });
    // "n:*" always matches the last message, even one already seen.
    const pending = (found || []).filter((uid) => fresh || uid > bookmark!.last_uid).sort((a, b) => a - b);
    const uids = pending.slice(0, messagesPerRun);
    let lastUid = fresh ? 0 : bookmark!.last_uid;
    if (uids.length > 0) {
      const sizes = new Map<number, number>();
      for await (const message of client.fetch(uids, { uid: true, size: true }, { uid: true })) sizes.set(message.uid, message.size ?? 0);
      const readable = uids.filter((uid) => (sizes.get(uid) ?? 0) <= maxMessageBytes);
      for (const uid of uids.filter((uid) => !readable.includes(uid))) {
        counts.refused++;
        logger.warn({ ...logFields, folder, uid, size: sizes.get(uid) }, `mail refused: message is larger than ${maxMessageBytes / 1024 / 1024} MB`);
      }
      const sources = new Map<number, Buffer>();
      if (readable.length > 0) for await (const message of client.fetch(readable, { uid: true, source: true }, { uid: true })) if (message.source) sources.set(message.uid, message.source);
      for (const uid of uids) {
        const source = sources.get(uid);
        if (source) {
          try {
            await handle(source);
            counts.handled++;
          } catch (error) {
            if (!(error instanceof MessageRefused)) throw error;
            counts.refused++;
            logger.warn({ ...logFields, folder, uid }, `mail refused: ${error.message}`);
          }
        }
        lastUid = uid;
      }
    }
    // All caught up: the bookmark moves past everything the folder holds, old messages included.
    if (pending.length <= messagesPerRun && opened.uidNext > 1) lastUid = Math.max(lastUid, opened.uidNext - 1);
    if (fresh || lastUid !== bookmark!.last_uid) await bookmarks.save(folder, uidValidity, lastUid);
  } finally {
    lock.release();
  }
  return counts;
}

/** One pass: every due mailbox this process can claim, one after another; then past meetings are held. */
export async function runMailboxSyncTick(context: SyncContext): Promise<number> {
  let synced = 0;
  for (let mailbox = await claimDueMailbox(context.db, context.clock); mailbox; mailbox = await claimDueMailbox(context.db, context.clock)) {
    await syncMailbox(context, mailbox);
    synced++;
  }
  await context.db.transaction().execute((trx) => holdPastMeetings(trx, context.clock));
  return synced;
}

/** Runs the sync every few minutes and once at start; started by the server, driven directly in tests. */
export function startMailboxSync(context: SyncContext): Cron {
  const job = new Cron(`*/${syncEveryMinutes} * * * *`, { protect: true, catch: (error) => context.logger.error({ err: error }, 'mailbox sync tick failed') }, async () => {
    await runMailboxSyncTick(context);
  });
  void job.trigger();
  return job;
}
