import type { Contact } from '../contacts/contacts.service.js';
import { ValidationFailed } from '../http/errors.js';
import { asArray } from '../http/fields.js';

// The touchpoint page form posts what a person sees: a row per contact ("anything new?") keyed by
// contact id, prefilled with what we know. Only what the rep changed becomes a contact update.

type FormRow = Record<string, unknown>;
const rowKey = (contactId: number) => `c${contactId}`;
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
const sameRoles = (a: string[], b: string[]) => [...a].sort().join() === [...b].sort().join();

const isBlankRow = (row: unknown) =>
  !row || typeof row !== 'object' || Object.values(row as FormRow).every((value) => value === '' || value === undefined);

export interface TranslatedForm {
  body: Record<string, unknown>;
  /** For each list the form posts, the form's row key of each item by position: errors go back beside the right row. */
  rowKeys: { contact_updates: string[]; new_contacts: string[] };
}

export function translateTouchpointForm(body: Record<string, unknown>, contacts: Contact[]): TranslatedForm {
  const rows = (body.contact_updates && typeof body.contact_updates === 'object' ? body.contact_updates : {}) as Record<string, FormRow>;
  const updates: FormRow[] = [];
  const updateKeys: string[] = [];
  for (const [key, row] of Object.entries(rows)) {
    const contact = contacts.find((candidate) => rowKey(candidate.id) === key);
    if (!contact || !row || typeof row !== 'object') continue;
    const update: FormRow = {};
    if (text(row.title) !== (contact.title ?? '')) update.title = text(row.title);
    const roles = asArray(row.roles).map(String);
    if (row.roles_shown && !sameRoles(roles, contact.roles)) update.roles = roles;
    if (text(row.reports_to_contact_id) !== String(contact.reports_to_contact_id ?? '')) update.reports_to_contact_id = text(row.reports_to_contact_id);
    if (row.leaving && contact.status === 'active') Object.assign(update, { status: 'leaving', leaving_on: text(row.leaving_on), notice: row.notice });
    if (text(row.note)) update.note = text(row.note);
    if (Object.keys(update).length === 0) continue;
    updates.push({ contact_id: contact.id, ...update });
    updateKeys.push(key);
  }
  // A new person who may be someone already here was asked about: "that's them" ticks the contact
  // already here; "a different person" adds them anyway.
  const contactIds = asArray(body.contact_ids).map(String);
  const newContactRows = Object.entries((body.new_contacts as object) ?? {}).filter(([, row]) => {
    if (isBlankRow(row)) return false;
    const sameAs = text((row as FormRow).same_as);
    if (/^\d+$/.test(sameAs)) contactIds.push(sameAs);
    return !/^\d+$/.test(sameAs);
  });
  const newContacts = newContactRows.map(([, row]) => {
    const { same_as, ...fields } = row as FormRow;
    return same_as === 'new' ? { ...fields, allow_duplicate: true } : fields;
  });
  // The due date comes prefilled a week ahead; left as it came with no next step, nobody typed it.
  const untouchedDueDate = !text(body.next_step) && body.next_step_due_on === body.next_step_default_due_on;
  return {
    body: {
      ...body,
      contact_ids: [...new Set(contactIds)],
      contact_updates: updates,
      new_contacts: newContacts,
      ...(untouchedDueDate ? { next_step_due_on: '' } : {}),
    },
    rowKeys: { contact_updates: updateKeys, new_contacts: newContactRows.map(([key]) => key) },
  };
}

/** Puts "contact_updates.0.title" back as "contact_updates.c12.title", beside the row it came from. */
export function errorsBesideRows(error: ValidationFailed, rowKeys: TranslatedForm['rowKeys']): ValidationFailed {
  const fields = Object.fromEntries(
    Object.entries(error.fields ?? {}).map(([key, message]) => {
      const match = /^(contact_updates|new_contacts)\.(\d+)(\..*)?$/.exec(key);
      if (!match) return [key, message];
      const list = match[1] as keyof TranslatedForm['rowKeys'];
      return [`${list}.${rowKeys[list][Number(match[2])] ?? match[2]}${match[3] ?? ''}`, message];
    }),
  );
  return error.withFields(fields);
}

/** What each "anything new?" row shows: the rep's typing after a failed save, else what we know. */
export function participantRows(contacts: Contact[], posted: Record<string, unknown> | undefined, errors: Record<string, string> = {}) {
  const postedRows = (posted?.contact_updates ?? {}) as Record<string, FormRow>;
  return contacts.map((contact) => {
    const key = rowKey(contact.id);
    const row = postedRows[key];
    const hasError = Object.keys(errors).some((field) => field.startsWith(`contact_updates.${key}`));
    return {
      contact,
      key,
      title: row ? text(row.title) : (contact.title ?? ''),
      roles: row ? asArray(row.roles).map(String) : contact.roles,
      reports_to_contact_id: row ? text(row.reports_to_contact_id) : String(contact.reports_to_contact_id ?? ''),
      leaving: Boolean(row?.leaving),
      leaving_on: row ? text(row.leaving_on) : '',
      notice: row?.notice ?? '',
      note: row ? text(row.note) : '',
      colleagues: contacts.filter((colleague) => colleague.id !== contact.id),
      // A row the rep worked on stays open after a failed save.
      open: hasError || Boolean(row && (row.leaving || text(row.note) || text(row.title) !== (contact.title ?? ''))),
    };
  });
}
