import type { Generated } from 'kysely';

/** Why the alert was raised: a status change, or (later) a departure signal read from mail. */
export type DepartureAlertReason = 'leaving' | 'left' | 'signal';
export type DepartureAlertStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

/** The outbox of "a key contact is leaving" emails: written with the change, sent by one process. */
export interface DepartureAlertsTable {
  id: Generated<number>;
  /** Unique: the same event never raises two alerts ("left:12", "leaving:12", "signal:…"). */
  event_key: string;
  contact_id: number;
  account_id: number;
  reason: DepartureAlertReason;
  status: Generated<DepartureAlertStatus>;
  attempts: Generated<number>;
  next_attempt_at: string | null;
  /** Why it failed, or why it was not sent (no manager, opted out). */
  last_error: string | null;
  recipient_id: number | null;
  subject: string | null;
  message_id: string | null;
  created_at: string;
  attempted_at: string | null;
  sent_at: string | null;
}
