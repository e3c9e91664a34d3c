import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db, DbOrTx } from '../db/database.js';
import { accountVisibleTo } from '../accounts/account-access.js';
import { findDuplicate } from '../contacts/duplicates.js';
import { enqueueDepartureAlert } from '../departure-alerts/departure-alerts.service.js';
import { riskInputsChanged } from '../risk/risk-cache.js';
import { logTouchpoint } from '../touchpoints/touchpoints.service.js';
import type { CurrentUser } from '../users/users.service.js';
import {
  departureSentence,
  forwardedConversation,
  isAutomaticReply,
  namedSuccessor,
  ownText,
  permanentFailures,
  type ForwardedMessage,
} from './classify.js';
import { type MailAddress, type ReadMessage, MessageRefused, readMessage } from './message-reader.js';
import { type MeetingOutcome, handleInvitations } from './meetings.service.js';

// The one path every message takes, from a synced mailbox, the capture address or `mail-in`:
// parse, deduplicate by Message-ID per user, classify, act — in one transaction, so a message is
// either handled whole or not at all. Mail that involves no known contact and no known account's
// domain leaves nothing behind.

export type MailOutcome =
  | { kind: 'touchpoints'; accountIds: number[]; suggestions: number }
  | { kind: 'suggestions'; count: number }
  | { kind: 'departure_signals'; contactIds: number[] }
  | MeetingOutcome
  | { kind: 'duplicate' }
  | { kind: 'discarded'; reason: string };

/** Domains anyone can have an address at: they say nothing about which company someone works for. */
const publicMailDomains = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'icloud.com', 'me.com',
  'aol.com', 'gmx.de', 'gmx.net', 'web.de', 't-online.de', 'orange.fr', 'free.fr', 'laposte.net', 'proton.me', 'protonmail.com', 'fastmail.com',
]);
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

interface MatchedContact {
  id: number;
  account_id: number;
  email: string;
  name: string;
  status: string;
}

/** Contacts the user may see with one of these addresses (stored lower-case, matched lower-case). */
async function contactsByAddress(db: DbOrTx, user: CurrentUser, addresses: string[]): Promise<MatchedContact[]> {
  if (addresses.length === 0) return [];
  const rows = await db
    .selectFrom('contacts')
    .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
    .select(['contacts.id', 'contacts.account_id', 'contacts.email', 'contacts.name', 'contacts.status'])
    .where('contacts.email', 'in', addresses)
    .where('contacts.archived', '=', 0)
    .where('accounts.archived', '=', 0)
    .where(accountVisibleTo(user))
    .orderBy('contacts.id')
    .execute();
  return rows.map((row) => ({ ...row, email: row.email! }));
}

/** The accounts the user may see that have a contact at one of these domains (an account's domain). */
async function accountsByDomain(db: DbOrTx, user: CurrentUser, domains: string[]): Promise<{ account_id: number; domain: string }[]> {
  if (domains.length === 0) return [];
  const rows = await db
    .selectFrom('contacts')
    .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
    .select(['contacts.account_id', 'contacts.email'])
    .distinct()
    .where((eb) => eb.or(domains.map((domain) => eb('contacts.email', 'like', `%@${domain.replace(/[%_\\]/g, '')}`))))
    .where('contacts.archived', '=', 0)
    .where('accounts.archived', '=', 0)
    .where(accountVisibleTo(user))
    .execute();
  const unique = new Map<string, { account_id: number; domain: string }>();
  for (const row of rows) {
    const domain = domainOf(row.email!);
    unique.set(`${row.account_id}:${domain}`, { account_id: row.account_id, domain });
  }
  return [...unique.values()];
}

/** The user, their colleagues (any Buychain user) and their own company's domain are never customers. */
async function internalAddresses(db: DbOrTx, user: CurrentUser, addresses: string[]): Promise<(address: string) => boolean> {
  const ownDomain = domainOf(user.email.toLowerCase());
  const colleagues =
    addresses.length === 0 ? [] : await db.selectFrom('users').select('email').where(sql<string>`lower(email)`, 'in', addresses).execute();
  const known = new Set([user.email.toLowerCase(), ...colleagues.map((row) => row.email.toLowerCase())]);
  return (address) => known.has(address) || (!publicMailDomains.has(ownDomain) && domainOf(address) === ownDomain);
}

export interface HandleOptions {
  /** Addresses that are Buychain's own (the capture mailbox): never participants. */
  ignoreAddresses?: string[];
}

