import type { VendorTable } from './vendor-table.js';

// Pipedrive's exports (Organizations, People, Activities list views → Export, CSV): every header
// is "<Entity> - <Field>":
// - https://support.pipedrive.com/en/article/exporting-data-from-pipedrive
// - activity types (call, meeting, task, deadline, email, lunch) and the "Done"/"To do" state:
//   https://support.pipedrive.com/en/article/activity-types and the API's activity fields (type,
//   done, due_date, due_time, location, person_id, org_id, note)
// - organization labels (Customer, Hot lead, Warm lead, Cold lead) are the defaults of
//   https://support.pipedrive.com/en/article/labels
export const pipedrive: VendorTable = {
  vendor: 'pipedrive',
  files: [
    {
      kind: 'accounts',
      label: 'organizations export',
      signature: ['Organization - ID', 'Organization - Name'],
      columns: {
        'Organization - ID': 'source_id',
        'Organization - Name': 'name',
        'Organization - Owner': 'owner',
        'Organization - Label': 'status',
        'Organization - Labels': 'status',
      },
    },
    {
      kind: 'contacts',
      label: 'people export',
      signature: ['Person - ID', 'Person - Name'],
      columns: {
        'Person - ID': 'source_id',
        'Person - Name': 'name',
        'Person - First name': 'first_name',
        'Person - Last name': 'last_name',
        'Person - Organization': 'account_name',
        'Person - Organization ID': 'account_id',
        'Organization - ID': 'account_id',
        'Person - Email': 'email',
        'Person - Email - Work': 'email',
        'Person - Phone': 'phone',
        'Person - Phone - Work': 'phone',
        'Person - Phone - Mobile': 'mobile_phone',
        'Person - Job title': 'title',
        'Person - Owner': 'owner',
        'Person - Birthday': 'birthday',
      },
    },
    {
      kind: 'activities',
      label: 'activities export',
      signature: ['Activity - ID', 'Activity - Type'],
      columns: {
        'Activity - ID': 'source_id',
        'Activity - Type': 'kind',
        'Activity - Subject': 'subject',
        'Activity - Note': 'body',
        'Activity - Due date': 'occurred_on',
        'Activity - Due time': 'occurred_time',
        'Activity - Done': 'done',
        'Activity - Location': 'location',
        'Activity - Assigned to user': 'owner',
        'Person - ID': 'contact_ids',
        'Activity - Person ID': 'contact_ids',
        'Organization - ID': 'account_id',
        'Activity - Organization ID': 'account_id',
      },
    },
  ],
  roles: {},
  statuses: {
    CUSTOMER: 'customer',
    HOT_LEAD: 'prospect',
    WARM_LEAD: 'prospect',
    COLD_LEAD: 'prospect',
  },
  kinds: {
    CALL: 'call',
    MEETING: 'meeting',
    LUNCH: 'meal',
    EMAIL: 'email',
    TASK: null,
    DEADLINE: null,
  },
  done: ['DONE', '1', 'TRUE', 'YES'],
  ignored: {
    'Organization - People': 'counted again from the imported people',
    'Person - Open deals': 'Buychain has no deals',
    'Person - Won deals': 'Buychain has no deals',
    'Deal - Title': 'Buychain has no deals',
  },
};
