import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { foreignKeys } from '../db/dialect.js';
import { lockAccountOf } from '../db/row-locks.js';
import { type Changes, recordAudit } from '../audit/audit.service.js';
import { HttpError, ValidationFailed } from '../http/errors.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import { recomputeTouchSummaries } from '../touchpoints/touch-summaries.js';
import type { CurrentUser } from '../users/users.service.js';
import { type Contact, getContactForUser } from './contacts.service.js';
import type { ContactRole } from './contacts.table.js';

// "Merge into…": two rows for one person become one. Everything that points at the merged contact
// (touchpoints, roles, promises, complaints, departure records, reports-to lines, history) moves to
// the one kept; of each field the richer value is kept, and the merge says which it chose. The
// merged row is then gone (404), and the merge is in the kept contact's history.

/** Fields compared one by one; the departure fields travel together with the status. */
const mergedFields = ['name', 'title', 'email', 'phone', 'started_in_role_on', 'birthday', 'preferred_channel', 'preferred_time', 'reports_to_contact_id'] as const;
const departureFields = ['status', 'leaving_on', 'left_on', 'departure_notice', 'departure_destination', 'replacement_contact_id'] as const;
type MergedField = (typeof mergedFields)[number] | (typeof departureFields)[number] | 'roles';

export interface FieldChoice {
  field: MergedField;
  value: unknown;
  /** Whose value is kept: the contact merged into ("into") or the one merged away ("merged"). */
  from: 'into' | 'merged';
  /** The value that was not kept, when they differed. */
  dropped: unknown;
}

const isEmpty = (value: unknown) => value === null || value === undefined || value === '';
/** The richer of two values: any over none, then the longer (a birthday with its year, a full name), else the kept contact's. */
const richer = (kept: unknown, other: unknown): 'into' | 'merged' =>
  isEmpty(kept) ? (isEmpty(other) ? 'into' : 'merged') : !isEmpty(other) && String(other).length > String(kept).length ? 'merged' : 'into';
const departureRank = { active: 0, leaving: 1, left: 2 } as const;

/** What a merge would keep, field by field: shown before the merge and recorded after it. */
export function chooseFields(into: Contact, merged: Contact): FieldChoice[] {
  const choice = (field: MergedField, from: 'into' | 'merged', keptValue: unknown, otherValue: unknown): FieldChoice => ({
    field,
    from,
    value: keptValue,
    dropped: String(keptValue ?? '') === String(otherValue ?? '') ? null : otherValue,
  });
  // A reports-to or replacement line between the two would point the person at themselves.
  const outside = (value: number | null) => (value === into.id || value === merged.id ? null : value);
  const choices: FieldChoice[] = mergedFields.map((field) => {
    const [kept, other] = field === 'reports_to_contact_id' ? [outside(into[field]), outside(merged[field])] : [into[field], merged[field]];
    const from = richer(kept, other);
    return from === 'into' ? choice(field, from, kept, other) : choice(field, from, other, kept);
  });
  // Where the person is in leaving is one story: the further along, with its dates and successor.
  const departed = departureRank[merged.status] > departureRank[into.status] ? 'merged' : 'into';
  for (const field of departureFields) {
    const [kept, other] = departed === 'into' ? [into[field], merged[field]] : [merged[field], into[field]];
    choices.push(choice(field, departed, field === 'replacement_contact_id' ? outside(kept as number | null) : kept, other));
  }
  const roles = [...new Set([...into.roles, ...merged.roles])] as ContactRole[];
  choices.push({ field: 'roles', from: 'into', value: roles, dropped: null });
  return choices;
}

/** How much points at the merged contact, by kind, to say what a merge moves. */
export async function countLinks(db: DbOrTx, contactId: number) {
  const count = (table: 'touchpoint_contacts' | 'commitments' | 'complaints', column: 'contact_id') =>
    db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).where(column, '=', contactId).executeTakeFirstOrThrow().then((row) => Number(row.count));
  const [touchpoints, promises, complaints, history] = await Promise.all([
    count('touchpoint_contacts', 'contact_id'),
    count('commitments', 'contact_id'),
    count('complaints', 'contact_id'),
    db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('count')).where('entity_type', '=', 'contact').where('entity_id', '=', contactId).executeTakeFirstOrThrow().then((row) => Number(row.count)),
  ]);
  return { touchpoints, promises, complaints, history };
}

