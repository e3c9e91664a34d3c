import { formatBirthday, formatDate } from '../views/helpers/dates.js';
import { label } from '../views/helpers/labels.js';
import type { Changes } from './audit.service.js';

// The change history in the words and formats of the forms the change was made in: the trail
// stores field names, codes, ids and ISO dates; a person reads "Job title", "Told us in advance",
// a colleague's name and "9 Sep".

/** Each field under the caption its form gives it (contact, departure and touchpoint forms). */
const fieldCaptions: Record<string, string> = {
  name: 'Name',
  title: 'Job title',
  email: 'Email',
  phone: 'Phone',
  roles: 'Roles in the buying chain',
  reports_to_contact_id: 'Reports to',
  started_in_role_on: 'Started in this role on',
  birthday: 'Birthday',
  preferred_channel: 'Prefers to be reached by',
  preferred_time: 'Best time to reach them',
  status: 'Status',
  leaving_on: 'Leaving date',
  left_on: 'Left on',
  departure_notice: 'How did you hear?',
  departure_destination: 'Where are they going?',
  replacement_contact_id: 'Replaced by',
  archived: 'Archived',
  note: 'Note',
  origin_contact_id: 'Followed from',
};

const statusWords: Record<string, string> = { active: 'Still there', leaving: 'Leaving', left: 'Left' };

export const fieldCaption = (field: string) => fieldCaptions[field] ?? label(field);

/** One stored value as the form would show it; `nameOf` turns a contact id into the person's name. */
export function readableValue(field: string, value: unknown, nameOf: (id: number) => string | undefined): string {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return '—';
  if (Array.isArray(value)) return value.map((item) => label(item)).join(', ');
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  const text = String(value);
  if (field.endsWith('_contact_id')) return nameOf(Number(value)) ?? 'someone no longer listed';
  if (field === 'birthday') return formatBirthday(text);
  if (field.endsWith('_on')) return formatDate(text);
  if (field === 'status') return statusWords[text] ?? label(text);
  if (field === 'departure_notice' || field === 'preferred_channel') return label(text);
  return text;
}

export function readableChanges(changes: Changes, nameOf: (id: number) => string | undefined) {
  return Object.entries(changes).map(([field, [from, to]]) => ({
    field: fieldCaption(field),
    from: readableValue(field, from, nameOf),
    to: readableValue(field, to, nameOf),
  }));
}
