import type { Generated, Selectable } from 'kysely';

export const accountStatuses = ['prospect', 'customer', 'former'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

export interface AccountsTable {
  id: Generated<number>;
  name: string;
  /** The name as compared among the owner's accounts (see accountNameKey); unique per owner, null only on twins kept from before the key existed. */
  name_key: string | null;
  owner_id: number;
  status: AccountStatus;
  meeting_cadence_days: Generated<number>;
  notes: Generated<string>;
  archived: Generated<number>;
  customer_since: string | null;
  /** For a prospect opened by following a contact who left a customer: that contact. */
  origin_contact_id: number | null;
  version: Generated<number>;
  /** Bumped whenever something the risk rules read changes; cached risk of an older version is stale. */
  risk_version: Generated<number>;
  /** Latest touchpoint, maintained when one is logged. */
  last_touchpoint_at: Generated<string | null>;
  created_at: string;
  updated_at: string;
}

export type AccountRow = Selectable<AccountsTable>;
