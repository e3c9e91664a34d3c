import type { AccountStatus } from '../../accounts/accounts.table.js';
import type { ContactRole } from '../../contacts/contacts.table.js';
import type { TouchpointKind } from '../../touchpoints/touchpoints.table.js';

// The shape of a vendor's table (hubspot.ts, salesforce.ts, pipedrive.ts): for each file its
// export writes, the header names and the field each becomes here, and how its values (roles,
// statuses, activity types) translate into ours. Values are matched by their key: upper-cased,
// every run of other characters one "_" ("Decision Maker" and DECISION_MAKER are both
// DECISION_MAKER), so an export's labels and its internal values both match.

export const vendors = ['hubspot', 'salesforce', 'pipedrive'] as const;
export type Vendor = (typeof vendors)[number];

/** What a file holds, in the order a run reads them: owners first, history last. */
export const fileKinds = ['users', 'accounts', 'contacts', 'roles', 'activities'] as const;
export type FileKind = (typeof fileKinds)[number];

/** What a column can become. */
export const vendorFields = [
  'source_id',
  'name',
  'first_name',
  'last_name',
  'title',
  'email',
  'phone',
  'mobile_phone',
  'birthday',
  'roles',
  'status',
  'account_id',
  'account_name',
  'contact_id',
  'contact_ids',
  'reports_to_id',
  'reports_to_name',
  'owner',
  'owner_id',
  'kind',
  'subkind',
  'occurred_at',
  'occurred_on',
  'occurred_time',
  'subject',
  'body',
  'location',
  'done',
] as const;
export type VendorField = (typeof vendorFields)[number];

export interface VendorFile {
  kind: FileKind;
  /** How people call this file ("Contact.csv", "contacts export"). */
  label: string;
  /** Headers that tell this file from the vendor's others: all must be present. */
  signature: string[];
  /** Header (as the export writes it, matched ignoring case) → field. */
  columns: Record<string, VendorField>;
  /** The touchpoint kind of every row, for files of one kind (Salesforce Event.csv). */
  kind_of_every_row?: TouchpointKind;
}

/** A value's translation; null: known, and deliberately not kept (the preview says so). */
export type Translation<T> = Record<string, T | null>;

export interface VendorTable {
  vendor: Vendor;
  files: VendorFile[];
  roles: Translation<ContactRole>;
  statuses: Translation<AccountStatus>;
  kinds: Translation<TouchpointKind>;
  /** "Done" values of activities: an activity not done is planned, not history. */
  done?: string[];
  /** Why common columns are not kept, by header; others get a general reason. */
  ignored: Record<string, string>;
}

/** A value as the tables key it. */
export const valueKey = (value: string) =>
  value
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
