import { DateTime } from 'luxon';
import { riskInputsChanged } from '../risk/risk-cache.js';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { diff, recordAudit } from '../audit/audit.service.js';
import { accountNameKey } from '../accounts/accounts.service.js';
import { type Contact, createContact, getContactForUser, listContactsForAccount, updateContact } from '../contacts/contacts.service.js';
import type { ContactRole } from '../contacts/contacts.table.js';
import { Conflict, ValidationFailed } from '../http/errors.js';
import type { Updateable } from 'kysely';
import type { ContactsTable } from '../contacts/contacts.table.js';
import type { CurrentUser } from '../users/users.service.js';
import type { DepartureInput } from './playbook.schemas.js';
import { lockAccountOf } from '../db/row-locks.js';
import { faceToFaceKinds, type TouchpointKind } from '../touchpoints/touchpoints.table.js';
import { enqueueDepartureAlert } from '../departure-alerts/departure-alerts.service.js';

// The recovery playbook from the seed article: when a key contact leaves, introduce yourself to
// the replacement, have coffee with them, present the account history, enlist others to speak for
// you, check the whole chain, and follow the person who left — they are the best new customer.

interface StepContext {
  leaver: string;
  successor: string | null;
  destination: string | null;
  advocates: string[];
}

interface PlaybookStep {
  step: string;
  /** Days from today (or, for a departure announced in advance, before the leaving date). */
  dueInDays: (today: DateTime, leavingOn: DateTime) => DateTime;
  describe: (c: StepContext) => string;
}

const notBefore = (today: DateTime, date: DateTime) => (date < today ? today : date);

/** Told in advance: the handover can still be shaped while they are there. */
const leavingSteps: PlaybookStep[] = [
  {
    step: 'ask_introduction',
    dueInDays: (today) => today.plus({ days: 3 }),
    describe: (c) => `Ask ${c.leaver} to introduce you to ${c.successor ?? 'their successor'}`,
  },
  {
    step: 'meet_successor',
    dueInDays: (today, leavingOn) => notBefore(today, leavingOn.minus({ days: 3 })),
    describe: (c) => `Meet ${c.successor ?? 'the successor'} before ${c.leaver} hands over`,
  },
  {
    step: 'ask_destination',
    dueInDays: (today, leavingOn) => notBefore(today, leavingOn),
    describe: (c) => `Ask ${c.leaver} where they are going — they could be your next customer`,
  },
];

const leftSteps: PlaybookStep[] = [
  {
    step: 'introduce',
    dueInDays: (today) => today.plus({ days: 2 }),
    describe: (c) => `Introduce yourself to ${c.successor ?? 'the replacement'} and offer help`,
  },
  {
    step: 'coffee',
    dueInDays: (today) => today.plus({ days: 7 }),
    describe: (c) => `Coffee with ${c.successor ?? 'the replacement'} outside the office, as soon as possible`,
  },
  {
    step: 'history_report',
    dueInDays: (today) => today.plus({ days: 10 }),
    describe: (c) => `Print the account history and present it to ${c.successor ?? 'the replacement'}`,
  },
  {
    step: 'enlist_advocates',
    dueInDays: (today) => today.plus({ days: 14 }),
    describe: (c) =>
      c.advocates.length > 0
        ? `Ask ${c.advocates.join(', ')} to speak to ${c.successor ?? 'the replacement'} on your behalf`
        : 'Find people in the account who will speak on your behalf',
  },
  {
    step: 'review_chain',
    dueInDays: (today) => today.plus({ days: 14 }),
    describe: () => 'Review the buying chain: who decides now, their boss, the users and the influencers',
  },
  {
    step: 'follow_leaver',
    dueInDays: (today) => today.plus({ days: 21 }),
    describe: (c) => `Find ${c.leaver}${c.destination ? ` at ${c.destination}` : ''} — they are the best possible new customer`,
  },
];

const keyRoles: ContactRole[] = ['decision_maker', 'boss'];

/**
 * Records that a contact is leaving (left_on in the future) or has left, names the replacement
 * now or later, and creates the playbook's steps as commitments once: posting again updates.
 */
