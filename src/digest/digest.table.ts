import type { Generated } from 'kysely';

/** The weekly emails that share the claim-and-retry machinery: the manager's team digest, the rep's own week. */
export type WeeklyEmailKind = 'team_digest' | 'rep_week';

export interface DigestDeliveriesTable {
  id: Generated<number>;
  kind: Generated<WeeklyEmailKind>;
  /** The recipient: a manager for the team digest, any account owner for their week. */
  manager_id: number;
  iso_week: string;
  status: 'sending' | 'sent' | 'failed';
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: string | null;
  subject: string | null;
  message_id: string | null;
  sent_at: string | null;
  /** When the latest attempt started. */
  attempted_at: string | null;
  created_at: string;
}
