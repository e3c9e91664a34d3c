import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { contactRoles } from '../contacts/contacts.table.js';
import type { CurrentUser } from '../users/users.service.js';

// CSV export of everything a user may see, streamed: visible accounts are read a chunk at a time
// (keyset on id) and each chunk's contacts, touchpoints, promises or complaints are read with one
// or two queries on their account_id indexes, so memory stays flat however big the company.
// The accounts and contacts files use the importer's column names, so they can be imported back.

export const exportKinds = ['accounts', 'contacts', 'touchpoints', 'commitments', 'complaints'] as const;
export type ExportKind = (typeof exportKinds)[number];

const accountsPerChunk = 200;
type Row = Record<string, string | number | null>;

/** One chunk of the visible accounts after a given id, in id order. */
const accountChunk = (db: DbOrTx, user: CurrentUser, after: number) =>
  db
    .selectFrom('accounts')
    .innerJoin('users', 'users.id', 'accounts.owner_id')
    .select([
      'accounts.id',
      'accounts.name',
      'accounts.status',
      'accounts.customer_since',
      'users.email as owner_email',
      'users.name as owner_name',
      'accounts.meeting_cadence_days',
      'accounts.notes',
      'accounts.archived',
      'accounts.created_at',
    ])
    .where(accountVisibleTo(user))
    .where('accounts.id', '>', after)
    .orderBy('accounts.id')
    .limit(accountsPerChunk)
    .execute();
type AccountChunk = Awaited<ReturnType<typeof accountChunk>>;

async function* visibleAccounts(db: DbOrTx, user: CurrentUser) {
  for (let after = 0; ; ) {
    const accounts = await accountChunk(db, user, after);
    if (accounts.length === 0) return;
    yield accounts;
    if (accounts.length < accountsPerChunk) return;
    after = accounts[accounts.length - 1]!.id;
  }
}

const roleOrder: readonly string[] = contactRoles;
const yesNo = (flag: number | null) => (flag === null ? null : flag ? 'yes' : 'no');
const byId = (accounts: AccountChunk) => new Map(accounts.map((account) => [account.id, account]));

