import type { Generated } from 'kysely';

export const mailboxStatuses = ['waiting', 'syncing', 'ok', 'error'] as const;
export type MailboxStatus = (typeof mailboxStatuses)[number];

/** A user's connected IMAP mailbox. */
export interface MailboxesTable {
  user_id: number;
  host: string;
  port: number;
  /** 1: TLS from the start (port 993); 0: plain, upgraded with STARTTLS when the server offers it. */
  tls: number;
  username: string;
  /** The app password, AES-256-GCM encrypted (see credentials.ts); never shown again. */
  secret: string;
  status: MailboxStatus;
  last_error: string | null;
  last_synced_at: string | null;
  /** The lease: which process syncs it, until when. */
  claimed_by: string | null;
  claimed_until: string | null;
  created_at: string;
  updated_at: string;
}

/** Where the last sync of a folder stopped. */
export interface MailboxFoldersTable {
  user_id: number;
  folder: string;
  uid_validity: string;
  last_uid: number;
}

/** A user's secret for the capture address (log+<token>@…); only the hash is kept. */
export interface CaptureTokensTable {
  token_hash: string;
  user_id: number;
  created_at: string;
}

/** The shared capture mailbox read over IMAP (MAIL_CAPTURE_IMAP_*): its lease and INBOX bookmark. */
export interface CaptureMailboxTable {
  /** `user@host` of the IMAP login: another capture mailbox starts afresh. */
  mailbox: string;
  uid_validity: string | null;
  last_uid: Generated<number>;
  status: Generated<MailboxStatus>;
  last_error: string | null;
  last_synced_at: string | null;
  claimed_by: string | null;
  claimed_until: string | null;
}
