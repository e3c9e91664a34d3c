import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import type { Paging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { departureSchema } from '../playbook/playbook.schemas.js';
import { recordDeparture } from '../playbook/playbook.service.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import type { CurrentUser } from '../users/users.service.js';
import type { DepartureSignalStatus } from './mail-in.table.js';

// Departure signals: what mail capture found that says a contact left, confirmed or dismissed in one tap.

const signalColumns = [
  'departure_signals.id',
  'departure_signals.contact_id',
  'departure_signals.account_id',
  'departure_signals.kind',
  'departure_signals.received_at',
  'departure_signals.excerpt',
  'departure_signals.replacement_contact_id',
  'departure_signals.replacement_name',
  'departure_signals.replacement_email',
  'departure_signals.status',
  'contacts.name as contact_name',
  'replacement.name as replacement_contact_name',
] as const;

function signalsQuery(db: DbOrTx) {
  return db
    .selectFrom('departure_signals')
    .innerJoin('contacts', 'contacts.id', 'departure_signals.contact_id')
    .innerJoin('accounts', 'accounts.id', 'departure_signals.account_id')
    .leftJoin('contacts as replacement', 'replacement.id', 'departure_signals.replacement_contact_id')
    .select(signalColumns);
}

export type DepartureSignal = Awaited<ReturnType<ReturnType<typeof signalsQuery>['executeTakeFirstOrThrow']>>;

/** The signals on every account the user may see, newest first, one page at a time. */
export async function listDepartureSignals(db: DbOrTx, user: CurrentUser, status: DepartureSignalStatus, paging: Paging) {
  const [rows, count] = await Promise.all([
    signalsQuery(db)
      .where('departure_signals.status', '=', status)
      .where(accountVisibleTo(user))
      .orderBy('departure_signals.received_at', 'desc')
      .orderBy('departure_signals.id', 'desc')
      .limit(paging.perPage)
      .offset((paging.page - 1) * paging.perPage)
      .execute(),
    db
      .selectFrom('departure_signals')
      .innerJoin('accounts', 'accounts.id', 'departure_signals.account_id')
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .where('departure_signals.status', '=', status)
      .where(accountVisibleTo(user))
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

/** Open signals on one account (already authorized), for its page. */
export function openSignalsForAccount(db: DbOrTx, accountId: number) {
  return signalsQuery(db)
    .where('departure_signals.account_id', '=', accountId)
    .where('departure_signals.status', '=', 'open')
    .orderBy('departure_signals.received_at', 'desc')
    .limit(50)
    .execute();
}

export function openSignalsForContact(db: DbOrTx, accountId: number, contactId: number) {
  return signalsQuery(db)
    .where('departure_signals.account_id', '=', accountId)
    .where('departure_signals.status', '=', 'open')
    .where('departure_signals.contact_id', '=', contactId)
    .orderBy('departure_signals.received_at', 'desc')
    .limit(20)
    .execute();
}

export async function getDepartureSignal(db: DbOrTx, user: CurrentUser, signalId: number): Promise<DepartureSignal> {
  const signal = await signalsQuery(db).where('departure_signals.id', '=', signalId).where(accountVisibleTo(user)).executeTakeFirst();
  if (!signal) throw new NotFound('That departure signal');
  return signal;
}

export function departureSignalToJson(signal: DepartureSignal) {
  const named = signal.replacement_contact_id !== null || signal.replacement_name !== null || signal.replacement_email !== null;
  return {
    id: signal.id,
    contact_id: signal.contact_id,
    account_id: signal.account_id,
    kind: signal.kind,
    received_at: signal.received_at,
    excerpt: signal.excerpt,
    replacement: named
      ? {
          ...(signal.replacement_contact_id !== null ? { contact_id: signal.replacement_contact_id } : {}),
          ...(signal.replacement_contact_name ?? signal.replacement_name ? { name: signal.replacement_contact_name ?? signal.replacement_name } : {}),
          ...(signal.replacement_email ? { email: signal.replacement_email } : {}),
        }
      : null,
    status: signal.status,
  };
}

async function resolveSignals(db: DbOrTx, clock: Clock, user: CurrentUser, where: { signalId: number } | { contactId: number }, status: 'confirmed' | 'dismissed') {
  await db
    .updateTable('departure_signals')
    .set({ status, resolved_at: clock.now().toISOString(), resolved_by: user.id })
    .where('status', '=', 'open')
    .where((eb) => ('signalId' in where ? eb('id', '=', where.signalId) : eb('contact_id', '=', where.contactId)))
    .execute();
}

/**
 * Confirms a signal into the departure flow, pre-filled: a surprise, left on the day the reply or
 * bounce came (in the user's zone), the named successor — an existing contact, or created now that
 * a person has confirmed it. Any departure field in `overrides` wins. Every open signal on the
 * contact is settled with it. Call inside a transaction.
 */
export async function confirmDepartureSignal(db: DbOrTx, clock: Clock, user: CurrentUser, signalId: number, overrides: Record<string, unknown>) {
  const signal = await getDepartureSignal(db, user, signalId);
  if (signal.status !== 'open') throw new ValidationFailed({ status: `This signal was already ${signal.status}` });
  const successor =
    signal.replacement_contact_id !== null
      ? { replacement_contact_id: signal.replacement_contact_id }
      : signal.replacement_name
        ? { new_replacement: { name: signal.replacement_name, email: signal.replacement_email ?? undefined, roles: [] } }
        : {};
  const chosenSuccessor = 'replacement_contact_id' in overrides || 'new_replacement' in overrides ? {} : successor;
  const input = parseInput(departureSchema, {
    left_on: DateTime.fromISO(signal.received_at).setZone(user.time_zone).toISODate(),
    notice: 'surprise',
    ...chosenSuccessor,
    ...overrides,
  });
  // The manager already heard of this departure from the signal's alert: confirming it sends no second one.
  const alerted = await db.selectFrom('departure_alerts').select('id').where('contact_id', '=', signal.contact_id).where('reason', '=', 'signal').executeTakeFirst();
  const contact = await recordDeparture(db, clock, user, signal.contact_id, input, { alert: !alerted });
  await resolveSignals(db, clock, user, { contactId: signal.contact_id }, 'confirmed');
  await riskInputsChanged(db, [signal.account_id]);
  return { signal: await getDepartureSignal(db, user, signalId), contact };
}

export async function dismissDepartureSignal(db: DbOrTx, clock: Clock, user: CurrentUser, signalId: number) {
  const signal = await getDepartureSignal(db, user, signalId);
  if (signal.status !== 'open') throw new ValidationFailed({ status: `This signal was already ${signal.status}` });
  await resolveSignals(db, clock, user, { signalId }, 'dismissed');
  await riskInputsChanged(db, [signal.account_id]);
  return getDepartureSignal(db, user, signalId);
}