/** For each chunk of visible accounts, the rows of one kind belonging to them. */
const rowsFor: Record<ExportKind, (db: DbOrTx, accounts: AccountChunk) => Promise<Row[]>> = {
  async accounts(_db, accounts) {
    return accounts.map((account) => ({
      id: account.id,
      account: account.name,
      status: account.status,
      customer_since: account.customer_since,
      owner_email: account.owner_email,
      owner_name: account.owner_name,
      meeting_cadence_days: account.meeting_cadence_days,
      notes: account.notes,
      archived: yesNo(account.archived),
      created_at: account.created_at,
    }));
  },

  async contacts(db, accounts) {
    const ids = accounts.map((account) => account.id);
    const [contacts, roles] = await Promise.all([
      db.selectFrom('contacts').selectAll().where('account_id', 'in', ids).orderBy('account_id').orderBy('id').execute(),
      db.selectFrom('contact_roles').select(['contact_id', 'role']).where('account_id', 'in', ids).execute(),
    ]);
    const rolesOf = new Map<number, string[]>();
    for (const { contact_id, role } of roles) rolesOf.set(contact_id, [...(rolesOf.get(contact_id) ?? []), role]);
    const account = byId(accounts);
    return contacts.map((contact) => ({
      id: contact.id,
      account_id: contact.account_id,
      account: account.get(contact.account_id)!.name,
      owner_email: account.get(contact.account_id)!.owner_email,
      name: contact.name,
      title: contact.title,
      email: contact.email,
      phone: contact.phone,
      roles: (rolesOf.get(contact.id) ?? []).sort((a, b) => roleOrder.indexOf(a) - roleOrder.indexOf(b)).join('; '),
      reports_to_contact_id: contact.reports_to_contact_id,
      birthday: contact.birthday,
      started_in_role_on: contact.started_in_role_on,
      preferred_channel: contact.preferred_channel,
      preferred_time: contact.preferred_time,
      contact_status: contact.status,
      leaving_on: contact.leaving_on,
      left_on: contact.left_on,
      notice: contact.departure_notice,
      destination: contact.departure_destination,
      replacement_contact_id: contact.replacement_contact_id,
      archived: yesNo(contact.archived),
    }));
  },

  async touchpoints(db, accounts) {
    const ids = accounts.map((account) => account.id);
    const [touchpoints, participants] = await Promise.all([
      db
        .selectFrom('touchpoints')
        .innerJoin('users', 'users.id', 'touchpoints.author_id')
        .selectAll('touchpoints')
        .select('users.email as author_email')
        .where('touchpoints.account_id', 'in', ids)
        .orderBy('touchpoints.account_id')
        .orderBy('touchpoints.occurred_at')
        .execute(),
      db
        .selectFrom('touchpoint_contacts')
        .innerJoin('contacts', 'contacts.id', 'touchpoint_contacts.contact_id')
        .select(['touchpoint_contacts.touchpoint_id', 'contacts.id', 'contacts.name'])
        .where('touchpoint_contacts.account_id', 'in', ids)
        .execute(),
    ]);
    const peopleOf = new Map<number, { id: number; name: string }[]>();
    for (const { touchpoint_id, ...person } of participants) peopleOf.set(touchpoint_id, [...(peopleOf.get(touchpoint_id) ?? []), person]);
    const account = byId(accounts);
    return touchpoints.map((touchpoint) => ({
      id: touchpoint.id,
      account_id: touchpoint.account_id,
      account: account.get(touchpoint.account_id)!.name,
      occurred_at: touchpoint.occurred_at,
      kind: touchpoint.kind,
      location: touchpoint.location,
      contact_ids: (peopleOf.get(touchpoint.id) ?? []).map((person) => person.id).join('; '),
      contacts: (peopleOf.get(touchpoint.id) ?? []).map((person) => person.name).join('; '),
      summary: touchpoint.summary,
      internal_notes: touchpoint.internal_notes,
      value_delivered: touchpoint.value_delivered,
      testimonial_url: touchpoint.testimonial_url,
      next_step: touchpoint.next_step,
      next_step_due_on: touchpoint.next_step_due_on,
      author_email: touchpoint.author_email,
    }));
  },

  async commitments(db, accounts) {
    const rows = await db
      .selectFrom('commitments')
      .innerJoin('users', 'users.id', 'commitments.owner_id')
      .leftJoin('contacts', 'contacts.id', 'commitments.contact_id')
      .selectAll('commitments')
      .select(['users.email as owner_email', 'contacts.name as contact_name'])
      .where('commitments.account_id', 'in', accounts.map((account) => account.id))
      .orderBy('commitments.account_id')
      .orderBy('commitments.due_on')
      .execute();
    const account = byId(accounts);
    return rows.map((row) => ({
      id: row.id,
      account_id: row.account_id,
      account: account.get(row.account_id)!.name,
      contact_id: row.contact_id,
      contact: row.contact_name,
      description: row.description,
      due_on: row.due_on,
      done_at: row.done_at,
      source: row.source,
      owner_email: row.owner_email,
      created_at: row.created_at,
    }));
  },

  async complaints(db, accounts) {
    const rows = await db
      .selectFrom('complaints')
      .leftJoin('contacts', 'contacts.id', 'complaints.contact_id')
      .selectAll('complaints')
      .select('contacts.name as contact_name')
      .where('complaints.account_id', 'in', accounts.map((account) => account.id))
      .orderBy('complaints.account_id')
      .orderBy('complaints.raised_on')
      .execute();
    const account = byId(accounts);
    return rows.map((row) => ({
      id: row.id,
      account_id: row.account_id,
      account: account.get(row.account_id)!.name,
      contact_id: row.contact_id,
      contact: row.contact_name,
      category: row.category,
      issue: row.issue,
      raised_on: row.raised_on,
      acknowledged_on: row.acknowledged_on,
      resolution: row.resolution,
      response: row.response,
      resolved_on: row.resolved_on,
      follow_up_due_on: row.follow_up_due_on,
      verified_on: row.verified_on,
      satisfied: yesNo(row.satisfied),
      outcome: row.outcome,
      internal_notes: row.internal_notes,
    }));
  },
};

/**
 * A cell a spreadsheet would run as a formula is prefixed with an apostrophe (the importer strips
 * it again). Spreadsheets read the full-width ＝ ＋ － ＠ of East Asian keyboards as formulas too.
 */
export const spreadsheetSafe = (value: string) => (/^[=+\-@\t\r＝＋－＠]/.test(value) ? `'${value}` : value);

/** The CSV of one kind as a stream of text, header first. */
export function exportCsv(db: DbOrTx, user: CurrentUser, kind: ExportKind): Readable {
  async function* records() {
    for await (const accounts of visibleAccounts(db, user)) yield* await rowsFor[kind](db, accounts);
  }
  return Readable.from(records()).pipe(stringify({ header: true, cast: { string: spreadsheetSafe } }));
}