/** Both contacts, visible to the user and of the same account; else a 400 naming into_contact_id. */
export async function mergePair(db: DbOrTx, user: CurrentUser, mergedId: number, intoId: number) {
  const merged = await getContactForUser(db, user, mergedId);
  if (intoId === mergedId) throw new ValidationFailed({ into_contact_id: 'Choose another contact: this is the same one' });
  const into = await getContactForUser(db, user, intoId).catch((error: unknown) => {
    if (error instanceof HttpError && error.status === 404) throw new ValidationFailed({ into_contact_id: 'Choose a contact at the same account' });
    throw error;
  });
  if (into.account_id !== merged.account_id) throw new ValidationFailed({ into_contact_id: 'Only contacts of the same account can be merged' });
  return { merged, into };
}

export async function mergeContacts(db: DbOrTx, clock: Clock, user: CurrentUser, mergedId: number, intoId: number) {
  // Both contacts must share the account (mergePair checks): its lock covers both.
  await lockAccountOf(db, 'contacts', mergedId);
  const { merged, into } = await mergePair(db, user, mergedId, intoId);
  const choices = chooseFields(into, merged);
  const moved = await countLinks(db, merged.id);
  const now = clock.now().toISOString();
  const [from, to] = [merged.id, into.id];

  // Took part in the same touchpoint: one participant row is enough.
  await db
    .updateTable('touchpoint_contacts')
    .set({ contact_id: to })
    .where('contact_id', '=', from)
    .where('touchpoint_id', 'not in', db.selectFrom('touchpoint_contacts as kept').select('kept.touchpoint_id').where('kept.contact_id', '=', to))
    .execute();
  await db.deleteFrom('touchpoint_contacts').where('contact_id', '=', from).execute();
  await db.updateTable('commitments').set({ contact_id: to }).where('contact_id', '=', from).execute();
  // A departure playbook exists once per person: a step the kept contact already has is not doubled.
  await db
    .deleteFrom('commitments')
    .where('departed_contact_id', '=', from)
    .where('playbook_step', 'in', db.selectFrom('commitments as kept').select('kept.playbook_step').where('kept.departed_contact_id', '=', to).where('kept.playbook_step', 'is not', null))
    .execute();
  await db.updateTable('commitments').set({ departed_contact_id: to }).where('departed_contact_id', '=', from).execute();
  await db.updateTable('complaints').set({ contact_id: to }).where('contact_id', '=', from).execute();
  for (const column of ['reports_to_contact_id', 'replacement_contact_id'] as const) {
    await db.updateTable('contacts').set({ [column]: to }).where(column, '=', from).where('id', '!=', to).execute();
    // The kept contact's own line to the merged one would point at themselves: the choice below sets it.
    await db.updateTable('contacts').set({ [column]: null }).where(column, '=', from).where('id', '=', to).execute();
  }
  await db.updateTable('accounts').set({ origin_contact_id: to }).where('origin_contact_id', '=', from).execute();
  await db.updateTable('audit_events').set({ entity_id: to }).where('entity_type', '=', 'contact').where('entity_id', '=', from).execute();
  // Tables added later that point at contacts (a feature this code does not know) follow as well.
  const handled = new Set(['touchpoint_contacts', 'commitments', 'complaints', 'contacts', 'accounts', 'contact_roles']);
  for (const key of await foreignKeys(db as never))
    if (key.references === 'contacts' && !handled.has(key.table))
      await sql`update ${sql.table(key.table)} set ${sql.ref(key.column)} = ${to} where ${sql.ref(key.column)} = ${from}`.execute(db);
  await db.deleteFrom('contact_roles').where('contact_id', '=', from).execute();
  await db.deleteFrom('contacts').where('id', '=', from).execute();

  const kept = Object.fromEntries(choices.filter((choice) => choice.field !== 'roles').map((choice) => [choice.field, choice.value]));
  const { version } = await db
    .updateTable('contacts')
    .set((eb) => ({ ...kept, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', to)
    .returning('version')
    .executeTakeFirstOrThrow();
  const roles = choices.find((choice) => choice.field === 'roles')!.value as ContactRole[];
  await db.deleteFrom('contact_roles').where('contact_id', '=', to).execute();
  if (roles.length > 0) await db.insertInto('contact_roles').values(roles.map((role) => ({ contact_id: to, account_id: into.account_id, role }))).execute();

  const changes: Changes = { merged_contact: [merged.name, null] };
  for (const choice of choices) {
    const before = choice.field === 'roles' ? into.roles : into[choice.field];
    if (String(before ?? '') !== String(choice.value ?? '')) changes[choice.field] = [before ?? null, choice.value ?? null];
  }
  await recordAudit(db, { entity_type: 'contact', entity_id: to, account_id: into.account_id, user_id: user.id, action: 'merged', changes, context: `contact:${from}`, at: now, entity_version: version });
  await recomputeTouchSummaries(db, into.account_id, [to]);
  await riskInputsChanged(db, [into.account_id]);
  return { contact: await getContactForUser(db, user, to), choices, moved, merged };
}