export async function recordDeparture(db: DbOrTx, clock: Clock, user: CurrentUser, contactId: number, input: DepartureInput, options: { alert?: boolean } = {}) {
  await lockAccountOf(db, 'contacts', contactId);
  const contact = await getContactForUser(db, user, contactId);
  const today = DateTime.fromJSDate(clock.now()).setZone(user.time_zone).startOf('day');
  const departureDay = DateTime.fromISO(input.left_on, { zone: user.time_zone });
  const hasLeft = departureDay <= today;
  const now = clock.now().toISOString();
  const context = `departure:${contact.id}`;

  if (input.replacement_contact_id !== undefined && input.new_replacement)
    throw new ValidationFailed({ replacement_contact_id: 'Choose an existing contact or add a new one, not both' });
  let replacement: Contact | undefined;
  if (input.new_replacement) {
    replacement = await createContact(db, clock, user, contact.account_id, {
      ...input.new_replacement,
      roles: input.new_replacement.roles.length > 0 ? input.new_replacement.roles : contact.roles.filter((role) => keyRoles.includes(role)),
      started_in_role_on: input.new_replacement.started_in_role_on ?? input.left_on,
    }, { context });
  } else if (input.replacement_contact_id !== undefined) {
    if (input.replacement_contact_id === contact.id) throw new ValidationFailed({ replacement_contact_id: 'Someone cannot replace themselves' });
    replacement = await getContactForUser(db, user, input.replacement_contact_id).catch(() => undefined);
    if (!replacement || replacement.account_id !== contact.account_id || replacement.status === 'left') throw new ValidationFailed({ replacement_contact_id: 'Choose someone still at this account' });
    await promoteReplacement(db, clock, user, contact, replacement, input.left_on, context);
  }
  const manager = contact.reports_to_contact_id;
  if (input.successor_takes_reporting_line && replacement && manager !== null && replacement.id !== manager && replacement.reports_to_contact_id !== manager)
    await updateContact(db, clock, user, replacement.id, { reports_to_contact_id: manager }, { context });

  // Once they have left, whoever took over has decided since then at the latest, never from a future date.
  const successorId = replacement?.id ?? contact.replacement_contact_id;
  if (hasLeft && successorId !== null) await startedNoLaterThan(db, clock, user, successorId, input.left_on, context);

  const after = {
    status: hasLeft ? 'left' : 'leaving',
    left_on: hasLeft ? input.left_on : null,
    leaving_on: hasLeft ? contact.leaving_on : input.left_on,
    departure_notice: input.notice,
    departure_destination: input.destination ?? contact.departure_destination,
    replacement_contact_id: replacement?.id ?? contact.replacement_contact_id,
  } as const;
  const changes = diff(contact, after);
  if (Object.keys(changes).length > 0) {
    await saveContactVersion(db, contact, { ...after, updated_at: now });
    await recordAudit(db, {
      entity_type: 'contact',
      entity_id: contact.id,
      entity_version: contact.version + 1,
      account_id: contact.account_id,
      user_id: user.id,
      action: hasLeft ? 'left' : 'marked_leaving',
      changes,
      context,
      at: now,
    });
  }

  await writePlaybook(db, clock, user, contact.id, hasLeft ? leftSteps : leavingSteps);
  if (options.alert !== false) await enqueueDepartureAlert(db, clock, { contactId: contact.id, reason: hasLeft ? 'left' : 'leaving' });
  return getContactForUser(db, user, contact.id);
}

/** A successor recorded as starting in the role after the day the leaver actually left starts on that day. */
async function startedNoLaterThan(db: DbOrTx, clock: Clock, user: CurrentUser, successorId: number, leftOn: string, context: string) {
  const successor = await getContactForUser(db, user, successorId);
  if (!successor.roles.includes('decision_maker') || successor.started_in_role_on === null || successor.started_in_role_on <= leftOn) return;
  await saveContactVersion(db, successor, { started_in_role_on: leftOn, updated_at: clock.now().toISOString() });
  await recordAudit(db, {
    entity_type: 'contact',
    entity_id: successor.id,
    entity_version: successor.version + 1,
    account_id: successor.account_id,
    user_id: user.id,
    action: 'updated',
    changes: diff(successor, { started_in_role_on: leftOn }),
    context,
    at: clock.now().toISOString(),
  });
}

/**
 * Creates the steps once (the unique index on departed contact + step makes a repeat a no-op)
 * and rewrites the open ones so they name the successor, destination and advocates as now known.
 */
