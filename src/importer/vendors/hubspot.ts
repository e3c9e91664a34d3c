import type { VendorTable } from './vendor-table.js';

// HubSpot's exports, as "Export records" writes them (one CSV per object, the column headers being
// the properties' labels):
// - https://knowledge.hubspot.com/import-and-export/export-records
// - default contact properties (First Name, Last Name, Email, Phone Number, Mobile Phone Number,
//   Job Title, Company Name, Contact owner, Lifecycle Stage, Buying Role = hs_buying_role, whose
//   internal values are BUDGET_HOLDER, CHAMPION, DECISION_MAKER, END_USER, EXECUTIVE_SPONSOR,
//   INFLUENCER, LEGAL_AND_COMPLIANCE, BLOCKER, OTHER):
//   https://knowledge.hubspot.com/properties/hubspots-default-contact-properties
// - default company properties (Company name, Company owner, Lifecycle Stage, Type):
//   https://knowledge.hubspot.com/properties/hubspot-crm-default-company-properties
// - activities (calls, meetings, emails, notes) export with "Activity date", "Activity type",
//   "Associated Contact IDs", "Associated Company IDs", "Meeting location":
//   https://knowledge.hubspot.com/records/export-activities and
//   https://community.hubspot.com/t5/CRM/Export-Notes/m-p/737750
// Associations export as "Associated Company IDs" (one id, or several separated by ";") and
// "Associated Company" (the name).
export const hubspot: VendorTable = {
  vendor: 'hubspot',
  files: [
    {
      kind: 'accounts',
      label: 'companies export',
      signature: ['Record ID', 'Company name'],
      columns: {
        'Record ID': 'source_id',
        'Company name': 'name',
        'Name': 'name',
        'Company owner': 'owner',
        'Lifecycle Stage': 'status',
        'Type': 'status',
      },
    },
    {
      kind: 'contacts',
      label: 'contacts export',
      signature: ['Record ID', 'First Name', 'Last Name'],
      columns: {
        'Record ID': 'source_id',
        'First Name': 'first_name',
        'Last Name': 'last_name',
        'Email': 'email',
        'Phone Number': 'phone',
        'Mobile Phone Number': 'mobile_phone',
        'Job Title': 'title',
        'Company Name': 'account_name',
        'Associated Company': 'account_name',
        'Associated Company IDs': 'account_id',
        'Associated Company IDs (Primary)': 'account_id',
        'Primary Associated Company ID': 'account_id',
        'Contact owner': 'owner',
        'Lifecycle Stage': 'status',
        'Buying Role': 'roles',
        'Date of birth': 'birthday',
      },
    },
    {
      kind: 'activities',
      label: 'activities export',
      signature: ['Record ID', 'Activity date'],
      columns: {
        'Record ID': 'source_id',
        'Activity type': 'kind',
        'Activity date': 'occurred_at',
        'Activity assigned to': 'owner',
        'Call Title': 'subject',
        'Meeting name': 'subject',
        'Email subject': 'subject',
        'Call notes': 'body',
        'Meeting description': 'body',
        'Email body': 'body',
        'Note body': 'body',
        'Meeting location': 'location',
        'Associated Contact IDs': 'contact_ids',
        'Associated Company IDs': 'account_id',
      },
    },
  ],
  roles: {
    DECISION_MAKER: 'decision_maker',
    BUDGET_HOLDER: 'decision_maker',
    EXECUTIVE_SPONSOR: 'boss',
    CHAMPION: 'champion',
    INFLUENCER: 'influencer',
    BLOCKER: 'influencer',
    LEGAL_AND_COMPLIANCE: 'influencer',
    END_USER: 'user',
    OTHER: null,
  },
  statuses: {
    SUBSCRIBER: 'prospect',
    LEAD: 'prospect',
    MARKETINGQUALIFIEDLEAD: 'prospect',
    MARKETING_QUALIFIED_LEAD: 'prospect',
    SALESQUALIFIEDLEAD: 'prospect',
    SALES_QUALIFIED_LEAD: 'prospect',
    OPPORTUNITY: 'prospect',
    PROSPECT: 'prospect',
    CUSTOMER: 'customer',
    EVANGELIST: 'customer',
    PARTNER: null,
    RESELLER: null,
    VENDOR: null,
    OTHER: null,
  },
  kinds: {
    CALL: 'call',
    MEETING: 'meeting',
    EMAIL: 'email',
    INCOMING_EMAIL: 'email',
    FORWARDED_EMAIL: 'email',
    NOTE: 'note',
    TASK: null,
  },
  ignored: {
    'Lead Status': 'Buychain has no lead status',
    'Create Date': 'Buychain dates records from the import',
    'Last Activity Date': 'worked out again from the imported history',
    'Company Domain Name': 'Buychain keeps no company domain',
  },
};
