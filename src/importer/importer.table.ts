import type { Generated, Selectable } from 'kysely';

/** A file read for import: its rows wait in import_rows between the preview and the import. */
export interface ImportUploadsTable {
  id: Generated<number>;
  user_id: number;
  file_name: string;
  /** JSON array of header columns that are not ours. */
  ignored_columns: string;
  created_at: string;
}

/** One line of an uploaded file, checked: a problem, or what it asks for, in our columns. */
export interface ImportRowsTable {
  upload_id: number;
  line: number;
  problem: string | null;
  owner_id: number | null;
  account_name: string | null;
  /** The account's name key (see accountNameKey), matched per owner. */
  account_key: string | null;
  account_status: string | null;
  customer_since: string | null;
  /** The first row without problems naming its account (owner and key): it decides status and customer-since. */
  first_of_account: Generated<number>;
  /** JSON of the contact's fields (NewContactInput), when the row names one. */
  contact: string | null;
  email_key: string | null;
  /** The contact's name, lower-cased: people without an email match by name within their account. */
  contact_name_key: string | null;
}

export type ImportRowRecord = Selectable<ImportRowsTable>;

/** What a record of a vendor's export became here (see the vendor_imports migration). */
export interface ImportSourceIdsTable {
  scope: number;
  source: string;
  object: string;
  source_id: string;
  our_id: number;
  parent_source_id: string | null;
  run_key: string;
  run_file: number;
  run_line: number;
}

/** A file chosen on the import page, kept in pieces between the preview and the import. */
export interface ImportFileChunksTable {
  upload_id: number;
  file_index: number;
  chunk: number;
  file_name: string;
  bytes: Buffer;
}

/** A column mapping someone chose on the page, reused for the same header. */
export interface ImportMappingsTable {
  user_id: number;
  header_hash: string;
  /** JSON object: header → field name, or "" for ignored. */
  mapping: string;
  updated_at: string;
}