async function writePlaybook(db: DbOrTx, clock: Clock, user: CurrentUser, departedId: number, steps: PlaybookStep[]) {
  const contact = await getContactForUser(db, user, departedId);
  const account = await db.selectFrom('accounts').select('owner_id').where('id', '=', contact.account_id).executeTakeFirstOrThrow();
  const today = DateTime.fromJSDate(clock.now()).setZone(user.time_zone).startOf('day');
  const leavingOn = contact.leaving_on ? DateTime.fromISO(contact.leaving_on, { zone: user.time_zone }) : today.plus({ days: 14 });
  const colleagues = await listContactsForAccount(db, contact.account_id);
  const successor = colleagues.find((colleague) => colleague.id === contact.replacement_contact_id);
  const stepContext: StepContext = {
    leaver: contact.name,
    successor: successor?.name ?? null,
    destination: contact.departure_destination,
    advocates: advocatesFor(colleagues, [contact.id, successor?.id ?? -1]),
  };
  await db
    .insertInto('commitments')
    .values(
      steps.map((step) => ({
        account_id: contact.account_id,
        contact_id: successor?.id ?? contact.id,
        owner_id: account.owner_id,
        description: step.describe(stepContext),
        due_on: step.dueInDays(today, leavingOn).toISODate()!,
        done_at: null,
        source: 'playbook' as const,
        touchpoint_id: null,
        departed_contact_id: contact.id,
        playbook_step: step.step,
        created_at: clock.now().toISOString(),
      })),
    )
    .onConflict((conflict) => conflict.columns(['departed_contact_id', 'playbook_step']).doNothing())
    .execute();
  for (const step of [...leavingSteps, ...leftSteps])
    await db
      .updateTable('commitments')
      .set({ description: step.describe(stepContext), contact_id: successor?.id ?? contact.id })
      .where('departed_contact_id', '=', contact.id)
      .where('playbook_step', '=', step.step)
      .where('done_at', 'is', null)
      .execute();
  await closeStepsThatNoLongerApply(db, clock, contact);
  await riskInputsChanged(db, [contact.account_id]);
}

/** Steps the facts have overtaken close themselves, saying why, so the playbook never asks for the impossible. */
async function closeStepsThatNoLongerApply(db: DbOrTx, clock: Clock, contact: Contact) {
  const closures: [string[], string][] = [];
  if (contact.departure_destination) closures.push([['ask_destination'], `${contact.departure_destination}: where they went is already known`]);
  if (contact.status === 'left') closures.push([['ask_introduction', 'meet_successor'], `${contact.name} has left: the handover is over`]);
  for (const [steps, reason] of closures)
    await db
      .updateTable('commitments')
      .set({ done_at: clock.now().toISOString(), closed_reason: reason })
      .where('departed_contact_id', '=', contact.id)
      .where('playbook_step', 'in', steps)
      .where('done_at', 'is', null)
      .execute();
}

/**
 * A touchpoint with a named successor moves their recovery on by itself: any touchpoint means we
 * introduced ourselves and met them before the handover; a meeting, coffee or meal outside the office
 * is the coffee. Call in the touchpoint's transaction (which already marks the account's risk changed).
 */
export async function tickStepsForSuccessorMet(
  db: DbOrTx,
  clock: Clock,
  accountId: number,
  participantIds: number[],
  touchpoint: { kind: TouchpointKind; location: string },
) {
  if (participantIds.length === 0) return;
  const steps = ['introduce', 'meet_successor', ...(touchpoint.location === 'outside_office' && faceToFaceKinds.includes(touchpoint.kind) ? ['coffee'] : [])];
  await db
    .updateTable('commitments')
    .set({ done_at: clock.now().toISOString() })
    .where('account_id', '=', accountId)
    .where('playbook_step', 'in', steps)
    .where('done_at', 'is', null)
    .where('departed_contact_id', 'in', (eb) =>
      eb.selectFrom('contacts').select('contacts.id').where('contacts.account_id', '=', accountId).where('contacts.replacement_contact_id', 'in', participantIds),
    )
    .execute();
}

/**
 * "Presented to Ken Ito": ticks "present the account history" on every recovery whose successor they
 * are. Answers whether there was such a step to tick.
 */
export async function markHistoryPresented(db: DbOrTx, clock: Clock, user: CurrentUser, successorId: number): Promise<boolean> {
  const successor = await getContactForUser(db, user, successorId);
  const result = await db
    .updateTable('commitments')
    .set({ done_at: clock.now().toISOString() })
    .where('account_id', '=', successor.account_id)
    .where('playbook_step', '=', 'history_report')
    .where('done_at', 'is', null)
    .where('departed_contact_id', 'in', (eb) => eb.selectFrom('contacts').select('contacts.id').where('contacts.replacement_contact_id', '=', successor.id))
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  await riskInputsChanged(db, [successor.account_id]);
  return true;
}