/** Handles one raw message as found in this user's mail. Throws MessageRefused when it cannot be read. */
export async function handleMessage(db: Db, clock: Clock, user: CurrentUser, raw: Buffer, options: HandleOptions = {}): Promise<MailOutcome> {
  const message = await readMessage(raw);
  return db.transaction().execute(async (trx) => {
    const seen = await trx.selectFrom('mail_messages').select('outcome').where('user_id', '=', user.id).where('message_id', '=', message.messageId).executeTakeFirst();
    if (seen) return { kind: 'duplicate' } as const;
    const outcome = await classifyAndAct(trx, clock, user, message, options);
    if (outcome.kind !== 'discarded')
      await trx
        .insertInto('mail_messages')
        .values({ user_id: user.id, message_id: message.messageId, outcome: outcome.kind, handled_at: clock.now().toISOString() })
        .execute();
    return outcome;
  });
}

async function classifyAndAct(db: DbOrTx, clock: Clock, user: CurrentUser, message: ReadMessage, options: HandleOptions): Promise<MailOutcome> {
  const receivedAt = receivedAtOf(message.date, clock);
  if (message.isDeliveryReport) return bounceSignals(db, clock, user, message, receivedAt);
  if (isAutomaticReply(message)) return autoReplySignal(db, clock, user, message, receivedAt);
  // An invitation with a contact among its attendees is a planned meeting, not an email.
  const meetings = message.calendars.length > 0 ? await handleInvitations(db, clock, user, message.calendars) : null;
  if (meetings) return meetings;
  const conversation: ForwardedMessage = forwardedConversation(message, user.time_zone) ?? message;
  return logEmail(db, clock, user, conversation, message.messageId, receivedAtOf(conversation.date, clock), options);
}

/** A date in the future (a wrong clock, a forged header) is taken as now. */
function receivedAtOf(date: Date | null, clock: Clock): string {
  const now = clock.now();
  return (date && date <= now ? date : now).toISOString();
}

async function logEmail(
  db: DbOrTx,
  clock: Clock,
  user: CurrentUser,
  conversation: ForwardedMessage,
  messageId: string,
  occurredAt: string,
  options: HandleOptions,
): Promise<MailOutcome> {
  const everyone: MailAddress[] = [...(conversation.from ? [conversation.from] : []), ...conversation.to, ...conversation.cc];
  const addresses = [...new Set(everyone.map((person) => person.address))].filter((address) => !options.ignoreAddresses?.includes(address));
  const isInternal = await internalAddresses(db, user, addresses);
  const outside = addresses.filter((address) => !isInternal(address));
  if (outside.length === 0) return { kind: 'discarded', reason: 'no one outside the company' };

  const contacts = await contactsByAddress(db, user, outside);
  const known = new Set(contacts.map((contact) => contact.email));
  const unknownDomains = [...new Set(outside.filter((address) => !known.has(address)).map(domainOf))].filter((domain) => !publicMailDomains.has(domain));
  const domainAccounts = await accountsByDomain(db, user, unknownDomains);
  if (contacts.length === 0 && domainAccounts.length === 0) return { kind: 'discarded', reason: 'no known contact or account domain' };

  const suggestions = await suggestContacts(db, clock, everyone, known, domainAccounts);
  const byAccount = new Map<number, number[]>();
  for (const contact of contacts) byAccount.set(contact.account_id, [...(byAccount.get(contact.account_id) ?? []), contact.id]);
  const already = await db
    .selectFrom('touchpoints')
    .select('account_id')
    .where('message_id', '=', messageId)
    .where('account_id', 'in', byAccount.size > 0 ? [...byAccount.keys()] : [-1])
    .execute();
  for (const { account_id } of already) byAccount.delete(account_id);

  const notes = ownText(conversation.text);
  for (const [accountId, contactIds] of byAccount) {
    const { touchpoint } = await logTouchpoint(db, clock, user, accountId, {
      contact_ids: contactIds,
      kind: 'email',
      next_step_due_on: undefined,
      location: 'virtual',
      occurred_at: occurredAt,
      summary: conversation.subject || '(no subject)',
      internal_notes: notes,
      contact_updates: [],
      new_contacts: [],
      gap_answers: {},
    });
    await db.updateTable('touchpoints').set({ source: 'email', message_id: messageId }).where('id', '=', touchpoint.id).execute();
  }
  if (byAccount.size === 0 && already.length > 0 && suggestions === 0) return { kind: 'duplicate' };
  return byAccount.size > 0 || already.length > 0
    ? { kind: 'touchpoints', accountIds: [...byAccount.keys()], suggestions }
    : { kind: 'suggestions', count: suggestions };
}

