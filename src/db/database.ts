import type { Kysely, Transaction } from 'kysely';
import type { AccountsTable } from '../accounts/accounts.table.js';
import type { AuditEventsTable } from '../audit/audit.table.js';
import type { CalendarFeedsTable } from '../calendar-feed/calendar-feed.table.js';
import type { CompanySettingsTable } from '../company/company.table.js';
import type { CommitmentsTable } from '../commitments/commitments.table.js';
import type { ComplaintCategoriesTable, ComplaintsTable } from '../complaints/complaints.table.js';
import type { ContactRolesTable, ContactsTable } from '../contacts/contacts.table.js';
import type { DepartureAlertsTable } from '../departure-alerts/departure-alerts.table.js';
import type { DigestDeliveriesTable } from '../digest/digest.table.js';
import type { ImportFileChunksTable, ImportMappingsTable, ImportRowsTable, ImportSourceIdsTable, ImportUploadsTable } from '../importer/importer.table.js';
import type { JobRunsTable } from '../jobs/job-runs.table.js';
import type {
  ContactSuggestionsTable,
  DepartureSignalsTable,
  MailMessagesTable,
  PlannedMeetingContactsTable,
  PlannedMeetingsTable,
} from '../mail-in/mail-in.table.js';
import type { CaptureMailboxTable, CaptureTokensTable, MailboxFoldersTable, MailboxesTable } from '../mailbox/mailbox.table.js';
import type { AccountRiskTable, RiskSnapshotsTable } from '../risk/risk.table.js';
import type { DeletedTouchpointsTable, TouchpointContactsTable, TouchpointsTable } from '../touchpoints/touchpoints.table.js';
import type { ApiTokensTable, LoginThrottlesTable, PasswordResetsTable, SessionsTable, UsersTable } from '../users/users.table.js';

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_throttles: LoginThrottlesTable;
  password_resets: PasswordResetsTable;
  accounts: AccountsTable;
  contacts: ContactsTable;
  contact_roles: ContactRolesTable;
  touchpoints: TouchpointsTable;
  touchpoint_contacts: TouchpointContactsTable;
  deleted_touchpoints: DeletedTouchpointsTable;
  commitments: CommitmentsTable;
  complaints: ComplaintsTable;
  complaint_categories: ComplaintCategoriesTable;
  audit_events: AuditEventsTable;
  digest_deliveries: DigestDeliveriesTable;
  risk_snapshots: RiskSnapshotsTable;
  account_risk: AccountRiskTable;
  job_runs: JobRunsTable;
  import_uploads: ImportUploadsTable;
  import_rows: ImportRowsTable;
  import_source_ids: ImportSourceIdsTable;
  import_file_chunks: ImportFileChunksTable;
  import_mappings: ImportMappingsTable;
  calendar_feeds: CalendarFeedsTable;
  departure_alerts: DepartureAlertsTable;
  company_settings: CompanySettingsTable;
  mail_messages: MailMessagesTable;
  contact_suggestions: ContactSuggestionsTable;
  departure_signals: DepartureSignalsTable;
  planned_meetings: PlannedMeetingsTable;
  planned_meeting_contacts: PlannedMeetingContactsTable;
  mailboxes: MailboxesTable;
  mailbox_folders: MailboxFoldersTable;
  capture_tokens: CaptureTokensTable;
  capture_mailbox: CaptureMailboxTable;
}

export type Db = Kysely<Database>;
/** A database handle or an open transaction: services accept either. */
export type DbOrTx = Kysely<Database> | Transaction<Database>;