/** Whether the account history still waits to be presented to this contact as someone's successor. */
export async function historyToPresentTo(db: DbOrTx, contactId: number): Promise<boolean> {
  const step = await db
    .selectFrom('commitments')
    .innerJoin('contacts as departed', 'departed.id', 'commitments.departed_contact_id')
    .select('commitments.id')
    .where('departed.replacement_contact_id', '=', contactId)
    .where('commitments.playbook_step', '=', 'history_report')
    .where('commitments.done_at', 'is', null)
    .executeTakeFirst();
  return step !== undefined;
}

/** A decision-maker or boss heard to be leaving (at a meeting, or by PATCH) starts the "leaving" playbook. */
export async function startLeavingPlaybook(db: DbOrTx, clock: Clock, user: CurrentUser, contactId: number): Promise<boolean> {
  await lockAccountOf(db, 'contacts', contactId);
  const contact = await getContactForUser(db, user, contactId);
  if (contact.status !== 'leaving' || !contact.roles.some((role) => keyRoles.includes(role))) return false;
  await writePlaybook(db, clock, user, contact.id, leavingSteps);
  await enqueueDepartureAlert(db, clock, { contactId: contact.id, reason: 'leaving' });
  return true;
}

/** Names who will take over from a departing contact; they take over the leaver's key roles. */
export async function nameSuccessor(db: DbOrTx, clock: Clock, user: CurrentUser, leaverId: number, successorId: number, context: string) {
  await lockAccountOf(db, 'contacts', leaverId);
  const leaver = await getContactForUser(db, user, leaverId);
  const successor = await getContactForUser(db, user, successorId);
  if (successor.account_id !== leaver.account_id || successor.id === leaver.id)
    throw new ValidationFailed({ replacement_contact_id: 'Choose someone else at this account' });
  await promoteReplacement(db, clock, user, leaver, successor, leaver.leaving_on ?? leaver.left_on ?? DateTime.fromJSDate(clock.now()).toISODate()!, context);
  const now = clock.now().toISOString();
  await saveContactVersion(db, leaver, { replacement_contact_id: successor.id, updated_at: now });
  await recordAudit(db, {
    entity_type: 'contact',
    entity_id: leaver.id,
    entity_version: leaver.version + 1,
    account_id: leaver.account_id,
    user_id: user.id,
    action: 'updated',
    changes: diff(leaver, { replacement_contact_id: successor.id }),
    context,
    at: now,
  });
  const steps = leaver.status === 'left' ? leftSteps : leaver.status === 'leaving' ? leavingSteps : [];
  if (steps.length > 0) await writePlaybook(db, clock, user, leaver.id, steps);
  else await riskInputsChanged(db, [leaver.account_id]);
}

