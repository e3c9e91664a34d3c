import type { Generated, Selectable } from 'kysely';

export interface ComplaintsTable {
  id: Generated<number>;
  account_id: number;
  contact_id: number | null;
  category: string;
  issue: string;
  raised_on: string;
  acknowledged_on: string | null;
  acknowledged_by_id: number | null;
  resolution: string | null;
  response: string | null;
  resolved_on: string | null;
  resolved_by_id: number | null;
  follow_up_due_on: string | null;
  verified_on: string | null;
  verified_by_id: number | null;
  satisfied: number | null;
  outcome: string | null;
  internal_notes: Generated<string>;
  created_at: string;
  updated_at: string;
}

export type ComplaintRow = Selectable<ComplaintsTable>;

/** The short, editable list complaints are counted by; retired categories stay for old complaints. */
export interface ComplaintCategoriesTable {
  id: Generated<number>;
  name: string;
  position: number;
  active: Generated<number>;
}
