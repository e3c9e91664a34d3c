import type { Generated } from 'kysely';

export interface DigestDeliveriesTable {
  id: Generated<number>;
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
