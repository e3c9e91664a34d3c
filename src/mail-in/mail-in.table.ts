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

export const meetingStatuses = ['planned', 'cancelled', 'held'] as const;
export type MeetingStatus = (typeof meetingStatuses)[number];

/** A meeting from a calendar invitation, on one account. */
export interface PlannedMeetingsTable {
  id: Generated<number>;
  account_id: number;
  /** The invitation's UID: its updates and cancellation find it by this. */
  uid: string;
  sequence: number;
  /** The DTSTAMP of the version applied, to order updates that keep the SEQUENCE. */
  stamped_at: string | null;
  starts_at: string;
  ends_at: string;
  title: string;
  location: Generated<string>;
  status: Generated<MeetingStatus>;
  /** The rep's answer: 1 outside the office, 0 not, null not answered (never guessed). */
  outside_office: number | null;
  /** The touchpoint it became once held. */
  touchpoint_id: number | null;
  found_by: number;
  created_at: string;
  updated_at: string;
}

export interface PlannedMeetingContactsTable {
  meeting_id: number;
  contact_id: number;
}
