import type { Generated, Selectable } from 'kysely';

export interface CommitmentsTable {
  id: Generated<number>;
  account_id: number;
  contact_id: number | null;
  owner_id: number;
  description: string;
  due_on: string;
  done_at: string | null;
  source: Generated<'manual' | 'touchpoint' | 'playbook' | 'complaint'>;
  touchpoint_id: number | null;
  /** Set on departure-playbook steps: the contact whose departure created them. */
  departed_contact_id: number | null;
  playbook_step: string | null;
  /** Why a playbook step closed itself (it no longer applies); null when someone did it. */
  closed_reason: Generated<string | null>;
  /** Set on a complaint's satisfaction follow-up: the complaint it verifies. */
  complaint_id: Generated<number | null>;
  created_at: string;
}

export type CommitmentRow = Selectable<CommitmentsTable>;
