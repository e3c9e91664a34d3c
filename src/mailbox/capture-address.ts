import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db, DbOrTx } from '../db/database.js';
import { type MailOutcome, handleMessage } from '../mail-in/mail-in.service.js';
import { MessageRefused, normalizeAddress, readMessage } from '../mail-in/message-reader.js';
import { hashToken } from '../users/tokens.js';
import { findActiveUser } from '../users/users.service.js';

// The no-credentials alternative to connecting a mailbox: a rep BCCs or forwards to their own
// secret address, log+<token>@<capture domain>. A message counts only when the token and the
// From address belong to the same user; anything else is refused as spoofed.

/** A new secret address for the user; the previous one stops working. Shown once: only its hash is kept. */
export async function createCaptureAddress(db: DbOrTx, clock: Clock, userId: number, captureAddress: string): Promise<string> {
  const token = randomBytes(12).toString('hex');
  await db.deleteFrom('capture_tokens').where('user_id', '=', userId).execute();
  await db.insertInto('capture_tokens').values({ token_hash: hashToken(token), user_id: userId, created_at: clock.now().toISOString() }).execute();
  const [local, domain] = captureAddress.split('@');
  return `${local}+${token}@${domain}`;
}

export async function hasCaptureAddress(db: DbOrTx, userId: number): Promise<boolean> {
  return (await db.selectFrom('capture_tokens').select('user_id').where('user_id', '=', userId).executeTakeFirst()) !== undefined;
}

/** Headers that can carry the address a message was delivered to: BCC leaves it only in the delivery headers. */
const recipientHeaders = new Set(['to', 'cc', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to']);
/** The header block is read this far at most. */
const maxHeaderBytes = 64 * 1024;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The secret addresses (log+<token>@…) of this capture mailbox among a message's recipients (To,
 * Cc, Delivered-To, X-Original-To, Envelope-To), lower-case, each once; read from the raw header
 * block as the delivering server wrote it (folded lines joined).
 */
export function captureAddressesIn(raw: Buffer, captureAddress: string): string[] {
  const [local, domain] = captureAddress.toLowerCase().split('@') as [string, string];
  const head = raw.subarray(0, maxHeaderBytes).toString('latin1').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const pattern = new RegExp(`(?<![\\w.+-])${escapeRegExp(local)}\\+([0-9a-f]{24})@${escapeRegExp(domain)}(?![\\w.-])`, 'gi');
  const found = new Set<string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && recipientHeaders.has(line.slice(0, colon).trim().toLowerCase()))
      for (const match of line.matchAll(pattern)) found.add(`${local}+${match[1]!.toLowerCase()}@${domain}`);
  }
  return [...found];
}

/** Handles a message delivered to a capture address, after checking its token and its sender. */
export async function handleCapturedMessage(db: Db, clock: Clock, address: string, raw: Buffer): Promise<MailOutcome> {
  const token = /^[^@+]+\+([0-9a-f]{24})@/i.exec(address.trim())?.[1]?.toLowerCase();
  const owner = token ? await db.selectFrom('capture_tokens').select('user_id').where('token_hash', '=', hashToken(token)).executeTakeFirst() : undefined;
  const user = owner && (await findActiveUser(db, owner.user_id));
  if (!user) throw new MessageRefused('unknown capture address');
  const message = await readMessage(raw);
  if (message.from?.address !== normalizeAddress(user.email)) throw new MessageRefused('spoofed: the sender is not the owner of this capture address');
  return handleMessage(db, clock, user, raw, { ignoreAddresses: [address.trim().toLowerCase()] });
}
