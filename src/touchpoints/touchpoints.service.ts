import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { type Contact, updateContact } from '../contacts/contacts.service.js';
import { addContact, sameName } from '../contacts/duplicates.js';
import { ValidationFailed } from '../http/errors.js';
import { inPart } from '../http/validation.js';
import { recordAudit } from '../audit/audit.service.js';
import { startLeavingPlaybook, tickStepsForSuccessorMet } from '../playbook/playbook.service.js';
import { answerGaps } from './gap-prompts.js';
import type { Paging } from '../http/pagination.js';
import type { CurrentUser } from '../users/users.service.js';
import type { TouchpointInput } from './touchpoints.schemas.js';
import { faceToFaceKinds, type TouchpointRow } from './touchpoints.table.js';
import { sql } from 'kysely';
import { lockAccounts } from '../db/row-locks.js';

export type Touchpoint = TouchpointRow & { contacts: { id: number; name: string }[] };

/**
 * Logs a touchpoint with everyone who took part, the people met for the first time and what was
 * learned about the others. Call it inside a transaction: one bad part must save nothing.
 */
export async function logTouchpoint(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, input: TouchpointInput) {
  await lockAccounts(db, [accountId]);
  const known = await db
    .selectFrom('contacts')
    .select(['id'])
    .where('account_id', '=', accountId)
    .where('archived', '=', 0)
    .where('id', 'in', input.contact_ids.length > 0 ? input.contact_ids : [-1])
    .execute();
  const knownIds = new Set(known.map((row) => row.id));
  const unknown = input.contact_ids.filter((id) => !knownIds.has(id));
  if (unknown.length > 0) throw new ValidationFailed({ contact_ids: `Not a contact at this account: ${unknown.join(', ')}` });
  for (const [index, update] of input.contact_updates.entries())
    if (!knownIds.has(update.contact_id))
      throw new ValidationFailed({ [`contact_updates.${index}.contact_id`]: 'Update only people who took part' });

  const now = clock.now().toISOString();
  // The whole row comes back from the insert: nothing below changes it, so it is not read again.
  const inserted = await db
    .insertInto('touchpoints')
    .values({
      account_id: accountId,
      author_id: user.id,
      kind: input.kind,
      occurred_at: input.occurred_at,
      location: input.location,
      summary: input.summary ?? '',
      internal_notes: input.internal_notes ?? '',
      value_delivered: input.value_delivered ?? '',
      testimonial_url: input.testimonial_url ?? null,
      next_step: input.next_step ?? null,
      next_step_due_on: input.next_step_due_on ?? null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const { id } = inserted;
  const context = `touchpoint:${id}`;

  const created: Contact[] = [];
  const metNew: Contact[] = [];
  for (const [index, newContact] of input.new_contacts.entries()) {
    // The same new person typed twice in one form is one person, with the roles of both rows.
    const same = created.findIndex((contact) => sameName(contact.name, newContact.name));
    if (same >= 0) {
      const roles = [...new Set([...created[same]!.roles, ...newContact.roles])];
      if (roles.length > created[same]!.roles.length) created[same] = await updateContact(db, clock, user, created[same]!.id, { roles }, { context });
      metNew.push(created[same]!);
      continue;
    }
    created.push(await inPart(`new_contacts.${index}`, () => addContact(db, clock, user, accountId, newContact, { context })));
    metNew.push(created.at(-1)!);
  }
  const gaps = await answerGaps(db, clock, user, accountId, input.gap_answers, context, created);
  created.push(...gaps.created);
  const updated: Contact[] = [];
  for (const [index, { contact_id, note, ...patch }] of input.contact_updates.entries()) {
    updated.push(await inPart(`contact_updates.${index}`, () => updateContact(db, clock, user, contact_id, patch, { context })));
    if (note) await noteAboutContact(db, user, updated.at(-1)!, note, context, now);
    if (patch.status === 'leaving') await startLeavingPlaybook(db, clock, user, contact_id);
  }

  const participantIds = [...new Set([...input.contact_ids, ...metNew.map((contact) => contact.id), ...gaps.participants])];
  if (participantIds.length > 0)
    await db
      .insertInto('touchpoint_contacts')
      .values(
        participantIds.map((contactId) => ({
          touchpoint_id: id,
          contact_id: contactId,
          account_id: accountId,
          occurred_at: input.occurred_at,
          kind: input.kind,
          location: input.location,
        })),
      )
      .execute();

  // A next step with a due date is a promise to the customer: follow-through tracks it.
  if (input.next_step && input.next_step_due_on)
    await db
      .insertInto('commitments')
      .values({
        account_id: accountId,
        contact_id: participantIds[0] ?? null,
        owner_id: user.id,
        description: input.next_step,
        due_on: input.next_step_due_on,
        done_at: null,
        source: 'touchpoint',
        touchpoint_id: id,
        departed_contact_id: null,
        playbook_step: null,
        created_at: now,
      })
      .execute();

  await recordTouchSummaries(db, accountId, participantIds, input);
  await tickStepsForSuccessorMet(db, clock, accountId, participantIds, input);
  const [touchpoint] = await withParticipants(db, [inserted]);
  return { touchpoint: touchpoint!, created, updated };
}

/** Something learned about a person at a meeting, kept in their change history. */
async function noteAboutContact(db: DbOrTx, user: CurrentUser, contact: Contact, note: string, context: string, at: string) {
  await recordAudit(db, {
    entity_type: 'contact',
    entity_id: contact.id,
    account_id: contact.account_id,
    user_id: user.id,
    action: 'noted',
    changes: { note: [null, note] },
    context,
    at,
  });
}

/** Keeps the touchpoint summaries on contacts and the account current; a backdated touchpoint never moves them back. */
async function recordTouchSummaries(db: DbOrTx, accountId: number, contactIds: number[], input: TouchpointInput) {
  const at = input.occurred_at;
  const later = (column: 'last_touch_at' | 'last_outside_meeting_at' | 'last_touchpoint_at') =>
    sql<string>`case when ${sql.ref(column)} is null or ${sql.ref(column)} < ${at} then ${at} else ${sql.ref(column)} end`;
  const faceToFaceOutside = input.location === 'outside_office' && faceToFaceKinds.includes(input.kind);
  if (contactIds.length > 0)
    await db
      .updateTable('contacts')
      .set((eb) => ({
        last_touch_at: later('last_touch_at'),
        touchpoint_count: eb('touchpoint_count', '+', 1),
        ...(faceToFaceOutside ? { last_outside_meeting_at: later('last_outside_meeting_at') } : {}),
      }))
      .where('id', 'in', contactIds)
      .execute();
  await db
    .updateTable('accounts')
    .set((eb) => ({ last_touchpoint_at: later('last_touchpoint_at'), risk_version: eb('risk_version', '+', 1) }))
    .where('id', '=', accountId)
    .execute();
}

export async function withParticipants(db: DbOrTx, rows: TouchpointRow[]): Promise<Touchpoint[]> {
  if (rows.length === 0) return [];
  const participants = await db
    .selectFrom('touchpoint_contacts')
    .innerJoin('contacts', 'contacts.id', 'touchpoint_contacts.contact_id')
    .select(['touchpoint_contacts.touchpoint_id', 'contacts.id', 'contacts.name'])
    .where(
      'touchpoint_contacts.touchpoint_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('contacts.name')
    .execute();
  return rows.map((row) => ({
    ...row,
    contacts: participants.filter((p) => p.touchpoint_id === row.id).map(({ id, name }) => ({ id, name })),
  }));
}

/** The account's timeline, newest first, one page at a time. */
export async function listTouchpoints(db: DbOrTx, accountId: number, paging: Paging) {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('touchpoints')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(paging.perPage)
      .offset((paging.page - 1) * paging.perPage)
      .execute(),
    db
      .selectFrom('touchpoints')
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow(),
  ]);
  return { rows: await withParticipants(db, rows), total: Number(count.total) };
}

export function touchpointToJson(touchpoint: Touchpoint) {
  return {
    id: touchpoint.id,
    account_id: touchpoint.account_id,
    author_id: touchpoint.author_id,
    contact_ids: touchpoint.contacts.map((contact) => contact.id),
    kind: touchpoint.kind,
    occurred_at: touchpoint.occurred_at,
    location: touchpoint.location,
    summary: touchpoint.summary,
    internal_notes: touchpoint.internal_notes,
    value_delivered: touchpoint.value_delivered,
    testimonial_url: touchpoint.testimonial_url,
    next_step: touchpoint.next_step,
    next_step_due_on: touchpoint.next_step_due_on,
    source: touchpoint.source,
    message_id: touchpoint.message_id,
    created_at: touchpoint.created_at,
  };
}
