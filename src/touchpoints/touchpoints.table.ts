import type { Generated, Selectable } from 'kysely';

export const touchpointKinds = [
  'meeting',
  'coffee',
  'meal',
  'call',
  'email',
  'service_call',
  'delivery',
  'event',
  'note',
] as const;
export type TouchpointKind = (typeof touchpointKinds)[number];

export const touchpointLocations = ['outside_office', 'customer_office', 'virtual', 'phone'] as const;
export type TouchpointLocation = (typeof touchpointLocations)[number];

/** Kinds that count as meeting the decision-maker face to face (with an outside_office location). */
export const faceToFaceKinds: readonly TouchpointKind[] = ['meeting', 'coffee', 'meal'];

/** Every kind but a note involves someone at the customer: it is not logged with nobody there. */
export const kindNeedsParticipants = (kind: TouchpointKind) => kind !== 'note';
export const participantsRequired = 'Tick who was there, or add someone new; only a note is logged with nobody';

/** How long a deleted touchpoint can be restored; after that it is gone. */
export const restorableDays = 30;

export interface TouchpointsTable {
  id: Generated<number>;
  account_id: number;
  author_id: number;
  kind: TouchpointKind;
  occurred_at: string;
  location: TouchpointLocation;
  summary: Generated<string>;
  internal_notes: Generated<string>;
  value_delivered: Generated<string>;
  testimonial_url: string | null;
  next_step: string | null;
  next_step_due_on: string | null;
  /** "email" when captured from mail; null when typed. */
  source: Generated<'email' | null>;
  /** The captured message's Message-ID: one touchpoint per message per account. */
  message_id: Generated<string | null>;
  /** Imported history: the record it came from ("<importing user id>/<vendor>/<record id>", unique in the account), so a second import creates it once. */
  import_key: Generated<string | null>;
  created_at: string;
}

export interface TouchpointContactsTable {
  touchpoint_id: number;
  contact_id: number;
  account_id: number;
  occurred_at: string;
  kind: TouchpointKind;
  location: TouchpointLocation;
}

export type TouchpointRow = Selectable<TouchpointsTable>;

/** A deleted touchpoint, kept whole (row, participants, linked promises) for `restorableDays`. */
export interface DeletedTouchpointsTable {
  id: Generated<number>;
  touchpoint_id: number;
  account_id: number;
  author_id: number;
  deleted_by_id: number;
  deleted_at: string;
  /** JSON: { touchpoint, contact_ids, commitment_ids }. */
  snapshot: string;
}