/** Unknown people at a known account's domain wait on the account page; nothing is created silently. */
async function suggestContacts(db: DbOrTx, clock: Clock, everyone: MailAddress[], known: Set<string>, domainAccounts: { account_id: number; domain: string }[]) {
  let count = 0;
  for (const person of everyone) {
    if (known.has(person.address)) continue;
    for (const { account_id } of domainAccounts.filter((entry) => entry.domain === domainOf(person.address))) {
      const inserted = await db
        .insertInto('contact_suggestions')
        .values({ account_id, email: person.address, name: person.name, first_seen_at: clock.now().toISOString(), contact_id: null, resolved_at: null, resolved_by: null })
        .onConflict((conflict) => conflict.columns(['account_id', 'email']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) count++;
    }
  }
  return count;
}

async function bounceSignals(db: DbOrTx, clock: Clock, user: CurrentUser, message: ReadMessage, receivedAt: string): Promise<MailOutcome> {
  const failures = permanentFailures(message);
  if (failures.length === 0) return { kind: 'discarded', reason: 'delivery report without a permanent failure' };
  // Someone already known to have left needs no signal.
  const contacts = (await contactsByAddress(db, user, failures.map((failure) => failure.recipient))).filter((contact) => contact.status !== 'left');
  if (contacts.length === 0) return { kind: 'discarded', reason: 'bounce for no known contact' };
  for (const contact of contacts) {
    const failure = failures.find((entry) => entry.recipient === contact.email)!;
    await raiseSignal(db, clock, user, contact, { kind: 'bounce', receivedAt, excerpt: `${failure.status}: ${failure.excerpt}`, messageId: message.messageId, successor: null });
  }
  return { kind: 'departure_signals', contactIds: contacts.map((contact) => contact.id) };
}

async function autoReplySignal(db: DbOrTx, clock: Clock, user: CurrentUser, message: ReadMessage, receivedAt: string): Promise<MailOutcome> {
  const sentence = departureSentence(`${message.subject}. ${message.text}`);
  if (!sentence) return { kind: 'discarded', reason: 'automatic reply that does not say anyone left' };
  const sender = message.from?.address ?? null;
  const contacts = (sender ? await contactsByAddress(db, user, [sender]) : []).filter((contact) => contact.status !== 'left');
  if (contacts.length === 0) return { kind: 'discarded', reason: 'automatic reply from no known contact' };
  const successor = namedSuccessor(message.text, sender);
  for (const contact of contacts) await raiseSignal(db, clock, user, contact, { kind: 'auto_reply', receivedAt, excerpt: sentence, messageId: message.messageId, successor });
  return { kind: 'departure_signals', contactIds: contacts.map((contact) => contact.id) };
}

interface SignalInput {
  kind: 'auto_reply' | 'bounce';
  receivedAt: string;
  excerpt: string;
  messageId: string;
  successor: { name: string | null; email: string | null } | null;
}

async function raiseSignal(db: DbOrTx, clock: Clock, user: CurrentUser, contact: MatchedContact, input: SignalInput) {
  // The successor is matched to someone already at the account (by address, then by name, as a new
  // contact would be), or only offered.
  const match = input.successor ? await findDuplicate(db, contact.account_id, input.successor) : null;
  const replacement = match && match.contact.id !== contact.id ? match.contact : undefined;
  const inserted = await db
    .insertInto('departure_signals')
    .values({
      contact_id: contact.id,
      account_id: contact.account_id,
      kind: input.kind,
      received_at: input.receivedAt,
      excerpt: input.excerpt.slice(0, 500),
      message_id: input.messageId,
      replacement_contact_id: replacement?.id ?? null,
      replacement_name: input.successor?.name ?? null,
      replacement_email: input.successor?.email ?? null,
      found_by: user.id,
      created_at: clock.now().toISOString(),
      resolved_at: null,
      resolved_by: null,
    })
    .onConflict((conflict) => conflict.columns(['contact_id', 'message_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  // The owner's manager hears of it like of a departure, once per signal; someone already known
  // to be leaving was announced already.
  if (inserted && contact.status === 'active') await enqueueDepartureAlert(db, clock, { contactId: contact.id, reason: 'signal', eventKey: `signal:${inserted.id}` });
  await riskInputsChanged(db, [contact.account_id]);
}

export { MessageRefused };
