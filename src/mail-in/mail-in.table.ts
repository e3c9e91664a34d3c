import type { Generated, Selectable } from 'kysely';

/** Every message a user's mail brought that Buychain kept something from, so it is handled once. */
export interface MailMessagesTable {
  user_id: number;
  message_id: string;
  /** What became of it: a touchpoint, a signal, a meeting… (for whoever investigates). */
  outcome: string;
  handled_at: string;
}

export const suggestionStatuses = ['open', 'confirmed', 'dismissed'] as const;
export type SuggestionStatus = (typeof suggestionStatuses)[number];

/** Someone at a known account's domain who wrote or was written to, not yet in the buying chain. */
export interface ContactSuggestionsTable {
  id: Generated<number>;
  account_id: number;
  email: string;
  name: string | null;
  status: Generated<SuggestionStatus>;
  contact_id: number | null;
  first_seen_at: string;
  resolved_at: string | null;
  resolved_by: number | null;
}

export const departureSignalKinds = ['auto_reply', 'bounce'] as const;
export type DepartureSignalKind = (typeof departureSignalKinds)[number];
export const departureSignalStatuses = ['open', 'confirmed', 'dismissed'] as const;
export type DepartureSignalStatus = (typeof departureSignalStatuses)[number];

/** An automatic reply saying a contact left, or a permanent bounce for their address. */
export interface DepartureSignalsTable {
  id: Generated<number>;
  contact_id: number;
  account_id: number;
  kind: DepartureSignalKind;
  received_at: string;
  excerpt: string;
  message_id: string;
  replacement_contact_id: number | null;
  replacement_name: string | null;
  replacement_email: string | null;
  status: Generated<DepartureSignalStatus>;
  /** Whose mail it came in. */
  found_by: number;
  created_at: string;
  resolved_at: string | null;
  resolved_by: number | null;
}

export type DepartureSignalRow = Selectable<DepartureSignalsTable>;
export type ContactSuggestionRow = Selectable<ContactSuggestionsTable>;
