import type { Generated, Selectable } from 'kysely';

export const contactRoles = ['decision_maker', 'boss', 'user', 'influencer', 'champion'] as const;
export type ContactRole = (typeof contactRoles)[number];

export const contactStatuses = ['active', 'leaving', 'left'] as const;
export type ContactStatus = (typeof contactStatuses)[number];

export const departureNotices = ['told_in_advance', 'surprise'] as const;
export type DepartureNotice = (typeof departureNotices)[number];

export const preferredChannels = ['email', 'phone', 'text', 'in_person', 'video'] as const;

export interface ContactsTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  title: string | null;
  email: string | null;
  /** The email as compared among the account's contacts (see contactEmailKey); unique per account, null without an email or on twins kept from before the key existed. */
  email_key: string | null;
  phone: string | null;
  reports_to_contact_id: number | null;
  started_in_role_on: string | null;
  preferred_channel: string | null;
  preferred_time: string | null;
  /** "MM-DD" or "YYYY-MM-DD". */
  birthday: string | null;
  status: Generated<ContactStatus>;
  leaving_on: string | null;
  left_on: string | null;
  departure_notice: DepartureNotice | null;
  departure_destination: string | null;
  replacement_contact_id: number | null;
  archived: Generated<number>;
  version: Generated<number>;
  /** Touchpoint summary, maintained when a touchpoint is logged (see touchpoints.service). */
  last_touch_at: Generated<string | null>;
  last_outside_meeting_at: Generated<string | null>;
  touchpoint_count: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface ContactRolesTable {
  contact_id: number;
  account_id: number;
  role: ContactRole;
}

export type ContactRow = Selectable<ContactsTable>;
