import type { Generated, Selectable } from 'kysely';

export interface AuditEventsTable {
  id: Generated<number>;
  entity_type: 'contact' | 'account' | 'touchpoint';
  entity_id: number;
  account_id: number;
  user_id: number | null;
  action: string;
  /** JSON: { field: [before, after] }. */
  changes: string;
  /** Where the change was made, e.g. "touchpoint:42" for something learned at a meeting. */
  context: string | null;
  at: string;
  /** The entity's version after this change (null on rows written before versions were recorded). */
  entity_version: number | null;
}

export type AuditEventRow = Selectable<AuditEventsTable>;