/** Writes the next version of a contact read earlier in this transaction; if someone saved it in between, nothing is overwritten. */
async function saveContactVersion(db: DbOrTx, contact: Contact, values: Updateable<ContactsTable>) {
  const result = await db
    .updateTable('contacts')
    .set({ ...values, version: contact.version + 1 })
    .where('id', '=', contact.id)
    .where('version', '=', contact.version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new Conflict(`${contact.name} was changed by someone else just now. Reload and try again.`);
}

/** Champions first, then the warmest remaining active contacts: the people to ask to speak for us. */
function advocatesFor(colleagues: Contact[], excluded: number[]): string[] {
  const candidates = colleagues.filter((colleague) => colleague.status === 'active' && !excluded.includes(colleague.id));
  const champions = candidates.filter((colleague) => colleague.roles.includes('champion'));
  const warmest = candidates
    .filter((colleague) => !colleague.roles.includes('champion') && colleague.last_touch_at)
    .sort((a, b) => b.last_touch_at!.localeCompare(a.last_touch_at!));
  return [...champions, ...warmest].slice(0, 3).map((colleague) => colleague.name);
}

/** A replacement from within takes over the leaver's decision-making roles, from the day they leave. */
async function promoteReplacement(db: DbOrTx, clock: Clock, user: CurrentUser, leaver: Contact, replacement: Contact, from: string, context: string) {
  const gained = leaver.roles.filter((role) => keyRoles.includes(role) && !replacement.roles.includes(role));
  if (gained.length === 0) return;
  const roles = [...replacement.roles, ...gained];
  const startedInRole = gained.includes('decision_maker') ? from : replacement.started_in_role_on;
  await db.insertInto('contact_roles').values(gained.map((role) => ({ contact_id: replacement.id, account_id: replacement.account_id, role }))).execute();
  await saveContactVersion(db, replacement, { started_in_role_on: startedInRole, updated_at: clock.now().toISOString() });
  await recordAudit(db, {
    entity_type: 'contact',
    entity_id: replacement.id,
    entity_version: replacement.version + 1,
    account_id: replacement.account_id,
    user_id: user.id,
    action: 'updated',
    changes: diff(replacement, { roles, started_in_role_on: startedInRole }),
    context,
    at: clock.now().toISOString(),
  });
}

export interface PlaybookProgress {
  contact_id: number;
  contact_name: string;
  status: string;
  successor_id: number | null;
  steps: { id: number; description: string; due_on: string; done: boolean; step: string; closed_reason: string | null }[];
  done: number;
  total: number;
  complete: boolean;
}

/** Every departure's playbook on an account, with how far it has got: one query. */
export async function listPlaybooks(db: DbOrTx, accountId: number): Promise<PlaybookProgress[]> {
  const rows = await db
    .selectFrom('commitments')
    .innerJoin('contacts', 'contacts.id', 'commitments.departed_contact_id')
    .select([
      'commitments.id',
      'commitments.description',
      'commitments.due_on',
      'commitments.done_at',
      'commitments.playbook_step',
      'commitments.closed_reason',
      'contacts.id as contact_id',
      'contacts.name as contact_name',
      'contacts.status',
      'contacts.replacement_contact_id',
    ])
    .where('commitments.account_id', '=', accountId)
    .where('commitments.source', '=', 'playbook')
    .orderBy('commitments.departed_contact_id')
    .orderBy('commitments.due_on')
    .orderBy('commitments.id')
    .execute();
  const byContact = new Map<number, PlaybookProgress>();
  for (const row of rows) {
    const progress =
      byContact.get(row.contact_id) ??
      byContact
        .set(row.contact_id, {
          contact_id: row.contact_id,
          contact_name: row.contact_name,
          status: row.status,
          successor_id: row.replacement_contact_id,
          steps: [],
          done: 0,
          total: 0,
          complete: false,
        })
        .get(row.contact_id)!;
    progress.steps.push({ id: row.id, description: row.description, due_on: row.due_on, done: row.done_at !== null, step: row.playbook_step ?? '', closed_reason: row.closed_reason });
    progress.total += 1;
    if (row.done_at !== null) progress.done += 1;
    progress.complete = progress.done === progress.total;
  }
  return [...byContact.values()];
}

/**
 * "Find the person who left": opens a prospect account at their new company with them as its first
 * contact, linked back to where they came from. Once per person.
 */
export async function followLeaver(db: DbOrTx, clock: Clock, user: CurrentUser, contactId: number): Promise<number> {
  await lockAccountOf(db, 'contacts', contactId);
  const contact = await getContactForUser(db, user, contactId);
  if (contact.status === 'active') throw new ValidationFailed({ contact: `${contact.name} has not left` });
  if (!contact.departure_destination) throw new ValidationFailed({ destination: `Record where ${contact.name} went first` });
  const existing = await db.selectFrom('accounts').select('id').where('origin_contact_id', '=', contact.id).executeTakeFirst();
  if (existing) return existing.id;
  const owner = await db.selectFrom('accounts').select('owner_id').where('id', '=', contact.account_id).executeTakeFirstOrThrow();
  const nameKey = accountNameKey(contact.departure_destination);
  const twin = await db.selectFrom('accounts').select('name').where('owner_id', '=', owner.owner_id).where('name_key', '=', nameKey).executeTakeFirst();
  if (twin)
    throw new ValidationFailed(
      { destination: `There is already an account named “${twin.name}”: open it and add ${contact.name} there` },
      `There is already an account named “${twin.name}”.`,
    );
  const now = clock.now().toISOString();
  const { id: accountId } = await db
    .insertInto('accounts')
    .values({
      name: contact.departure_destination,
      name_key: nameKey,
      owner_id: owner.owner_id,
      status: 'prospect',
      notes: `Opened by following ${contact.name}, who left a customer of ours.`,
      customer_since: null,
      origin_contact_id: contact.id,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAudit(db, {
    entity_type: 'account',
    entity_id: accountId,
    account_id: accountId,
    user_id: user.id,
    action: 'created',
    changes: { name: [null, contact.departure_destination], origin_contact_id: [null, contact.id] },
    context: `departure:${contact.id}`,
    at: now,
  });
  await createContact(db, clock, user, accountId, { name: contact.name, email: undefined, roles: [] }, { context: `departure:${contact.id}` });
  await db
    .updateTable('commitments')
    .set({ done_at: now })
    .where('departed_contact_id', '=', contact.id)
    .where('playbook_step', '=', 'follow_leaver')
    .where('done_at', 'is', null)
    .execute();
  await riskInputsChanged(db, [contact.account_id]);
  return accountId;
}
